/*
** cli_runs.c: `afscore runs`: list the runs recorded in a results database.
*/
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "json.h"
#include "store.h"

int cmd_runs(cli_opts *o) {
  if (!o->out || o->npos) return cli_usage_error(o, "needs --out RESULTS.db");
  store *st = NULL;
  af_err e;
  run_record *v = NULL;
  int n = 0;
  /* A listing never writes, nor creates a database where the path is mistyped. */
  if (store_open_readonly(o->out, &st, &e) < 0) return cli_fail("%s", e.msg);
  if (store_list_runs(st, &v, &n, &e) < 0) {
    store_close(st);
    return cli_fail("%s", e.msg);
  }
  json j = {0};
  if (o->json) json_arr(&j);
  else printf("%4s  %-20s  %-40s %-18s %-12s %10s %9s %8s\n", "id", "time", "methodology",
              "version", "sha256", "units", "H", "M0");
  for (int i = 0; i < n; i++) {
    struct { double units, H, M0; } s = {0, NAN, NAN};
    s.units = (double)v[i].units;
    json_find_number(v[i].summary_json, "H", &s.H);
    json_find_number(v[i].summary_json, "M0", &s.M0);
    if (o->json) {
      json_obj(&j);
      json_kv_int(&j, "id", v[i].id);
      json_kv_str(&j, "time", v[i].time);
      json_kv_str(&j, "methodology", v[i].methodology_name);
      json_kv_str(&j, "version", v[i].methodology_version);
      json_kv_str(&j, "sha256", v[i].methodology_sha256);
      json_kv_str(&j, "scoring", v[i].scoring);
      json_kv_str(&j, "data_sha256", v[i].data_sha256);
      json_kv_int(&j, "units", (int64_t)s.units);
      json_kv_num(&j, "H", s.H);
      json_kv_num(&j, "M0", s.M0);
      json_obj_end(&j);
    } else {
      char h[32] = "-", m0[16] = "-";
      if (!isnan(s.H)) af_fmt_pct(h, s.H);   /* a share, in percent */
      if (!isnan(s.M0)) snprintf(m0, sizeof m0, "%.4f", s.M0);
      /* Names may be Kazakh or Russian: cut and padded by display width. */
      strbuf row = {0};
      sb_textf(&row, "%4lld  %-20s  ", (long long)v[i].id, v[i].time);
      sb_cell(&row, v[i].methodology_name, 40);
      sb_putc(&row, ' ');
      sb_cell(&row, v[i].methodology_version, 18);
      sb_textf(&row, " %-12.12s %10lld %9s %8s\n", v[i].methodology_sha256, (long long)s.units,
                h, m0);
      af_print_text(stdout, row.s);
      sb_free(&row);
    }
  }
  if (o->json) {
    json_arr_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  }
  store_free_runs(v, n);
  store_close(st);
  return 0;
}
