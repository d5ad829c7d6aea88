/*
** cli_score.c: `afscore score`: score every unit of a database, print the
** measure and, with --out, record the run so that it can be replayed.
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "report.h"
#include "outfile.h"
#include "run.h"
#include "sign.h"
#include "store.h"

typedef struct score_ctx {
  store *st;                /* --out, or NULL */
  const char *db;
  const store_sig *sigs;    /* per methodology file */
  int64_t run_id;
  int32_t *gids;            /* one unit's group value ids (pool ids, -1 NULL) */
  int64_t part, nparts;     /* --partition I/N; nparts 0: the whole run */
  int64_t recorded;         /* rows recorded */
} score_ctx;

static int record_run(score_ctx *sc, const run *rn, af_err *e);

/* Each pass begins the run in the results store; when the source starts
** again in key order, the rows written so far are dropped first. */
static int score_begin(void *ctx, const run *rn, af_err *e) {
  score_ctx *sc = ctx;
  if (!sc->st) return 0;
  sc->recorded = 0;
  store_run_abort(sc->st);
  return record_run(sc, rn, e);
}

/* Record the unit results of a scored batch (of a partial run, the units of
** its partition: every unit is still scored, see merge.h). */
static int store_batch(void *ctx, const run *rn, const batch *b, const char *const *ids,
                       af_err *e) {
  score_ctx *sc = ctx;
  const scorer *s = run_scorer(rn, 0);
  const model *m = run_model(rn, 0);
  for (int u = 0; sc->st && u < b->nunits; u++) {
    if (sc->nparts && merge_partition_of(ids[u], sc->nparts) != sc->part) {
      /* another partial's row: its position is kept (merge interleaves by it) */
      if (store_run_skip(sc->st, ids[u], e) < 0) return -1;
      continue;
    }
    int ex = s->excluded[u];
    int poor = ex || m->scoring != SCORING_AF ? -1 : s->poor[u];
    const char *cat = ex ? NULL : m->bands[s->band[u]].id;
    /* The values' pool ids only: the text is read at commit (store.h), as
    ** the reader thread may be interning meanwhile. */
    for (int g = 0; g < m->ngroups; g++) {
      const column *gc = run_group_column(rn, 0, g, b);
      sc->gids[g] = gc->null[u] ? -1 : (int32_t)gc->v[u];
    }
    if (store_run_unit(sc->st, ids[u], s->score[u], poor, cat, (int64_t)s->eligible[u],
                       m->ngroups ? sc->gids : NULL, e) < 0)
      return -1;
    sc->recorded++;
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

/* store_group_text_fn over the run's string pool. */
static const char *score_group_text(void *ctx, int32_t id) {
  return strpool_get(run_pool(ctx), id);
}

/* Begin the run in the results store with everything needed to replay it:
** the methodology's sources, params and the engine version. */
static int record_run(score_ctx *sc, const run *rn, af_err *e) {
  const model *m = run_model(rn, 0);
  char *pj = params_json(m);
  run_info ri;
  memset(&ri, 0, sizeof ri);
  ri.methodology_name = m->name;
  ri.methodology_version = m->version;
  ri.methodology_sha256 = m->files[0].sha256;
  ri.scoring = m->scoring == SCORING_AF ? "af" : "points";
  ri.data_path = sc->db;
  ri.data_sha256 = "";       /* known at the end of the pass; set at commit */
  ri.engine_version = AFSCORE_VERSION;
  ri.params_json = pj;
  ri.files = m->files;
  ri.nfiles = m->nfiles;
  ri.file_sigs = sc->sigs;
  ri.groups = m->groups;
  ri.ngroups = m->ngroups;
  ri.group_text = score_group_text;
  ri.group_ctx = (void *)rn;
  int rc = store_run_begin(sc->st, &ri, &sc->run_id, e);
  free(pj);
  return rc;
}

/* store_sign_fn over a private key. */
static int score_sign(void *ctx, const char *msg, size_t len, unsigned char *sig, char *signer,
                      af_err *e) {
  const sign_key *k = ctx;
  snprintf(signer, 65, "%s", sign_key_fingerprint(k));
  return sign_bytes(k, msg, len, sig, e);
}

/* Refuse before anything is read or written: the input as the results
** database, an unusable signing key. */
static int score_preflight(cli_opts *o, sign_key **key) {
  *key = NULL;
  af_err e;
  if (o->out && outfile_same(o->db, o->out))
    return cli_usage_error(o, "--db and --out are the same file (%s); the results go to a "
                              "database of their own", o->out);
  if (o->sign_with && !o->out)
    return cli_usage_error(o, "--sign-with signs a recorded run: it needs --out");
  if (o->partition && !o->out)
    return cli_usage_error(o, "--partition records a partial run: it needs --out");
  if (o->sign_with && sign_key_load_private(o->sign_with, key, &e) < 0)
    return cli_fail("%s", e.msg);
  return 0;
}

int cmd_score(cli_opts *o) {
  if (!o->db || o->nmethods != 1 || o->npos)
    return cli_usage_error(o, "needs --db DATA.db and one --method METHOD.lua");
  score_ctx sc = {0};
  af_err e = {{0}};
  if (o->partition && merge_parse_partition(o->partition, &sc.part, &sc.nparts, &e) < 0)
    return cli_usage_error(o, "%s", e.msg);
  sign_key *key;
  int pre = score_preflight(o, &key);
  if (pre) return pre;
  model *m = cli_load_method(o->methods[0]);
  store_sig *sigs = NULL;
  cli_sigs status = {0};
  if (!m || cli_signatures(o, m->files, m->nfiles, NULL, &sigs, &status) != 0) {
    cli_sigs_free(&status);
    model_free(m);
    sign_key_free(key);
    return 1;
  }
  cli_run cr;
  sc.sigs = sigs;
  sc.db = o->db;
  sc.gids = af_calloc((size_t)m->ngroups + 1, sizeof *sc.gids);
  int rc = 1;
  const model *ms[1] = {m};
  run_options ro = {.begin_pass = score_begin, .batch = store_batch, .ctx = &sc,
                    .infer = RUN_INFER_ON, .level = o->level};
  if (cli_open_run(o, &cr, o->db, ms, 1, &ro)) goto done;
  if (o->out && cli_store_open(o->out, &sc.st)) goto done;
  if (key) store_run_set_signer(sc.st, score_sign, key);
  if (cli_execute(&cr, &e) < 0) {
    cli_fail("%s", e.msg);
    if (sc.st) store_run_abort(sc.st);
    goto done;
  }
  const run *rn = cr.rn;
  report_meta meta = {sc.run_id, AFSCORE_VERSION};
  json j = {0};
  report_summary_json(&j, rn, 0, &meta);
  store_part part = {sc.part, sc.nparts, run_stats(rn)->units, MERGE_SPLIT, ""};
  if (sc.st && (store_run_set_data(sc.st, run_stats(rn)->sha256, &e) < 0 ||
                (sc.nparts && store_run_set_partition(sc.st, &part, &e) < 0) ||
                store_run_commit(sc.st, j.out.s, &e) < 0)) {
    cli_fail("%s", e.msg);
    sb_free(&j.out);
    goto done;
  }
  if (sc.nparts)
    fprintf(stderr, "partition %lld/%lld: recorded %lld of %lld units; afscore merge combines "
                    "the partials\n", (long long)sc.part, (long long)sc.nparts,
            (long long)sc.recorded, (long long)run_stats(rn)->units);
  if (o->json) {
    json p = {0};
    report_summary_json_open(&p, rn, 0, &meta);
    cli_sigs_json(&p, &status);
    json_obj_end(&p);
    printf("%s\n", p.out.s);
    sb_free(&p.out);
  } else {
    cli_sigs_print(stdout, &status);
    strbuf t = {0};
    report_summary_text(&t, rn, 0, &meta);
    af_print_text(stdout, t.s);
    sb_free(&t);
  }
  sb_free(&j.out);
  rc = 0;
done:
  store_close(sc.st);
  free(sc.gids);
  run_close(cr.rn);
  model_free(m);
  free(sigs);
  cli_sigs_free(&status);
  sign_key_free(key);
  return rc;
}
