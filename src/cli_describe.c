/*
** cli_describe.c: the commands describe (a methodology as it will be applied,
** as text, markdown or JSON) and diff (what changed in the rules between two
** methodologies, line by line in the terms describe uses).
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "describe.h"

int cmd_describe(cli_opts *o) {
  const char *fmt = o->format ? o->format : o->json ? "json" : "text";
  if (o->npos != 1)
    return cli_usage_error(o, "needs exactly one methodology file");
  if (strcmp(fmt, "text") != 0 && strcmp(fmt, "markdown") != 0 && strcmp(fmt, "json") != 0)
    return cli_usage_error(o, "--format is text, markdown or json, not '%s'", fmt);
  model *m = cli_load_method(o->pos[0]);
  if (!m) return 1;
  strbuf out = {0};
  if (strcmp(fmt, "json") == 0) {
    json j = {0};
    describe_json(m, &j);
    sb_printf(&out, "%s\n", j.out.s);
    sb_free(&j.out);
  } else {
    describe_doc doc = {0};
    describe_lines(m, &doc);
    if (fmt[0] == 'm') describe_markdown(&doc, &out);
    else describe_text(&doc, &out);
    describe_free(&doc);
  }
  af_print_text(stdout, out.s);
  sb_free(&out);
  model_free(m);
  return 0;
}

int cmd_diff(cli_opts *o) {
  if (o->npos != 2)
    return cli_usage_error(o, "needs two methodology files");
  model *a = cli_load_method(o->pos[0]);
  model *b = a ? cli_load_method(o->pos[1]) : NULL;
  if (!b) {
    model_free(a);
    return 1;
  }
  describe_doc da = {0}, db = {0};
  describe_lines(a, &da);
  describe_lines(b, &db);
  strbuf out = {0};
  sb_textf(&out, "--- %s (%s, version %s)\n+++ %s (%s, version %s)\n", o->pos[0], a->name,
            a->version, o->pos[1], b->name, b->version);
  if (describe_diff(&da, &db, &out) == 0) sb_puts(&out, "no difference in the rules\n");
  af_print_text(stdout, out.s);
  sb_free(&out);
  describe_free(&da);
  describe_free(&db);
  model_free(a);
  model_free(b);
  return 0;
}
