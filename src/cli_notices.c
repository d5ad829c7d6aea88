/*
** cli_notices.c: `afscore notices`: the notice queue of a recorded run, one
** row per unit and benefit (support measure) it may claim, with the notice text filled in.
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "report.h"
#include "run.h"
#include "store.h"

/* ---- notices ---- */

/* The notice text with {category}, {score}, {unit} and {param} filled in. */
static void fill_notice(strbuf *o, const char *text, const model *m, const char *unit,
                        const char *cat, double score) {
  for (const char *p = text; *p;) {
    const char *close = *p == '{' ? strchr(p, '}') : NULL;
    if (!close) {
      sb_putc(o, *p++);
      continue;
    }
    char name[64];
    size_t n = (size_t)(close - p - 1);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, p + 1, n);
    name[n] = '\0';
    int k = model_find_param(m, name);
    char buf[32];
    if (strcmp(name, "category") == 0) sb_puts(o, cat ? cat : "");
    else if (strcmp(name, "score") == 0) json_fmt_double(score, buf), sb_puts(o, buf);
    else if (strcmp(name, "unit") == 0) sb_puts(o, unit);
    else if (k >= 0 && m->params[k].is_text) sb_puts(o, m->params[k].text);
    else if (k >= 0) json_fmt_double(m->params[k].num, buf), sb_puts(o, buf);
    else sb_putn(o, p, (size_t)(close - p + 1));
    p = close + 1;
  }
}

static const char *notice_text(const model_benefit *x, const char *lang) {
  for (int i = 0; i < x->nnotices; i++)
    if (strcmp(x->notices[i].lang, lang) == 0) return x->notices[i].text;
  return NULL;
}

int cmd_notices(cli_opts *o) {
  const char *lang = o->lang ? o->lang : "kk";
  const char *format = o->format ? o->format : "csv";
  if (!o->out || o->run_id <= 0 || o->npos || (strcmp(format, "csv") && strcmp(format, "json")))
    return cli_usage_error(o, "needs --out RESULTS.db --run RUN_ID [--format csv|json]");
  store *st = NULL;
  run_record rec;
  if (cli_open_record(o->out, o->run_id, &st, &rec)) return 1;
  model *m = cli_load_recorded(&rec);
  store_iter *it = NULL;
  af_err e = {{0}};
  int rc = 1;
  if (!m || store_iter_begin(st, rec.id, &it, &e) < 0) {
    if (m) cli_fail("%s", e.msg);
    goto done;
  }
  /* A language no benefit has a text in is a mistake, not a fallback. */
  int known = 0;
  strbuf langs = {0};
  for (int k = 0; k < m->nbenefits; k++)
    for (int i = 0; i < m->benefits[k].nnotices; i++) {
      const char *l = m->benefits[k].notices[i].lang;
      known |= strcmp(l, lang) == 0;
      if (!langs.s || !strstr(langs.s, l)) sb_printf(&langs, "%s%s", langs.len ? ", " : "", l);
    }
  if (!known && langs.len) {
    rc = cli_usage_error(o, "no notice text in language '%s' (the methodology has: %s)", lang,
                         langs.s);
    sb_free(&langs);
    goto done;
  }
  sb_free(&langs);
  int as_json = strcmp(format, "json") == 0;
  json j = {0};
  csv_out csv;
  csv_init(&csv, stdout);
  if (as_json) json_arr(&j);
  else csv_record(&csv, (const char *const[]){"unit", "measure", "lang", "text", NULL});
  const char *unit, *cat;
  double score;
  int poor, got;
  int64_t elig;
  strbuf text = {0};
  /* Rows per measure that carry its name for want of a text in lang. */
  int64_t *untranslated = af_calloc((size_t)m->nbenefits + 1, sizeof *untranslated);
  while ((got = store_iter_next(it, &unit, &score, &poor, &cat, &elig, &e)) == 1) {
    for (int k = 0; k < m->nbenefits && elig; k++) {
      if (!(elig >> k & 1)) continue;
      const char *tpl = notice_text(&m->benefits[k], lang);
      untranslated[k] += !tpl;
      text.len = 0;
      fill_notice(&text, tpl ? tpl : m->benefits[k].name, m, unit, cat, score);
      if (as_json) {
        json_obj(&j);
        json_kv_str(&j, "unit", unit);
        json_kv_str(&j, "measure", m->benefits[k].id);
        json_kv_str(&j, "lang", tpl ? lang : NULL);
        json_kv_str(&j, "text", text.s ? text.s : "");
        json_obj_end(&j);
      } else {
        csv_text(&csv, unit);
        csv_field(&csv, m->benefits[k].id);
        csv_field(&csv, tpl ? lang : "");
        csv_text(&csv, text.s);
        csv_end(&csv);
      }
    }
  }
  sb_free(&text);
  for (int k = 0; k < m->nbenefits; k++)
    if (untranslated[k])
      af_textf(stderr, "afscore notices: warning: measure '%s' has no notice in '%s': %lld "
              "row%s carry its name instead\n", m->benefits[k].id, lang,
              (long long)untranslated[k], untranslated[k] == 1 ? "" : "s");
  free(untranslated);
  if (as_json) {
    json_arr_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  }
  if (got < 0) cli_fail("%s", e.msg);
  else rc = 0;
done:
  store_iter_end(it);
  model_free(m);
  store_record_free(&rec);
  store_close(st);
  return rc;
}
