/*
** cli_replay.c: `afscore replay`: re-run a recorded run from its recorded
** sources and verify it reproduces bit for bit, or compare proposed rules
** against it.
*/
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "run.h"
#include "store.h"

/* ---- replay ---- */

typedef struct replay_ctx {
  store *st;
  int64_t run_id;
  int64_t differ, missing, checked;
  char first[256];
} replay_ctx;

static int replay_restart(void *ctx, af_err *e) {
  replay_ctx *x = ctx;
  (void)e;
  x->differ = x->missing = x->checked = 0;
  x->first[0] = '\0';
  return 0;
}

static int same_double(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Check every unit of the batch against its recorded result. */
static int replay_check(void *ctx, const run *rn, const batch *b, const char *const *ids,
                        af_err *e) {
  replay_ctx *x = ctx;
  const scorer *s = rn->scorers[0];
  const model *m = rn->models[0];
  for (int u = 0; u < b->nunits; u++) {
    double score;
    int poor;
    char *cat = NULL;
    int64_t elig;
    int got = store_unit_result(x->st, x->run_id, ids[u], &score, &poor, &cat, &elig, e);
    if (got < 0) return -1;
    x->checked++;
    const char *now = s->excluded[u] ? NULL : m->bands[s->band[u]].id;
    int same = got == 1 && same_double(score, s->score[u]) &&
               ((!cat && !now) || (cat && now && strcmp(cat, now) == 0)) &&
               elig == (int64_t)s->eligible[u];
    if (got == 0) x->missing++;
    if (!same) {
      if (x->differ++ == 0) {
        char was[32], is[32];   /* NaN (excluded) prints as "nan" */
        json_fmt_double(score, was);
        json_fmt_double(s->score[u], is);
        if (got == 0)
          snprintf(x->first, sizeof x->first, "unit '%s': not recorded, now %s (score %s)",
                   ids[u], now ? now : "(excluded)", is);
        else
          snprintf(x->first, sizeof x->first, "unit '%s': recorded %s (score %s), now %s (score %s)",
                   ids[u], cat ? cat : "(excluded)", was, now ? now : "(excluded)", is);
      }
    }
    free(cat);
  }
  return 0;
}

/* Second pass, only when the summaries differ: which units changed. */
static void replay_find_units(const char *db, model *m, store *st, const run_record *rec,
                              replay_ctx *x) {
  run rn;
  const model *ms[1] = {m};
  af_err e = {{0}};
  memset(x, 0, sizeof *x);
  x->st = st;
  x->run_id = rec->id;
  if (cli_open_run(&rn, db, ms, 1) == 0) {
    rn.on_restart = replay_restart;
    if (cli_execute(&rn, replay_check, x, &e) < 0) cli_fail("%s", e.msg);
  }
  run_close(&rn);
}

static void replay_json(const run_record *rec, int ok, int data_changed, int engine_changed,
                        int64_t units, const replay_ctx *x) {
  json r = {0};
  json_obj(&r);
  json_kv_int(&r, "run_id", rec->id);
  json_kv_bool(&r, "reproduced", ok);
  json_kv_bool(&r, "data_changed", data_changed);
  json_kv_bool(&r, "engine_changed", engine_changed);
  json_kv_str(&r, "recorded_engine", rec->engine_version);
  json_kv_int(&r, "units", units);
  json_kv_int(&r, "units_differ", x->differ);
  json_kv_int(&r, "units_not_recorded", x->missing);
  json_obj_end(&r);
  printf("%s\n", r.out.s);
  sb_free(&r.out);
}

/* Re-run the recorded methodology on db. The summary (which carries the
** data fingerprint and a digest of every unit's result) must come out
** byte-identical; only when it does not is a second pass made to name the
** units that differ. */
static int replay_verify(cli_opts *o, store *st, const run_record *rec, model *m) {
  run rn;
  const model *ms[1] = {m};
  af_err e = {{0}};
  replay_ctx x;
  memset(&x, 0, sizeof x);
  if (cli_open_run(&rn, o->db, ms, 1)) {
    run_close(&rn);
    return 1;
  }
  if (cli_execute(&rn, NULL, NULL, &e) < 0) {
    run_close(&rn);
    return cli_fail("%s", e.msg);
  }
  int data_changed = strcmp(rn.stats.sha256, rec->data_sha256) != 0;
  int engine_changed = strcmp(rec->engine_version, AFSCORE_VERSION) != 0;
  report_meta meta = {rec->id, rec->engine_version};
  json j = {0};
  report_summary_json(&j, &rn, 0, &meta);
  int ok = rec->summary_json && strcmp(j.out.s, rec->summary_json) == 0;
  int64_t units = rn.stats.units;
  sb_free(&j.out);
  run_close(&rn);
  if (engine_changed)
    fprintf(stderr, "note: run %lld was recorded by %s; this is %s\n", (long long)rec->id,
            rec->engine_version, AFSCORE_VERSION);
  if (!ok) replay_find_units(o->db, m, st, rec, &x);
  int64_t gone = rec->units - (x.checked - x.missing);
  if (ok) {
    if (!o->json)
      printf("reproduced: run %lld, %lld units, every score and category identical\n",
             (long long)rec->id, (long long)units);
  } else if (data_changed) {
    fprintf(stderr, "data changed since run %lld: the fingerprint differs; %lld of %lld units "
            "now score differently, %lld are new and %lld recorded units are gone\n",
            (long long)rec->id, (long long)x.differ, (long long)x.checked, (long long)x.missing,
            (long long)(gone > 0 ? gone : 0));
  } else {
    fprintf(stderr, "not reproduced: run %lld: %lld of %lld units differ%s\n", (long long)rec->id,
            (long long)x.differ, (long long)x.checked,
            x.differ ? "" : " (the summary differs)");
  }
  if (!ok && x.differ) {
    char *first = af_escaped(x.first);
    fprintf(stderr, "first difference: %s\n", first);
    free(first);
  }
  if (o->json) replay_json(rec, ok, data_changed, engine_changed, units, &x);
  return ok ? 0 : 1;
}

int cmd_replay(cli_opts *o) {
  if (!o->out || !o->db || o->npos != 1)
    return cli_usage_error(o, "needs RUN_ID --out RESULTS.db --db DATA.db");
  long long id;
  int rc = cli_number(o, "RUN_ID", o->pos[0], 1, &id);
  if (rc) return rc;
  store *st = NULL;
  run_record rec;
  if (cli_open_record(o->out, id, &st, &rec)) return 1;
  rc = 1;
  model *m = cli_load_recorded(&rec);
  if (m && o->nmethods == 0) {
    rc = replay_verify(o, st, &rec, m);
  } else if (m) {
    model *ms[CLI_MAX_METHODS + 1] = {m};
    int n = 1;
    rc = 0;
    for (int k = 0; k < o->nmethods; k++, n++)
      if (!(ms[n] = cli_load_method(o->methods[k]))) rc = 1;
    char label[64];
    snprintf(label, sizeof label, "%lld", (long long)rec.id);
    if (rc == 0) rc = cli_compare_models((const model **)ms, n, o->db, o->changes, o->json, label);
    for (int k = 1; k < n; k++) model_free(ms[k]);
  }
  model_free(m);
  store_record_free(&rec);
  store_close(st);
  return rc;
}

