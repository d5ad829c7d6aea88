/*
** cli_test.c: the command test: run the cases file beside a methodology
** (NAME.test.lua for NAME.lua, see cases.h) and report each case that fails
** at its FILE:LINE with what was expected and what came out.
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "cases.h"

/* NAME.test.lua for NAME.lua (or NAME + ".test.lua" for another name). */
static char *test_cases_path(const char *method) {
  size_t n = strlen(method);
  if (n > 4 && strcmp(method + n - 4, ".lua") == 0)
    return af_sprintf("%.*s.test.lua", (int)(n - 4), method);
  return af_sprintf("%s.test.lua", method);
}

int cmd_test(cli_opts *o) {
  if (o->npos != 1) return cli_usage_error(o, "needs exactly one methodology file");
  model *m = cli_load_method(o->pos[0]);
  if (!m) return 1;
  char *path = test_cases_path(o->pos[0]);
  case_file cf;
  case_result *res = NULL;
  diag_list d = {0};
  af_err e = {{0}};
  int rc = 1;
  cli_script_env se;
  memset(&cf, 0, sizeof cf);
  if (cli_script_env_init(&se, &e) < 0) {
    cli_fail("%s", e.msg);
    goto done;
  }
  int loaded = cases_load(path, &se.mo, &cf, &d);
  cli_script_env_free(&se);
  if (loaded < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    goto done;
  }
  if (cases_run(m, &cf, &res, &d, &e) < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    cli_fail("%s: %s", path, e.msg);
    goto done;
  }
  int failed = 0;
  for (int i = 0; i < cf.n; i++) {
    if (res[i].pass) {
      af_textf(stdout, "ok    %s\n", cf.v[i].name);
      continue;
    }
    failed++;
    af_textf(stdout, "%s:%d: FAIL %s: %s\n", path, cf.v[i].line, cf.v[i].name, res[i].why);
  }
  af_textf(stdout, "%s: %d case%s, %d passed, %d failed\n", path, cf.n, cf.n == 1 ? "" : "s",
         cf.n - failed, failed);
  rc = failed ? 1 : 0;
done:
  cases_free_results(res, cf.n);
  cases_free(&cf);
  diag_free(&d);
  free(path);
  model_free(m);
  return rc;
}
