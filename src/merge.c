/*
** merge.c: the split of a run into partitions and the merge of the partial
** runs into one recorded run (merge.h).
**
** Why every partial reads and scores every unit: the measure's sums are
** long doubles taken in data order, which give the same bits only when
** added in the same order, and a split by a hash of the id is no range of
** the data SQLite could read alone. A partial that reads everything gets the
** whole run's sums exactly; what is split is what grows with the rows
** written, the recording of unit_scores. The merged run's summary is then
** any partial's (they must all agree, and do when the inputs are the same).
**
** Each partial's rows carry their position in the whole run (seq: a
** partial passes over the other partitions' units with store_run_skip), so
** the merge interleaves by position, in whatever order the run was read
** (key or stored), and reads each partial once, checking its rows and digest
** as it goes (store_iter_begin_checked): a damaged partial fails the merge
** before anything is committed.
**
** With two threads the partials are read and checked on one and the rows
** written on the other (merge_pipe), in batches handed over in order: the
** writer makes the same store_run_unit calls in the same order as one
** thread would, so the merged file is the same.
*/
#include "merge.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "strpool.h"

uint64_t merge_hash(const char *id) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 1099511628211ull;
  return h;
}

int64_t merge_partition_of(const char *id, int64_t nparts) {
  assert(nparts >= 1);
  return (int64_t)(merge_hash(id) % (uint64_t)nparts) + 1;
}

/* A whole number in [lo, hi] spelled with digits only. */
static int merge_number(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out) {
  if (n == 0 || n > 6) return -1;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  if (v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int merge_parse_partition(const char *text, int64_t *part, int64_t *nparts, af_err *e) {
  const char *slash = strchr(text, '/');
  if (!slash || merge_number(slash + 1, strlen(slash + 1), 1, MERGE_MAX_PARTS, nparts) < 0 ||
      merge_number(text, (size_t)(slash - text), 1, *nparts, part) < 0)
    return af_fail(e, "--partition needs I/N with 1 <= I <= N <= %d (such as 2/8), got '%s'",
                   MERGE_MAX_PARTS, text);
  return 0;
}

/* ---- the partials ---- */

typedef struct merge_part {
  const char *path;
  int seq;                  /* place among the inputs */
  store *st;
  run_record rec;
  store_part part;
  store_iter *it;
  int32_t *gid;             /* value code c (1..) -> its id in the merged run's pool */
  int32_t *codes;           /* the current row's codes */
  /* the current row (valid until the iterator moves) */
  const char *unit, *cat;
  double score;
  int poor;
  int64_t elig, at;         /* the row's position in the whole run (seq) */
  int done;                 /* every row read */
} merge_part;

/* The one partial run in p->path. */
static int merge_load(merge_part *p, af_err *e) {
  if (store_open_readonly(p->path, &p->st, e) < 0) return -1;
  run_record *runs;
  int nruns;
  if (store_list_runs(p->st, &runs, &nruns, e) < 0) return -1;
  int64_t id = 0;
  int found = 0, rc = 0;
  for (int i = 0; rc >= 0 && i < nruns; i++) {
    store_part sp;
    rc = store_run_partition(p->st, runs[i].id, &sp, e);
    if (rc == 1 && found++ == 0) id = runs[i].id;
  }
  store_free_runs(runs, nruns);
  if (rc < 0) return -1;
  if (found != 1)
    return af_fail(e, found ? "%s holds %d partial runs; merge takes one partial per file"
                            : "%s holds no partial run (score --partition I/N --out writes one)",
                   p->path, found);
  if (store_load_run(p->st, id, &p->rec, e) < 0) return -1;
  return store_run_partition(p->st, id, &p->part, e) < 0 ? -1 : 0;
}

/* The summary with its run id replaced by id (0: null). The key "run_id" is
** at the summary's top level; inside a JSON string its quotes would be
** escaped, so the first "run_id": is the key. */
static char *merge_summary(const char *summary, int64_t id) {
  const char *k = summary ? strstr(summary, "\"run_id\":") : NULL;
  if (!k) return af_strdup(summary ? summary : "");
  const char *v = k + strlen("\"run_id\":");
  while (*v == ' ') v++;
  const char *end = v;
  while ((*end >= '0' && *end <= '9') || (*end >= 'a' && *end <= 'z')) end++;
  char num[32];
  if (id > 0) snprintf(num, sizeof num, "%lld", (long long)id);
  else snprintf(num, sizeof num, "null");
  return af_sprintf("%.*s%s%s", (int)(v - summary), summary, num, end);
}

static int merge_same(const char *a, const char *b) {
  return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The partials' methodologies: every file, byte for byte (by sha256), and the
** parameters. */
static int merge_same_method(const run_record *a, const run_record *b) {
  if (!merge_same(a->methodology_sha256, b->methodology_sha256) || a->nfiles != b->nfiles ||
      !merge_same(a->params_json, b->params_json) || !merge_same(a->scoring, b->scoring))
    return 0;
  for (int i = 0; i < a->nfiles; i++)
    if (strcmp(a->files[i].sha256, b->files[i].sha256) != 0) return 0;
  return 1;
}

/* q is a partial of the same run as p (the first), or e says how not. */
static int merge_check_pair(const merge_part *p, const merge_part *q, af_err *e) {
  const run_record *a = &p->rec, *b = &q->rec;
  if (p->part.nparts != q->part.nparts || strcmp(p->part.split, q->part.split) != 0)
    return af_fail(e, "%s is partition %lld/%lld (%s), %s is partition %lld/%lld (%s): they are "
                      "not partitions of one split", p->path, (long long)p->part.part,
                   (long long)p->part.nparts, p->part.split, q->path, (long long)q->part.part,
                   (long long)q->part.nparts, q->part.split);
  if (!merge_same(a->engine_version, b->engine_version))
    return af_fail(e, "%s was scored by %s, %s by %s: partials of different engine versions are "
                      "not merged", p->path, a->engine_version, q->path, b->engine_version);
  if (!merge_same_method(a, b))
    return af_fail(e, "%s was scored with %s %s (sha256 %.16s), %s with %s %s (sha256 %.16s), or "
                      "with other imports or parameters: partials of different methodologies "
                      "are not merged", p->path, a->methodology_name, a->methodology_version,
                   a->methodology_sha256, q->path, b->methodology_name, b->methodology_version,
                   b->methodology_sha256);
  if (!merge_same(a->data_sha256, b->data_sha256) || p->part.units_all != q->part.units_all)
    return af_fail(e, "%s was scored on data with fingerprint %.16s (%lld units), %s on data with "
                      "fingerprint %.16s (%lld units): partials of different data are not merged",
                   p->path, a->data_sha256, (long long)p->part.units_all, q->path,
                   b->data_sha256, (long long)q->part.units_all);
  if (a->group_columns != b->group_columns)
    return af_fail(e, "%s records %d group columns, %s %d: not merged", p->path,
                   a->group_columns, q->path, b->group_columns);
  char *sa = merge_summary(a->summary_json, 0), *sb = merge_summary(b->summary_json, 0);
  int same = strcmp(sa, sb) == 0 && merge_same(a->unit_order, b->unit_order);
  free(sa);
  free(sb);
  if (!same)
    return af_fail(e, "%s and %s have the same methodology and data but different summaries "
                      "(scored with other options, such as --level, or the methodology given "
                      "by another path): not merged", p->path,
                   q->path);
  return 0;
}

static int merge_cmp_part(const void *x, const void *y) {
  const merge_part *a = x, *b = y;
  if (a->part.part != b->part.part) return a->part.part < b->part.part ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorted by partition: each partition of 1..N exactly once, all of one run. */
static int merge_check(merge_part *ps, int n, af_err *e) {
  for (int i = 1; i < n; i++)
    if (merge_check_pair(&ps[0], &ps[i], e) < 0) return -1;
  qsort(ps, (size_t)n, sizeof *ps, merge_cmp_part);
  for (int i = 1; i < n; i++)
    if (ps[i].part.part == ps[i - 1].part.part)
      return af_fail(e, "%s and %s are both partition %lld/%lld", ps[i - 1].path, ps[i].path,
                     (long long)ps[i].part.part, (long long)ps[i].part.nparts);
  int64_t want = 1, nparts = ps[0].part.nparts;
  for (int i = 0; i < n && want <= nparts; i++, want++)
    if (ps[i].part.part != want) break;
  if (want <= nparts)
    return af_fail(e, "partition %lld/%lld is missing: merge needs every partition of the run "
                      "(%d given)", (long long)want, (long long)nparts, n);
  return 0;
}

/* A partial's rows against their checks and digest, once all are read. */
static int merge_verdict(merge_part *p, af_err *e) {
  store_verdict v;
  store_iter_verdict(p->it, &v);
  if (v.changed || v.missing || !v.digest_ok || v.rows != p->rec.units)
    return af_fail(e, "%s: run %lld does not verify (%s%s): a partial changed after it was "
                      "scored is not merged", p->path, (long long)p->rec.id,
                   v.first[0] ? v.first : "the rows do not hash to the recorded results digest",
                   "");
  return 0;
}

/* ---- group values ----
**
** Each partial codes its units' group values in the order it met them, so
** one value has other codes in other partials. Their texts are interned
** into one pool: a value has one id whichever partial it comes from, and the
** merged run codes it in the order the interleaved rows meet it, as the run
** on one machine did. */

static const char *merge_group_text(void *ctx, int32_t id) {
  return strpool_get(ctx, id);
}

static void merge_group_ids(merge_part *ps, int n, strpool *pool) {
  for (int i = 0; i < n; i++) {
    const run_record *r = &ps[i].rec;
    ps[i].gid = af_calloc((size_t)r->ngroup_values + 1, sizeof *ps[i].gid);
    for (int c = 1; c <= r->ngroup_values; c++)
      ps[i].gid[c] = strpool_intern(pool, r->group_values[c - 1], strlen(r->group_values[c - 1]));
    ps[i].codes = af_calloc((size_t)(r->group_columns > 0 ? r->group_columns : 0) + 1,
                            sizeof *ps[i].codes);
  }
}

/* The current row's group values as ids of the merged pool (-1: NULL). */
static int merge_row_groups(const merge_part *p, int32_t *ids, af_err *e) {
  int n = p->rec.group_columns;
  if (store_iter_groups(p->it, p->codes, n, p->rec.ngroup_values) != 1)
    return af_fail(e, "%s: unit '%s': its group values are missing or damaged", p->path,
                   p->unit);
  for (int g = 0; g < n; g++) ids[g] = p->codes[g] ? p->gid[p->codes[g]] : -1;
  return 0;
}

/* ---- interleaving ---- */

/* Move p to its next row: 1 a row, 0 the end, -1 error. A row of another
** partition is damage (or another split); one without a position was
** written before results schema 4. */
static int merge_advance(merge_part *p, af_err *e) {
  int rc = store_iter_next(p->it, &p->unit, &p->score, &p->poor, &p->cat, &p->elig, e);
  p->at = rc == 1 ? store_iter_seq(p->it) : 0;
  p->done = rc == 0;
  if (rc == 1 && p->at <= 0)
    return af_fail(e, "%s: its rows carry no positions (recorded before results schema 4): "
                      "score the partition again with this afscore", p->path);
  if (rc == 1 && merge_partition_of(p->unit, p->part.nparts) != p->part.part)
    return af_fail(e, "%s: unit '%s' belongs to partition %lld/%lld, not %lld", p->path, p->unit,
                   (long long)merge_partition_of(p->unit, p->part.nparts),
                   (long long)p->part.nparts, (long long)p->part.part);
  return rc;
}

/* A binary heap of the partials that have a row left, least position
** first: the rows come out in the whole run's order, whatever it is (key or
** stored), without comparing a unit id. */
typedef struct merge_heap {
  merge_part **v;
  int n;
} merge_heap;

static int merge_less(const merge_heap *h, int i, int j) {
  return h->v[i]->at < h->v[j]->at;
}

static void merge_swap(merge_heap *h, int i, int j) {
  merge_part *t = h->v[i];
  h->v[i] = h->v[j];
  h->v[j] = t;
}

static void merge_sift_down(merge_heap *h, int i) {
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && merge_less(h, l, m)) m = l;
    if (r < h->n && merge_less(h, r, m)) m = r;
    if (m == i) return;
    merge_swap(h, i, m);
    i = m;
  }
}

static void merge_push(merge_heap *h, merge_part *p) {
  int i = h->n++;
  h->v[i] = p;
  while (i > 0 && merge_less(h, i, (i - 1) / 2)) {
    merge_swap(h, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

/* The rest of each partial's rows read (checked), then their verdicts: a
** damaged partial is named rather than the symptom the merge met. */
static int merge_verdicts(merge_part *ps, int n, af_err *e) {
  for (int i = 0; i < n; i++) {
    int rc = 0;
    while (!ps[i].done && (rc = merge_advance(&ps[i], e)) == 1) continue;
    if (rc < 0 || merge_verdict(&ps[i], e) < 0) return -1;
  }
  return 0;
}

/* Where the interleaved rows go: row p (its groups as ids, or NULL) given
** to ctx: 0, or -1 with e set. */
typedef int (*merge_emit_fn)(void *ctx, const merge_part *p, const int32_t *ids, af_err *e);

/* Every row of every partial to emit, in the run's order (by position),
** each partial read once and checked as it is read; *units the rows given. */
static int merge_rows(merge_part *ps, int n, merge_emit_fn emit, void *ctx, int64_t *units,
                      af_err *e) {
  merge_heap h = {af_calloc((size_t)n, sizeof *h.v), 0};
  int ng = ps[0].rec.group_columns > 0 ? ps[0].rec.group_columns : 0;
  int32_t *ids = af_calloc((size_t)ng + 1, sizeof *ids);
  int rc = 0;
  for (int i = 0; rc >= 0 && i < n; i++) {
    rc = store_iter_begin_checked(ps[i].st, &ps[i].rec, &ps[i].it, e);
    if (rc >= 0) rc = merge_advance(&ps[i], e);
    if (rc == 1) merge_push(&h, &ps[i]);
  }
  *units = 0;
  while (rc >= 0 && h.n > 0) {
    merge_part *p = h.v[0];
    if (p->at != *units + 1) {
      /* a position no partial holds, or two hold: damage, unless a verdict names it */
      int64_t at = p->at > *units + 1 ? *units + 1 : p->at;
      rc = merge_verdicts(ps, n, e);
      if (rc == 0)
        rc = af_fail(e, "%s the row at position %lld of the run: not merged",
                     p->at > *units + 1 ? "no partial holds" : "two partials hold",
                     (long long)at);
      break;
    }
    if (ng && merge_row_groups(p, ids, e) < 0) {
      rc = -1;
      break;
    }
    rc = emit(ctx, p, ng ? ids : NULL, e);
    if (rc < 0) break;
    (*units)++;
    rc = merge_advance(p, e);
    if (rc == 0) h.v[0] = h.v[--h.n];
    if (rc >= 0 && h.n > 0) merge_sift_down(&h, 0);
  }
  free(h.v);
  free(ids);
  if (rc >= 0) rc = merge_verdicts(ps, n, e);
  return rc < 0 ? -1 : 0;
}

/* One thread: each row straight into the open run of ctx (a store). */
static int merge_emit_store(void *ctx, const merge_part *p, const int32_t *ids, af_err *e) {
  return store_run_unit(ctx, p->unit, p->score, p->poor, p->cat, p->elig, ids, e);
}

/* ---- two threads ----
**
** The reader thread runs merge_rows into two slots of MERGE_BATCH rows,
** copying each row (its texts into the slot's buffer, since the partial's
** iterator moves on); the writer takes the slots in the order they were
** filled and makes each row's store_run_unit call. A slot is the reader's
** until it is full, then the writer's until it is written. The partials'
** connections are used by the reader thread alone while it runs; the
** output's by the writer alone. An error on either side stops both; the
** writer's is the one reported when both fail, as one thread, which writes
** each row before it reads the next, would meet it first. */

#define MERGE_BATCH 512

typedef struct merge_row {
  size_t unit, cat;         /* offsets into the slot's text; cat SIZE_MAX: null */
  double score;
  int poor;
  int64_t elig;
} merge_row;

typedef struct merge_slot {
  merge_row rows[MERGE_BATCH];
  int32_t *ids;             /* MERGE_BATCH rows of ng group ids */
  strbuf text;
  int n;
  int full;                 /* handed to the writer */
} merge_slot;

typedef struct merge_pipe {
  merge_part *ps;
  int nparts, ng;
  merge_slot slot[2];
  int fill;                 /* the slot the reader fills */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int end;                  /* the reader is done: rc, units, err are its */
  int stop;                 /* the writer failed: the reader stops */
  int rc;
  int64_t units;
  af_err err;
} merge_pipe;

/* Hand the slot being filled to the writer and wait for the other: 0, or
** -1 when the writer has stopped. */
static int merge_pipe_hand(merge_pipe *mp) {
  pthread_mutex_lock(&mp->mu);
  mp->slot[mp->fill].full = 1;
  pthread_cond_broadcast(&mp->cv);
  mp->fill ^= 1;
  merge_slot *s = &mp->slot[mp->fill];
  while (s->full && !mp->stop) pthread_cond_wait(&mp->cv, &mp->mu);
  int stop = mp->stop;
  pthread_mutex_unlock(&mp->mu);
  s->n = 0;
  s->text.len = 0;
  return stop ? -1 : 0;
}

static size_t merge_pipe_text(merge_slot *s, const char *t) {
  if (!t) return SIZE_MAX;
  size_t at = s->text.len;
  sb_putn(&s->text, t, strlen(t) + 1);
  return at;
}

static int merge_emit_pipe(void *ctx, const merge_part *p, const int32_t *ids, af_err *e) {
  merge_pipe *mp = ctx;
  if (mp->slot[mp->fill].n == MERGE_BATCH && merge_pipe_hand(mp) < 0)
    return af_fail(e, "the writer stopped");   /* not reported: the writer's error is */
  merge_slot *s = &mp->slot[mp->fill];
  assert(s->n < MERGE_BATCH && !s->full);
  merge_row *r = &s->rows[s->n];
  r->unit = merge_pipe_text(s, p->unit);
  r->cat = merge_pipe_text(s, p->cat);
  r->score = p->score;
  r->poor = p->poor;
  r->elig = p->elig;
  if (mp->ng) memcpy(s->ids + (size_t)s->n * (size_t)mp->ng, ids, sizeof *ids * (size_t)mp->ng);
  s->n++;
  return 0;
}

static void *merge_reader_main(void *arg) {
  merge_pipe *mp = arg;
  af_err e = {{0}};
  int64_t units = 0;
  int rc = merge_rows(mp->ps, mp->nparts, merge_emit_pipe, mp, &units, &e);
  pthread_mutex_lock(&mp->mu);
  if (mp->slot[mp->fill].n > 0) mp->slot[mp->fill].full = 1;   /* the last, part-filled */
  mp->end = 1;
  mp->rc = rc;
  mp->units = units;
  mp->err = e;
  pthread_cond_broadcast(&mp->cv);
  pthread_mutex_unlock(&mp->mu);
  return NULL;
}

/* Write slot s's rows into out: 0, or -1 with e set. */
static int merge_pipe_write(merge_pipe *mp, merge_slot *s, store *out, af_err *e) {
  for (int i = 0; i < s->n; i++) {
    const merge_row *r = &s->rows[i];
    if (store_run_unit(out, s->text.s + r->unit, r->score, r->poor,
                       r->cat == SIZE_MAX ? NULL : s->text.s + r->cat, r->elig,
                       mp->ng ? s->ids + (size_t)i * (size_t)mp->ng : NULL, e) < 0)
      return -1;
  }
  return 0;
}

/* merge_rows with the reading on another thread; the rows into out here. */
static int merge_rows_threaded(merge_part *ps, int n, store *out, int64_t *units, af_err *e) {
  merge_pipe *mp = af_calloc(1, sizeof *mp);
  mp->ps = ps;
  mp->nparts = n;
  mp->ng = ps[0].rec.group_columns > 0 ? ps[0].rec.group_columns : 0;
  for (int k = 0; k < 2; k++)
    mp->slot[k].ids = af_calloc((size_t)MERGE_BATCH * (size_t)mp->ng + 1, sizeof *mp->slot[k].ids);
  pthread_mutex_init(&mp->mu, NULL);
  pthread_cond_init(&mp->cv, NULL);
  pthread_t th;
  int rc = 0;
  if (pthread_create(&th, NULL, merge_reader_main, mp) != 0) {
    rc = af_fail(e, "cannot start a reader thread");
  } else {
    for (int k = 0;; k ^= 1) {
      pthread_mutex_lock(&mp->mu);
      while (!mp->slot[k].full && !mp->end) pthread_cond_wait(&mp->cv, &mp->mu);
      int have = mp->slot[k].full;
      pthread_mutex_unlock(&mp->mu);
      if (!have) break;   /* the reader is done and filled no other slot */
      rc = merge_pipe_write(mp, &mp->slot[k], out, e);
      pthread_mutex_lock(&mp->mu);
      mp->slot[k].full = 0;
      if (rc < 0) mp->stop = 1;
      pthread_cond_broadcast(&mp->cv);
      pthread_mutex_unlock(&mp->mu);
      if (rc < 0) break;
    }
    pthread_join(th, NULL);
    if (rc == 0 && mp->rc < 0) rc = -1, *e = mp->err;
    *units = mp->units;
  }
  pthread_cond_destroy(&mp->cv);
  pthread_mutex_destroy(&mp->mu);
  for (int k = 0; k < 2; k++) {
    free(mp->slot[k].ids);
    sb_free(&mp->slot[k].text);
  }
  free(mp);
  return rc;
}

/* ---- the merged run ---- */

static int merge_write(merge_part *ps, int n, const char *out, int threads, merge_result *res,
                       af_err *e) {
  const run_record *r = &ps[0].rec;
  store *st;
  if (store_open(out, &st, e) < 0) return -1;
  run_info ri;
  memset(&ri, 0, sizeof ri);
  ri.methodology_name = r->methodology_name;
  ri.methodology_version = r->methodology_version;
  ri.methodology_sha256 = r->methodology_sha256;
  ri.scoring = r->scoring;
  ri.data_path = r->data_path;
  ri.data_sha256 = r->data_sha256;
  ri.engine_version = r->engine_version;
  ri.params_json = r->params_json;
  ri.files = r->files;
  ri.nfiles = r->nfiles;
  ri.file_sigs = r->file_sigs;
  strpool *pool = strpool_new();
  merge_group_ids(ps, n, pool);
  ri.groups = r->groups;
  ri.ngroups = r->group_columns > 0 ? r->group_columns : 0;
  ri.group_text = merge_group_text;
  ri.group_ctx = pool;
  int rc = store_run_begin(st, &ri, &res->run_id, e);
  if (rc == 0)
    rc = threads == 1 ? merge_rows(ps, n, merge_emit_store, st, &res->units, e)
                      : merge_rows_threaded(ps, n, st, &res->units, e);
  if (rc == 0 && res->units != ps[0].part.units_all)
    rc = af_fail(e, "the partials hold %lld rows, the run has %lld units: not merged",
                 (long long)res->units, (long long)ps[0].part.units_all);
  if (rc == 0) {
    res->summary_json = merge_summary(r->summary_json, res->run_id);
    rc = store_run_commit(st, res->summary_json, e);
  }
  run_record done;
  if (rc == 0 && (rc = store_load_run(st, res->run_id, &done, e)) == 0) {
    res->rows_sha256 = af_strdup(done.rows_sha256 ? done.rows_sha256 : "");
    store_record_free(&done);
  }
  if (rc != 0) store_run_abort(st);
  store_close(st);
  strpool_free(pool);
  return rc;
}

int merge_partials(const char *const *paths, int n, const char *out, int threads,
                   merge_result *res, af_err *e) {
  assert(threads >= 0 && threads <= 2);
  memset(res, 0, sizeof *res);
  if (n < 1 || n > MERGE_MAX_PARTS)
    return af_fail(e, "merge takes 1 to %d partial results databases, got %d", MERGE_MAX_PARTS, n);
  merge_part *ps = af_calloc((size_t)n, sizeof *ps);
  int rc = 0;
  for (int i = 0; rc == 0 && i < n; i++) {
    ps[i].path = paths[i];
    ps[i].seq = i;
    rc = merge_load(&ps[i], e);
  }
  if (rc == 0) rc = merge_check(ps, n, e);
  if (rc == 0) {
    res->nparts = n;
    rc = merge_write(ps, n, out, threads, res, e);
  }
  for (int i = 0; i < n; i++) {
    store_iter_end(ps[i].it);
    free(ps[i].gid);
    free(ps[i].codes);
    store_record_free(&ps[i].rec);
    store_close(ps[i].st);
  }
  free(ps);
  if (rc != 0) merge_result_free(res);
  return rc;
}

void merge_result_free(merge_result *r) {
  free(r->summary_json);
  free(r->rows_sha256);
  memset(r, 0, sizeof *r);
}
