/*
** run.c: one pass over the data scoring one or more methodologies (run.h).
*/
#include "run.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "grouping.h"

struct run {
  run_options opt;
  source *src;
  strpool *pool;
  int n;                    /* methodologies */
  const model **models;
  rules **rules;
  scorer **scorers;
  measure **measures;
  /* the read plan: unit columns, then the weight and group columns of each
  ** methodology (aliased in bind names so that their types never clash) */
  source_plan plan;
  char **ucol, **bname;     /* plan column / name bound by programs */
  vtype *utype;
  int nu;
  char **mcol;
  vtype *mtype;
  int nm;
  int *weight_col;          /* per methodology: unit column index or -1 */
  int **group_col;          /* per methodology, per group: column, or -1 when computed */
  grouping **groupings;     /* per methodology: its computed groups */
  const column **groups;    /* scratch for score_batch: the largest ngroups */
  int (*design_col)[4];     /* per methodology: strata, psu, round, year column or -1 */
  infer **infers;           /* per methodology: NULL without strata, psu or round */
  infer_result *inference;  /* per methodology, after run_execute */
  source_stats stats;
  void **results_md;        /* per methodology: a run_digest (below) */
  char (*results_sha256)[65];/* final hex, after run_execute */
};

#include "fingerprint.h"

/* A methodology's results digest, kept in run.results_md: the sum of the
** SHA-256 of each unit's result (fingerprint.h), so that it does not depend
** on the order units are read in. */
typedef struct run_digest {
  fingerprint_sum sum;
  fingerprint_md *md;
} run_digest;

static int find_name(char **v, vtype *t, int n, const char *name, vtype type) {
  for (int i = 0; i < n; i++)
    if (strcmp(v[i], name) == 0 && (!t || t[i] == type)) return i;
  return -1;
}

/* Add a column to the plan unless an equal (name, type) is there. */
static int plan_unit(run *rn, const char *col, vtype t, const char *bind) {
  for (int i = 0; i < rn->nu; i++)
    if (strcmp(rn->ucol[i], col) == 0 && rn->utype[i] == t && strcmp(rn->bname[i], bind) == 0)
      return i;
  rn->ucol = af_realloc(rn->ucol, sizeof *rn->ucol * (size_t)(rn->nu + 1));
  rn->bname = af_realloc(rn->bname, sizeof *rn->bname * (size_t)(rn->nu + 1));
  rn->utype = af_realloc(rn->utype, sizeof *rn->utype * (size_t)(rn->nu + 1));
  rn->ucol[rn->nu] = af_strdup(col);
  rn->bname[rn->nu] = af_strdup(bind);
  rn->utype[rn->nu] = t;
  return rn->nu++;
}

static void plan_member(run *rn, const char *col, vtype t) {
  if (find_name(rn->mcol, NULL, rn->nm, col, t) >= 0) return;
  rn->mcol = af_realloc(rn->mcol, sizeof *rn->mcol * (size_t)(rn->nm + 1));
  rn->mtype = af_realloc(rn->mtype, sizeof *rn->mtype * (size_t)(rn->nm + 1));
  rn->mcol[rn->nm] = af_strdup(col);
  rn->mtype[rn->nm] = t;
  rn->nm++;
}

static int is_result_col(const rules *r, const char *name) {
  for (int c = 0; c < r->np2_cols; c++)
    if (strcmp(r->p2_cols[c].name, name) == 0) return 1;
  return 0;
}

static void plan_program(run *rn, const rules *r, const program *p) {
  if (!p) return;
  for (int i = 0; i < program_ninputs(p, 0); i++) {
    const char *c = program_input(p, 0, i);
    if (is_result_col(r, c)) continue;
    /* Rules see a column under its own name, whatever type they need. */
    if (find_name(rn->bname, NULL, rn->nu, c, 0) < 0) plan_unit(rn, c, program_input_type(p, 0, i), c);
  }
  for (int i = 0; i < program_ninputs(p, 1); i++)
    plan_member(rn, program_input(p, 1, i), program_input_type(p, 1, i));
}

/* Every methodology of a comparison must read the same units. */
static int same_tables(const model *a, const model *b, af_err *e) {
  int ok = strcmp(a->unit_table, b->unit_table) == 0 && strcmp(a->unit_id, b->unit_id) == 0;
  int am = a->member_table != NULL, bm = b->member_table != NULL;
  if (am && bm)
    ok = ok && strcmp(a->member_table, b->member_table) == 0 &&
         strcmp(a->member_unit, b->member_unit) == 0;
  if (!ok)
    return af_fail(e, "%s and %s read different tables (%s.%s vs %s.%s): they cannot be scored "
                   "in one pass", a->file, b->file, a->unit_table, a->unit_id, b->unit_table,
                   b->unit_id);
  return 0;
}

static void make_plan(run *rn) {
  const model *m0 = rn->models[0];
  const model *mm = NULL;
  for (int k = 0; k < rn->n; k++) {
    plan_program(rn, rn->rules[k], rn->rules[k]->p1);
    plan_program(rn, rn->rules[k], rn->rules[k]->p2);
    if (rn->models[k]->member_table && !mm) mm = rn->models[k];
  }
  rn->weight_col = af_calloc((size_t)rn->n, sizeof *rn->weight_col);
  rn->group_col = af_calloc((size_t)rn->n, sizeof *rn->group_col);
  int maxgroups = 0;
  rn->design_col = af_calloc((size_t)rn->n, sizeof *rn->design_col);
  for (int k = 0; k < rn->n; k++) {
    const model *m = rn->models[k];
    if (m->ngroups > maxgroups) maxgroups = m->ngroups;
    /* Weights and groups are bound under names no rule can write. */
    if (m->unit_weight) {
      char *b = af_sprintf("\x01weight:%s", m->unit_weight);
      rn->weight_col[k] = plan_unit(rn, m->unit_weight, VT_NUM, b);
      free(b);
    } else {
      rn->weight_col[k] = -1;
    }
    rn->group_col[k] = af_calloc((size_t)m->ngroups + 1, sizeof(int));
    for (int g = 0; g < m->ngroups; g++) {
      rn->group_col[k][g] = -1;
      if (model_group_rule(m, g)) continue; /* computed: grouping.c */
      char *b = af_sprintf("\x01group:%s", m->groups[g]);
      rn->group_col[k][g] = plan_unit(rn, m->groups[g], VT_TEXT, b);
      free(b);
    }
    /* Strata and PSUs are labels (text), rounds and years numbers. */
    const char *dcol[4] = {m->unit_strata, m->unit_psu, m->unit_round, m->unit_year};
    for (int i = 0; i < 4; i++) {
      rn->design_col[k][i] = -1;
      if (!dcol[i]) continue;
      char *b = af_sprintf("\x01" "design%d:%s", i, dcol[i]);
      rn->design_col[k][i] = plan_unit(rn, dcol[i], i < 2 ? VT_TEXT : VT_NUM, b);
      free(b);
    }
  }
  rn->groups = af_calloc((size_t)maxgroups + 1, sizeof *rn->groups);
  source_plan *p = &rn->plan;
  p->unit_table = m0->unit_table;
  p->unit_id = m0->unit_id;
  p->unit_cols = (const char *const *)rn->ucol;
  p->unit_types = rn->utype;
  p->nunit_cols = rn->nu;
  p->member_table = mm ? mm->member_table : NULL;
  p->member_unit = mm ? mm->member_unit : NULL;
  p->member_cols = (const char *const *)rn->mcol;
  p->member_types = rn->mtype;
  p->nmember_cols = rn->nm;
}

/* Inference is for methodologies that declare a design or rounds. */
static infer *run_infer_new(const model *m) {
  if (!m->unit_strata && !m->unit_psu && !m->unit_round) return NULL;
  double *w = af_calloc((size_t)m->ninds + 1, sizeof *w);
  for (int i = 0; i < m->ninds; i++) w[i] = m->inds[i].weight;
  infer_spec sp = {m->ninds, w, m->ngroups, m->unit_strata != NULL, m->unit_psu != NULL,
                   m->unit_round != NULL, m->unit_year != NULL, m->k};
  infer *in = infer_new(&sp);
  free(w);
  return in;
}

static void reset_digests(run *rn) {
  for (int k = 0; k < rn->n; k++) {
    run_digest *d = rn->results_md[k];
    memset(&d->sum, 0, sizeof d->sum);
  }
}

int run_open(run **out, const char *db, const model **models, int n, const run_options *opt,
             diag_list *d, af_err *e) {
  assert(n >= 1);
  run *rn = *out = af_calloc(1, sizeof *rn);
  if (opt) rn->opt = *opt;
  rn->n = n;
  rn->models = af_calloc((size_t)n, sizeof *rn->models);
  memcpy(rn->models, models, sizeof *models * (size_t)n);
  for (int k = 1; k < n; k++)
    if (same_tables(models[0], models[k], e) < 0) return -1;
  /* a FIFO or a device as the input would block or never end inside SQLite */
  if (af_check_regular(db, e) < 0 || source_open(db, &rn->src, e) < 0) return -1;
  rn->pool = strpool_new();
  rn->rules = af_calloc((size_t)n, sizeof *rn->rules);
  int bad = 0;
  for (int k = 0; k < n; k++)
    if (rules_compile(models[k], rn->src, rn->pool, &rn->rules[k], d) < 0) bad = 1;
  if (bad) return af_fail(e, "the methodology does not match the database %s", db);
  make_plan(rn);
  rn->plan.only_unit = rn->opt.only_unit;
  rn->results_md = af_calloc((size_t)n, sizeof *rn->results_md);
  rn->results_sha256 = af_calloc((size_t)n, sizeof *rn->results_sha256);
  for (int k = 0; k < n; k++) {
    run_digest *rd = af_calloc(1, sizeof *rd);
    rd->md = fingerprint_md_new();
    rn->results_md[k] = rd;
  }
  reset_digests(rn);
  rn->scorers = af_calloc((size_t)n, sizeof *rn->scorers);
  rn->measures = af_calloc((size_t)n, sizeof *rn->measures);
  rn->infers = af_calloc((size_t)n, sizeof *rn->infers);
  rn->inference = af_calloc((size_t)n, sizeof *rn->inference);
  rn->groupings = af_calloc((size_t)n, sizeof *rn->groupings);
  for (int k = 0; k < n; k++) {
    rn->groupings[k] = grouping_new(rn->models[k], rn->rules[k], rn->pool);
    /* A computed group without bins interns its labels as values are met,
    ** on the scoring thread: the reader thread must not write the pool
    ** then, so the pass runs on one thread. */
    if (grouping_interns(rn->groupings[k])) rn->opt.threads = 1;
    if (rn->opt.infer) rn->infers[k] = run_infer_new(rn->models[k]);
    if (rn->infers[k] && rn->opt.infer == RUN_INFER_BY_SCORE) infer_by_score(rn->infers[k]);
    rn->scorers[k] = scorer_new(rn->rules[k]);
    rn->measures[k] = measure_new(rn->rules[k]);
    if (scorer_bind(rn->scorers[k], (const char *const *)rn->bname, rn->nu,
                    (const char *const *)rn->mcol, rn->nm, e) < 0)
      return -1;
  }
  return 0;
}

/* Add the batch's unit results to methodology k's results digest: the
** SHA-256 of each unit's id, score bits, category and eligibility, summed, so
** the same results give the same digest in any read order. */
static void digest_results(run *rn, int k, const batch *b, const char *const *ids) {
  const scorer *s = rn->scorers[k];
  run_digest *d = rn->results_md[k];
  strbuf buf = {0};
  for (int u = 0; u < b->nunits; u++) {
    buf.len = 0;
    sb_puts(&buf, ids[u]);
    sb_putc(&buf, '\0');
    sb_putn(&buf, (const char *)&s->score[u], sizeof(double));
    int32_t band = s->band[u];
    sb_putn(&buf, (const char *)&band, sizeof band);
    sb_putn(&buf, (const char *)&s->eligible[u], sizeof(uint64_t));
    fingerprint_sum_hash(&d->sum, d->md, buf.s, buf.len);
  }
  sb_free(&buf);
}

/* The results digest: SHA-256 of a version tag and the sum. */
static void digest_final(const run_digest *d, char hex[65]) {
  static const char tag[] = "afscore results digest 2";
  unsigned char msg[sizeof tag + 32];
  memcpy(msg, tag, sizeof tag);
  fingerprint_sum_bytes(&d->sum, msg + sizeof tag);
  af_sha256_hex(msg, sizeof msg, hex);
}

static int add_inference(run *rn, int k, const batch *b, const char *const *ids, af_err *e) {
  const model *m = rn->models[k];
  const column **cols = af_calloc((size_t)m->ngroups + 5, sizeof *cols);
  cols[0] = rn->weight_col[k] >= 0 ? &b->ucols[rn->weight_col[k]] : NULL;
  for (int i = 0; i < 4; i++)
    cols[1 + i] = rn->design_col[k][i] >= 0 ? &b->ucols[rn->design_col[k][i]] : NULL;
  for (int g = 0; g < m->ngroups; g++) cols[5 + g] = run_group_column(rn, k, g, b);
  int rc = infer_add_batch(rn->infers[k], rn->scorers[k], b, cols, ids, e);
  free(cols);
  return rc;
}

static int score_batch(run *rn, const batch *b, const char *const *ids, af_err *e) {
  for (int k = 0; k < rn->n; k++) {
    const model *m = rn->models[k];
    scorer_eval_batch(rn->scorers[k], b);
    if (scorer_check(rn->scorers[k], ids, e) < 0) return -1;
    grouping_eval(rn->groupings[k], rn->scorers[k]);
    digest_results(rn, k, b, ids);
    const column *w = rn->weight_col[k] >= 0 ? &b->ucols[rn->weight_col[k]] : NULL;
    for (int g = 0; g < m->ngroups; g++) rn->groups[g] = run_group_column(rn, k, g, b);
    if (measure_add_batch(rn->measures[k], rn->scorers[k], b, w, rn->groups, ids, e) < 0)
      return -1;
    if (rn->infers[k] && add_inference(rn, k, b, ids, e) < 0) return -1;
  }
  return 0;
}

/* Begin a pass (again) from the first unit: fresh measures and digests,
** then the caller's begin_pass hook. */
static int begin_pass(run *rn, af_err *e) {
  for (int k = 0; k < rn->n; k++) {
    measure_free(rn->measures[k]);
    rn->measures[k] = measure_new(rn->rules[k]);
    if (rn->infers[k]) infer_reset(rn->infers[k]);
  }
  reset_digests(rn);
  return rn->opt.begin_pass ? rn->opt.begin_pass(rn->opt.ctx, rn, e) : 0;
}

/* ---- the pass ----
**
** Reading (SQLite, value checks, the data fingerprint) takes most of the
** time. With two threads, readers fill batches while the main thread scores,
** accumulates and hands them to the batch hook. When the data can be read in
** parts (source_parts_open: stored order, an index on the member key), two
** reader threads read alternate chunks, each into its own ring of NSLOTS
** slots, and the main thread takes chunk 0, 1, 2... from the rings in turn;
** else one reader thread reads batches into one ring. Each reader copies its
** batch into a slot; memory stays flat. The main thread sees the same batches
** in the same order with one thread or several (a chunk is a batch whoever
** reads it), so measures, digests and the hook's work do not depend on the
** number of threads. The strpool is written by the readers only: consumers
** must not read it during the pass (threads = 1 for those that do, such as
** explain). */

#define NSLOTS 3
#define NREADERS 2                /* reader threads when the data are read in parts */

enum { SLOT_BATCH, SLOT_RESTART, SLOT_END, SLOT_ERROR };

typedef struct slot {
  int kind;
  af_err err;               /* SLOT_ERROR */
  batch b;
  int ucap, mcap, ncols_u, ncols_m;
  int *mstart;
  char *idbuf;
  size_t idcap;
  const char **ids;
  int idscap;
} slot;

typedef struct ring {
  slot slots[NSLOTS];
  int head, count;          /* filled slots: [head, head+count) */
} ring;

typedef struct pipe_ {
  source_reader *rd;        /* one reader (the half being read), or: */
  source_reader *lo, *hi;   /* a sorted read in halves: hi is read after lo */
  pthread_t prefetch;       /* running hi's sorts while lo is read */
  int prefetching, prefetch_rc;
  af_err prefetch_err;
  source_parts *parts;      /* reading in parts, chunk c read by reader c % nrings */
  int nrings;
  ring *rings;
  int stop;                 /* the consumer gave up */
  pthread_mutex_t mu;
  pthread_cond_t cv;
} pipe_;

typedef struct reader_arg {
  pipe_ *p;
  int i;
} reader_arg;

static void copy_cols(column **dst, int *cap, const column *src, int ncols, int len) {
  if (!*dst) *dst = af_calloc((size_t)ncols + 1, sizeof **dst);
  if (len > *cap) {
    int c = *cap ? *cap : 1024;
    while (c < len) c *= 2;
    for (int i = 0; i < ncols; i++) {
      (*dst)[i].v = af_realloc((*dst)[i].v, sizeof(double) * (size_t)c);
      (*dst)[i].null = af_realloc((*dst)[i].null, (size_t)c);
    }
    *cap = c;
  }
  for (int i = 0; i < ncols && len > 0; i++) {   /* no arrays yet when len is 0 */
    memcpy((*dst)[i].v, src[i].v, sizeof(double) * (size_t)len);
    memcpy((*dst)[i].null, src[i].null, (size_t)len);
  }
}

static void slot_fill(slot *sl, const batch *b, const char *const *ids) {
  int n = b->nunits;
  copy_cols(&sl->b.ucols, &sl->ucap, b->ucols, b->nucols, n);
  copy_cols(&sl->b.mcols, &sl->mcap, b->mcols, b->nmcols, b->nmembers);
  sl->ncols_u = b->nucols;
  sl->ncols_m = b->nmcols;
  sl->mstart = af_realloc(sl->mstart, sizeof(int) * (size_t)(n + 1));
  memcpy(sl->mstart, b->mstart, sizeof(int) * (size_t)(n + 1));
  size_t need = 0;
  for (int u = 0; u < n; u++) need += strlen(ids[u]) + 1;
  if (need > sl->idcap) {
    sl->idcap = need * 2;
    sl->idbuf = af_realloc(sl->idbuf, sl->idcap);
  }
  if (n > sl->idscap) {
    sl->idscap = n;
    sl->ids = af_realloc(sl->ids, sizeof *sl->ids * (size_t)n);
  }
  size_t off = 0;
  for (int u = 0; u < n; u++) {
    size_t len = strlen(ids[u]) + 1;
    memcpy(sl->idbuf + off, ids[u], len);
    sl->ids[u] = sl->idbuf + off;
    off += len;
  }
  sl->b.nunits = n;
  sl->b.nmembers = b->nmembers;
  sl->b.mstart = sl->mstart;
  sl->b.nucols = b->nucols;
  sl->b.nmcols = b->nmcols;
}

static void slot_free(slot *sl) {
  for (int i = 0; sl->b.ucols && i < sl->ncols_u; i++) free(sl->b.ucols[i].v), free(sl->b.ucols[i].null);
  for (int i = 0; sl->b.mcols && i < sl->ncols_m; i++) free(sl->b.mcols[i].v), free(sl->b.mcols[i].null);
  free(sl->b.ucols);
  free(sl->b.mcols);
  free(sl->mstart);
  free(sl->idbuf);
  free(sl->ids);
}

static void *pipe_prefetch_main(void *arg) {
  pipe_ *p = arg;
  p->prefetch_rc = source_read_prefetch(p->hi, &p->prefetch_err);
  return NULL;
}

/* Wait for hi's sorts: 0, or -1 with their error. */
static int pipe_prefetch_join(pipe_ *p, af_err *e) {
  if (!p->prefetching) return 0;
  pthread_join(p->prefetch, NULL);
  p->prefetching = 0;
  if (p->prefetch_rc < 0) *e = p->prefetch_err;
  return p->prefetch_rc < 0 ? -1 : 0;
}

/* Read item c (a batch, or chunk c) with reader i: its slot kind. */
static int pipe_read(pipe_ *p, int i, int64_t c, batch *b, const char *const **ids, af_err *e) {
  int got;
  if (p->parts) {
    if (c >= source_parts_chunks(p->parts)) return SLOT_END;
    got = source_parts_read(p->parts, i, c, b, ids, e);
    if (got == 0) return SLOT_BATCH;   /* a chunk without units: not the end */
  } else {
    got = source_read_batch(p->rd, b, ids, KERNEL_BATCH, e);
    if (got == 0 && p->hi && p->rd != p->hi) {   /* the first half is read: on to the second */
      if (pipe_prefetch_join(p, e) < 0) return SLOT_ERROR;
      source_read_follow(p->hi, p->lo);
      p->rd = p->hi;
      got = source_read_batch(p->rd, b, ids, KERNEL_BATCH, e);
    }
  }
  return got > 0 ? SLOT_BATCH : got == SOURCE_RESTART ? SLOT_RESTART
       : got == 0 ? SLOT_END : SLOT_ERROR;
}

static void *reader_main(void *arg) {
  pipe_ *p = ((reader_arg *)arg)->p;
  int i = ((reader_arg *)arg)->i;
  ring *rg = &p->rings[i];
  batch b;
  memset(&b, 0, sizeof b);
  for (int64_t c = i;; c += p->nrings) {
    pthread_mutex_lock(&p->mu);
    while (rg->count == NSLOTS && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
    int stop = p->stop;
    /* The free slot after the filled ones, read under the lock: the consumer
    ** moves head. It stays free until count is raised below. */
    slot *sl = &rg->slots[(rg->head + rg->count) % NSLOTS];
    assert(rg->count < NSLOTS || stop);
    pthread_mutex_unlock(&p->mu);
    if (stop) return NULL;
    const char *const *ids = NULL;
    af_err e = {{0}};
    int kind = pipe_read(p, i, c, &b, &ids, &e);
    sl->kind = kind;
    if (kind == SLOT_BATCH) slot_fill(sl, &b, ids);
    if (kind == SLOT_ERROR) sl->err = e;
    pthread_mutex_lock(&p->mu);
    rg->count++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    /* One reader goes on after a restart: it reads again, sorted. */
    if (kind == SLOT_END || kind == SLOT_ERROR || (kind == SLOT_RESTART && p->parts)) return NULL;
  }
}

/* Consume what one read of the source gives: -1 error, 0 done, 1 go on,
** 2 read again sorted (the parts found the members not grouped). */
static int consume(run *rn, int parts, int kind, const batch *b, const char *const *ids,
                   af_err *e) {
  if (kind == SLOT_RESTART && parts) return 2;
  if (kind == SLOT_RESTART) return begin_pass(rn, e) < 0 ? -1 : 1;
  if (kind != SLOT_BATCH) return kind == SLOT_END ? 0 : -1;
  run_batch_fn fn = rn->opt.batch;
  if (score_batch(rn, b, ids, e) < 0 || (fn && fn(rn->opt.ctx, rn, b, ids, e) < 0)) return -1;
  return 1;
}

static int execute_threaded(run *rn, pipe_ *p, af_err *e) {
  p->rings = af_calloc((size_t)p->nrings, sizeof *p->rings);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  pthread_t th[NREADERS];
  reader_arg args[NREADERS];
  assert(p->nrings >= 1 && p->nrings <= NREADERS);
  int started = 0, rc = 1;
  for (; started < p->nrings; started++) {
    args[started] = (reader_arg){p, started};
    if (pthread_create(&th[started], NULL, reader_main, &args[started]) != 0) {
      rc = af_fail(e, "cannot start a reader thread");
      break;
    }
  }
  for (int64_t c = 0; rc == 1; c++) {
    ring *rg = &p->rings[c % p->nrings];
    pthread_mutex_lock(&p->mu);
    while (rg->count == 0) pthread_cond_wait(&p->cv, &p->mu);
    assert(rg->count <= NSLOTS);
    slot *sl = &rg->slots[rg->head];
    pthread_mutex_unlock(&p->mu);
    rc = consume(rn, p->parts != NULL, sl->kind, &sl->b, sl->ids, e);
    if (sl->kind == SLOT_ERROR) *e = sl->err;
    pthread_mutex_lock(&p->mu);
    rg->head = (rg->head + 1) % NSLOTS;
    rg->count--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  if (p->parts) source_parts_cancel(p->parts);   /* readers waiting for their turn */
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < p->nrings; i++)
    for (int j = 0; j < NSLOTS; j++) slot_free(&p->rings[i].slots[j]);
  free(p->rings);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  return rc;
}

static int execute_serial(run *rn, pipe_ *p, af_err *e) {
  batch b;
  memset(&b, 0, sizeof b);
  for (int64_t c = 0;; c++) {
    const char *const *ids = NULL;
    int kind = pipe_read(p, 0, c, &b, &ids, e);
    int rc = consume(rn, p->parts != NULL, kind, &b, ids, e);
    if (rc != 1) return rc;
  }
}

/* Read in parts when the data allow (the same chunks for any number of
** threads): 0 done, 1 the data must be read sorted instead, -1 error. */
static int execute_parts(run *rn, af_err *e) {
  int threads = rn->opt.threads == 1 ? 1 : NREADERS;
  pipe_ p = {.nrings = threads};
  if (source_parts_open(rn->src, &rn->plan, rn->pool, threads, &p.parts, e) < 0) return -1;
  if (!p.parts) return 1;
  int rc = threads == 1 ? execute_serial(rn, &p, e) : execute_threaded(rn, &p, e);
  source_parts_close(p.parts, rc == 0 ? &rn->stats : NULL);
  if (rc == 2) {   /* members not grouped after all: sorted, from the first unit */
    rn->plan.sorted = 1;
    return begin_pass(rn, e) < 0 ? -1 : 1;
  }
  return rc < 0 ? -1 : 0;
}

/* One reader, in stored order or sorted. With two threads a sorted read goes
** in halves (source.h): a thread runs the second half's sorts while the
** reader thread reads the first half. */
static int execute_one(run *rn, af_err *e) {
  pipe_ p = {.nrings = 1};
  int rc = rn->plan.sorted && rn->opt.threads != 1
               ? source_read_begin_halves(rn->src, &rn->plan, rn->pool, &p.lo, &p.hi, e)
               : source_read_begin(rn->src, &rn->plan, rn->pool, &p.lo, e);
  if (rc < 0) return -1;
  p.rd = p.lo;
  if (p.hi) {
    if (pthread_create(&p.prefetch, NULL, pipe_prefetch_main, &p) != 0)
      rc = af_fail(e, "cannot start a reader thread");
    else p.prefetching = 1;
  }
  if (rc == 0) rc = rn->opt.threads == 1 ? execute_serial(rn, &p, e) : execute_threaded(rn, &p, e);
  af_err ignored;
  (void)pipe_prefetch_join(&p, &ignored);   /* the read stopped before the second half */
  source_read_end_halves(p.lo, p.hi, &rn->stats);
  return rc < 0 ? -1 : 0;
}

int run_execute(run *rn, af_err *e) {
  int rc = begin_pass(rn, e) < 0 ? -1 : execute_parts(rn, e);
  if (rc == 1) rc = execute_one(rn, e);
  for (int k = 0; k < rn->n; k++) measure_sort_groups(rn->measures[k], rn->pool);
  for (int k = 0; rc >= 0 && k < rn->n; k++)
    if (rn->infers[k] &&
        infer_finish(rn->infers[k], rn->pool, rn->opt.level > 0 ? rn->opt.level : 0.95,
                     &rn->inference[k], e) < 0)
      rc = -1;
  for (int k = 0; k < rn->n; k++) digest_final(rn->results_md[k], rn->results_sha256[k]);
  return rc < 0 ? -1 : 0;
}

void run_close(run *rn) {
  if (!rn) return;
  for (int k = 0; k < rn->n; k++) {
    if (rn->scorers) scorer_free(rn->scorers[k]);
    if (rn->measures) measure_free(rn->measures[k]);
    if (rn->rules) rules_free(rn->rules[k]);
    if (rn->group_col) free(rn->group_col[k]);
    if (rn->groupings) grouping_free(rn->groupings[k]);
    if (rn->infers) infer_free(rn->infers[k]);
    if (rn->inference) infer_result_free(&rn->inference[k]);
    if (rn->results_md && rn->results_md[k]) {
      run_digest *d = rn->results_md[k];
      fingerprint_md_free(d->md);
      free(d);
    }
  }
  free(rn->results_md);
  free(rn->results_sha256);
  free(rn->scorers);
  free(rn->measures);
  free(rn->rules);
  free(rn->group_col);
  free(rn->groupings);
  free(rn->design_col);
  free(rn->infers);
  free(rn->inference);
  free(rn->weight_col);
  for (int i = 0; i < rn->nu; i++) {
    free(rn->ucol[i]);
    free(rn->bname[i]);
  }
  free(rn->ucol);
  free(rn->bname);
  free(rn->utype);
  for (int i = 0; i < rn->nm; i++) free(rn->mcol[i]);
  free(rn->mcol);
  free(rn->mtype);
  free(rn->models);
  free(rn->groups);
  if (rn->pool) strpool_free(rn->pool);
  if (rn->src) source_close(rn->src);
  free(rn);
}

/* ---- accessors ---- */

int run_count(const run *rn) { return rn->n; }

const model *run_model(const run *rn, int k) {
  assert(k >= 0 && k < rn->n);
  return rn->models[k];
}

const rules *run_rules(const run *rn, int k) {
  assert(k >= 0 && k < rn->n);
  return rn->rules[k];
}

const scorer *run_scorer(const run *rn, int k) {
  assert(k >= 0 && k < rn->n);
  return rn->scorers[k];
}

const measure *run_measure(const run *rn, int k) {
  assert(k >= 0 && k < rn->n);
  return rn->measures[k];
}

const column *run_group_column(const run *rn, int k, int g, const batch *b) {
  assert(k >= 0 && k < rn->n && g >= 0 && g < rn->models[k]->ngroups);
  int c = rn->group_col[k][g];
  if (c < 0) return grouping_column(rn->groupings[k], g);
  assert(c < b->nucols);
  return &b->ucols[c];
}

const strpool *run_pool(const run *rn) { return rn->pool; }
const source_plan *run_plan(const run *rn) { return &rn->plan; }
const source_stats *run_stats(const run *rn) { return &rn->stats; }

const infer_result *run_inference(const run *rn, int k) {
  assert(k >= 0 && k < rn->n);
  return rn->infers[k] ? &rn->inference[k] : NULL;
}

const char *run_results_sha256(const run *rn, int k) {
  assert(k >= 0 && k < rn->n);
  return rn->results_sha256[k];
}

int64_t run_count_units(const run *rn) { return source_count_rows(rn->src, rn->plan.unit_table); }
