/*
** cli_score.c: `afscore score`: score every unit of a database, print the
** measure and, with --out, record the run so that it can be replayed.
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "run.h"
#include "store.h"

typedef struct score_ctx {
  store *st;
  const run *rn;
  const char *db;
  int64_t *run_id;
} score_ctx;

static int record_run(store *st, const run *rn, const char *db, int64_t *run_id, af_err *e);

/* The source starts again in key order: drop the run's rows and begin anew. */
static int score_restart(void *ctx, af_err *e) {
  score_ctx *sc = ctx;
  if (!sc->st) return 0;
  store_run_abort(sc->st);
  return record_run(sc->st, sc->rn, sc->db, sc->run_id, e);
}

/* Record the unit results of a scored batch. */
static int store_batch(void *ctx, const run *rn, const batch *b, const char *const *ids,
                       af_err *e) {
  score_ctx *sc = ctx;
  const scorer *s = rn->scorers[0];
  const model *m = rn->models[0];
  for (int u = 0; sc->st && u < b->nunits; u++) {
    int ex = s->excluded[u];
    int poor = ex || m->scoring != SCORING_AF ? -1 : s->poor[u];
    const char *cat = ex ? NULL : m->bands[s->band[u]].id;
    if (store_run_unit(sc->st, ids[u], s->score[u], poor, cat, (int64_t)s->eligible[u], e) < 0)
      return -1;
  }
  return 0;
}

/* The params of a model as a JSON object (recorded with each run). */
static char *params_json(const model *m) {
  json j = {0};
  j.compact = 1;
  json_obj(&j);
  for (int i = 0; i < m->nparams; i++) {
    json_key(&j, m->params[i].name);
    if (m->params[i].is_text) json_str(&j, m->params[i].text);
    else json_num(&j, m->params[i].num);
  }
  json_obj_end(&j);
  return sb_take(&j.out);
}

/* Begin the run in the results store with everything needed to replay it:
** the methodology's sources, params and the engine version. */
static int record_run(store *st, const run *rn, const char *db, int64_t *run_id, af_err *e) {
  const model *m = rn->models[0];
  char *pj = params_json(m);
  run_info ri;
  memset(&ri, 0, sizeof ri);
  ri.methodology_name = m->name;
  ri.methodology_version = m->version;
  ri.methodology_sha256 = m->files[0].sha256;
  ri.scoring = m->scoring == SCORING_AF ? "af" : "points";
  ri.data_path = db;
  ri.data_sha256 = "";       /* known at the end of the pass; set at commit */
  ri.engine_version = AFSCORE_VERSION;
  ri.params_json = pj;
  ri.files = m->files;
  ri.nfiles = m->nfiles;
  int rc = store_run_begin(st, &ri, run_id, e);
  free(pj);
  return rc;
}

int cmd_score(cli_opts *o) {
  if (!o->db || o->nmethods != 1 || o->npos)
    return cli_usage_error(o, "needs --db DATA.db and one --method METHOD.lua");
  model *m = cli_load_method(o->methods[0]);
  if (!m) return 1;
  run rn;
  af_err e = {{0}};
  score_ctx sc = {0};
  int64_t run_id = 0;
  int rc = 1;
  const model *ms[1] = {m};
  if (cli_open_run(&rn, o->db, ms, 1)) goto done;
  if (o->out && (cli_store_open(o->out, &sc.st, &e) < 0 ||
                 record_run(sc.st, &rn, o->db, &run_id, &e) < 0)) {
    cli_fail("%s", e.msg);
    goto done;
  }
  sc.rn = &rn;
  sc.db = o->db;
  sc.run_id = &run_id;
  rn.on_restart = score_restart;
  if (cli_execute(&rn, store_batch, &sc, &e) < 0) {
    cli_fail("%s", e.msg);
    if (sc.st) store_run_abort(sc.st);
    goto done;
  }
  report_meta meta = {run_id, AFSCORE_VERSION};
  json j = {0};
  report_summary_json(&j, &rn, 0, &meta);
  if (sc.st && (store_run_set_data(sc.st, rn.stats.sha256, &e) < 0 ||
                store_run_commit(sc.st, j.out.s, &e) < 0)) {
    cli_fail("%s", e.msg);
    sb_free(&j.out);
    goto done;
  }
  if (o->json) {
    printf("%s\n", j.out.s);
  } else {
    strbuf t = {0};
    report_summary_text(&t, &rn, 0, &meta);
    af_print_text(stdout, t.s);
    sb_free(&t);
  }
  sb_free(&j.out);
  rc = 0;
done:
  store_close(sc.st);
  run_close(&rn);
  model_free(m);
  return rc;
}
