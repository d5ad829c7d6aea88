/*
** cli_replay.c: `afscore replay`: re-run a recorded run from its recorded
** sources and check every recorded row against the recomputation, or compare
** proposed rules against it.
**
** The check is one ordered read of unit_scores (by seq: the order the rows
** were written) beside the recomputation. A run recorded in key order
** (unit_order "text" or "integer") and data read in that order are merged by
** unit id: a recorded row with no unit is extra (added after the run), a
** unit with no row is missing (deleted). A run recorded in the data's stored
** order ("stored") and data read in stored order are compared row by row:
** the ids match position by position. A unit not at the reading position is
** looked up by id: not found, it is missing and the read stays where it is;
** found elsewhere, the data no longer come in the rows' order (data read in
** another order, or changed) and every further unit is looked up, the rows
** no unit matched counted as extra.
*/
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "report.h"
#include "run.h"
#include "store.h"

#define REPLAY_SHOWN 10      /* differing units named */

/* A recorded row, copied out of the iterator. */
typedef struct replay_row {
  strbuf unit, cat;
  int has_cat;
  double score;
  int poor;
  int64_t elig;
} replay_row;

typedef struct replay_ctx {
  store *st;
  const run_record *rec;
  const char *order;         /* the rows' order: "text", "integer", "stored" or "none" */
  int positional;            /* "stored": ids match position by position */
  int out_of_order;          /* the data broke that order */
  int try_order;             /* 1: order is a guess: fail when broken instead of looking up */
  store_iter *it;
  replay_row row;
  int have_row, at_end;      /* row holds the next unread recorded row / none left */
  replay_row look;           /* a row looked up by unit id */
  const replay_row *cur;     /* the row found for the unit being checked */
  strbuf prev;               /* the previous recomputed unit, to check the order */
  int lookup;                /* 1: units are not in the rows' order: look each row up */
  int64_t checked, differ, missing, extra, matched;
  strbuf first;              /* the first differing units, one line each */
  strbuf extras;             /* merge: the first extra rows, one line each */
  int shown;
} replay_ctx;

static int replay_same(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Read the next recorded row into x->row (or set at_end). */
static int replay_next_row(replay_ctx *x, af_err *e) {
  const char *unit, *cat;
  int got = store_iter_next(x->it, &unit, &x->row.score, &x->row.poor, &cat, &x->row.elig, e);
  if (got < 0) return -1;
  x->have_row = got == 1;
  x->at_end = got == 0;
  if (got == 1) {
    x->row.unit.len = 0;
    sb_puts(&x->row.unit, unit);
    x->row.cat.len = 0;
    sb_puts(&x->row.cat, cat ? cat : "");
    x->row.has_cat = cat != NULL;
  }
  return 0;
}

/* A line about one unit into to (the first REPLAY_SHOWN in all). */
static void replay_note(replay_ctx *x, strbuf *to, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void replay_note(replay_ctx *x, strbuf *to, const char *fmt, ...) {
  if (x->shown++ >= REPLAY_SHOWN) return;
  sb_puts(to, "  ");
  va_list ap;
  va_start(ap, fmt);
  sb_vtextf(to, fmt, ap);   /* unit ids come from the data: one line each */
  va_end(ap);
  sb_putc(to, '\n');
}

/* "category D, score 0.4, poor 1, eligible 0x3" */
static void replay_fmt(char *out, size_t n, const char *cat, double score, int poor,
                       int64_t elig) {
  char sc[32];
  json_fmt_double(score, sc);
  snprintf(out, n, "category %s, score %s, poor %s, eligible 0x%llx", cat ? cat : "(excluded)",
           sc, poor < 0 ? "-" : poor ? "1" : "0", (unsigned long long)elig);
}

/* Recorded rows before unit id: extra (no such unit in the data). */
static int replay_skip_extra(replay_ctx *x, const char *id, af_err *e) {
  while (x->have_row &&
         (!id || store_unit_cmp(x->order, x->row.unit.s, id) < 0)) {
    char was[160];
    replay_fmt(was, sizeof was, x->row.has_cat ? x->row.cat.s : NULL, x->row.score, x->row.poor,
               x->row.elig);
    replay_note(x, &x->extras, "unit '%s': recorded (%s); not in the data", x->row.unit.s, was);
    x->extra++;
    if (replay_next_row(x, e) < 0) return -1;
  }
  return 0;
}

/* Each pass (and a restart in key order) checks from the first row again. */
static int replay_begin(void *ctx, const run *rn, af_err *e) {
  replay_ctx *x = ctx;
  (void)rn;
  x->checked = x->differ = x->missing = x->extra = x->matched = 0;
  x->shown = 0;
  x->first.len = x->extras.len = 0;
  x->prev.len = 0;
  x->lookup = strcmp(x->order, "none") == 0;
  x->positional = strcmp(x->order, "stored") == 0;
  store_iter_end(x->it);
  x->it = NULL;
  int rc = x->positional || x->lookup
               ? store_iter_begin(x->st, x->rec->id, &x->it, e)
               : store_iter_begin_order(x->st, x->rec->id, x->order, &x->it, e);
  return rc < 0 ? -1 : replay_next_row(x, e);
}

/* The recorded row of unit id into x->look, by lookup: 1 found, 0 not, -1. */
static int replay_lookup(replay_ctx *x, const char *id, af_err *e) {
  char *cat = NULL;
  replay_row *r = &x->look;
  int got = store_unit_result(x->st, x->rec->id, id, &r->score, &r->poor, &cat, &r->elig, e);
  if (got == 1) {
    r->unit.len = r->cat.len = 0;
    sb_puts(&r->unit, id);
    sb_puts(&r->cat, cat ? cat : "");
    r->has_cat = cat != NULL;
    x->cur = r;
  }
  free(cat);
  return got;
}

/* From now on every unit is looked up: the extra rows the read passed may
** be matched later, so they are counted at the end. */
static void replay_to_lookup(replay_ctx *x) {
  x->lookup = 1;
  x->shown -= (int)(x->extra < REPLAY_SHOWN ? x->extra : REPLAY_SHOWN);
  x->extra = 0;
  x->extras.len = 0;
}

/* Find unit id's recorded row (x->cur): 1 found, 0 no such row, -1. */
static int replay_find(replay_ctx *x, const char *id, af_err *e) {
  if (!x->lookup && !x->positional && x->prev.len &&
      store_unit_cmp(x->order, x->prev.s, id) >= 0) {
    if (x->try_order) {   /* a schema-1 run: this order was a guess, try the other */
      x->out_of_order = 1;
      return af_fail(e, "unit '%s' comes after '%s' in the data, against the order run %lld "
                        "recorded its rows in", id, x->prev.s, (long long)x->rec->id);
    }
    replay_to_lookup(x);   /* the data are not read in the rows' key order */
  }
  if (x->lookup) return replay_lookup(x, id, e);
  x->prev.len = 0;
  sb_puts(&x->prev, id);
  if (!x->positional && replay_skip_extra(x, id, e) < 0) return -1;
  if (x->have_row && strcmp(x->row.unit.s, id) == 0) {
    x->cur = &x->row;
    return 1;
  }
  /* Not where the read is: deleted (the read stays), or the rows are in
  ** another order than the data (lookups from here on). */
  int got = replay_lookup(x, id, e);
  if (got == 1) replay_to_lookup(x);
  return got;
}

/* One unit against the recorded row of the same id (if any). */
static int replay_unit(replay_ctx *x, const run *rn, int u, const char *id, af_err *e) {
  const scorer *s = run_scorer(rn, 0);
  const model *m = run_model(rn, 0);
  int found = replay_find(x, id, e);
  if (found < 0) return -1;
  int ex = s->excluded[u];
  const char *cat = ex ? NULL : m->bands[s->band[u]].id;
  int poor = ex || m->scoring != SCORING_AF ? -1 : s->poor[u];
  int64_t elig = (int64_t)s->eligible[u];
  char is[160], was[160];
  replay_fmt(is, sizeof is, cat, s->score[u], poor, elig);
  x->checked++;
  if (!found) {
    x->missing++;
    replay_note(x, &x->first, "unit '%s': not recorded; recomputed (%s)", id, is);
    return 0;
  }
  x->matched++;
  const replay_row *r = x->cur;
  const char *rcat = r->has_cat ? r->cat.s : NULL;
  int same = replay_same(r->score, s->score[u]) && r->poor == poor &&
             ((!rcat && !cat) || (rcat && cat && strcmp(rcat, cat) == 0)) && r->elig == elig;
  if (!same) {
    x->differ++;
    replay_fmt(was, sizeof was, rcat, r->score, r->poor, r->elig);
    replay_note(x, &x->first, "unit '%s': recorded (%s); recomputed (%s)", id, was, is);
  }
  return x->cur == &x->row ? replay_next_row(x, e) : 0;
}

/* After the last unit: the recorded rows no unit matched are extra. */
static int replay_finish(replay_ctx *x, af_err *e) {
  if (!x->lookup) {
    if (replay_skip_extra(x, NULL, e) < 0) return -1;
    sb_putn(&x->first, x->extras.s ? x->extras.s : "", x->extras.len);
    return 0;
  }
  /* Ids are unique in the data and in the rows, so every match is one row. */
  int64_t rows;
  if (store_run_rows(x->st, x->rec->id, &rows, e) < 0) return -1;
  x->extra = rows > x->matched ? rows - x->matched : 0;
  if (x->extra)
    replay_note(x, &x->first, "recorded rows with no unit in the data: %lld (not named: the "
                "data were not read in the rows' order)", (long long)x->extra);
  return 0;
}

static int replay_check(void *ctx, const run *rn, const batch *b, const char *const *ids,
                        af_err *e) {
  replay_ctx *x = ctx;
  for (int u = 0; u < b->nunits; u++)
    if (replay_unit(x, rn, u, ids[u], e) < 0) return -1;
  return 0;
}

static void replay_json(const run_record *rec, int ok, int data_changed, int engine_changed,
                        const char *now_sha256, const replay_ctx *x, const cli_sigs *sigs) {
  json r = {0};
  json_obj(&r);
  json_kv_int(&r, "run_id", rec->id);
  json_kv_bool(&r, "reproduced", ok);
  json_kv_bool(&r, "data_changed", data_changed);
  json_kv_str(&r, "recorded_data_path", rec->data_path);
  json_kv_str(&r, "recorded_data_sha256", rec->data_sha256);
  json_kv_str(&r, "data_sha256", now_sha256);
  json_kv_bool(&r, "engine_changed", engine_changed);
  json_kv_str(&r, "recorded_engine", rec->engine_version);
  json_kv_int(&r, "units", x->checked);
  json_kv_int(&r, "recorded_units", rec->units);
  json_kv_int(&r, "units_differ", x->differ);
  json_kv_int(&r, "units_not_recorded", x->missing);
  json_kv_int(&r, "recorded_not_in_data", x->extra);
  cli_sigs_json(&r, sigs);
  json_obj_end(&r);
  printf("%s\n", r.out.s);
  sb_free(&r.out);
}

static void replay_ctx_free(replay_ctx *x) {
  store_iter_end(x->it);
  sb_free(&x->row.unit);
  sb_free(&x->row.cat);
  sb_free(&x->look.unit);
  sb_free(&x->look.cat);
  sb_free(&x->prev);
  sb_free(&x->first);
  sb_free(&x->extras);
}

/* Print the outcome; 1 when anything differs. */
static int replay_report(const cli_opts *o, const run_record *rec, const run *rn, int summary_ok,
                         const replay_ctx *x, const cli_sigs *sigs) {
  const char *now = run_stats(rn)->sha256;
  int data_changed = strcmp(now, rec->data_sha256 ? rec->data_sha256 : "") != 0;
  int engine_changed = strcmp(rec->engine_version, AFSCORE_VERSION) != 0;
  int rows_ok = x->differ == 0 && x->missing == 0 && x->extra == 0;
  int ok = summary_ok && rows_ok;
  if (engine_changed)
    af_textf(stderr, "note: run %lld was recorded by %s; this is %s\n", (long long)rec->id,
            rec->engine_version, AFSCORE_VERSION);
  if (data_changed)
    af_textf(stderr, "data changed since run %lld: it was recorded from %s with fingerprint "
                    "%.16s; the data now has fingerprint %.16s\n", (long long)rec->id,
            rec->data_path ? rec->data_path : "(unknown)", rec->data_sha256 ? rec->data_sha256 : "",
            now);
  if (!o->json) cli_sigs_print(stdout, sigs);
  if (ok && !o->json)
    af_textf(stdout, "reproduced: run %lld, %lld units, every recorded row checked: score, poor, category "
           "and eligibility identical\n", (long long)rec->id, (long long)x->checked);
  if (!ok) {
    af_textf(stderr, "not reproduced: run %lld: %lld units recomputed, %lld rows recorded: %lld "
                    "differ, %lld not recorded, %lld recorded but not in the data%s\n",
            (long long)rec->id, (long long)x->checked, (long long)rec->units,
            (long long)x->differ, (long long)x->missing, (long long)x->extra,
            rows_ok ? " (the summary differs)" : "");
    if (x->first.len) fprintf(stderr, "first differences:\n%s", x->first.s);
  }
  if (o->json) replay_json(rec, ok, data_changed, engine_changed, now, x, sigs);
  return ok ? 0 : 1;
}

/* The order the run read its data in is not a result: the same data stored
** in another order are read in another order (key, stored, sorted) and give
** the same results. The summary is compared with the recorded order in it,
** and a different order is said on stderr. summary is this replay's summary
** JSON: the recorded order replaces this read's in it. */
static void replay_read_order(const run_record *rec, const run *rn, strbuf *summary) {
  jdoc *d = NULL;
  af_err e;
  if (!rec->summary_json || jdoc_parse(rec->summary_json, &d, &e) < 0) return;
  const char *was = jdoc_str(jdoc_path(d, "data.read_order"));
  const char *now = source_order_name(run_stats(rn)->order);
  static const char key[] = "\"read_order\": \"";
  char *at = strstr(summary->s, key);
  if (was && at && strcmp(was, now) != 0) {
    fprintf(stderr, "note: the data were read in %s order; run %lld read them in %s order\n",
            now, (long long)rec->id, was);
    at += sizeof key - 1;
    size_t head = (size_t)(at - summary->s), tail = head + strlen(now);
    strbuf b = {0};
    sb_putn(&b, summary->s, head);
    sb_puts(&b, was);
    sb_puts(&b, summary->s + tail);
    sb_free(summary);
    *summary = b;
  }
  jdoc_free(d);
}

/* Re-run the recorded methodology on db, checking every recorded row in
** the same pass (read in order), then the summary. With `broke`, a pass
** the data's order contradicts sets it and says nothing. */
static int replay_pass(cli_opts *o, store *st, const run_record *rec, model *m,
                       const cli_sigs *sigs, const char *order, int *broke) {
  cli_run cr;
  const model *ms[1] = {m};
  af_err e = {{0}};
  replay_ctx x;
  memset(&x, 0, sizeof x);
  x.st = st;
  x.rec = rec;
  x.order = order;
  x.try_order = broke != NULL;
  /* The intervals at the level the run was scored with (score --level):
  ** the summary's "inference": {"level": ...}. */
  run_options ro = {.begin_pass = replay_begin, .batch = replay_check, .ctx = &x,
                    .infer = RUN_INFER_ON};
  const char *inf = rec->summary_json ? strstr(rec->summary_json, "\"inference\": {") : NULL;
  double level;
  if (inf && json_find_number(strchr(inf, '{'), "level", &level) == 0 && level > 0 && level < 1)
    ro.level = level;
  if (cli_open_run(o, &cr, o->db, ms, 1, &ro)) {
    run_close(cr.rn);
    replay_ctx_free(&x);
    return 1;
  }
  const run *rn = cr.rn;
  int rc = 1;
  if (cli_execute(&cr, &e) < 0 || replay_finish(&x, &e) < 0) {
    if (broke && x.out_of_order) *broke = 1;
    else cli_fail("%s", e.msg);
  } else {
    report_meta meta = {rec->id, rec->engine_version};
    json j = {0};
    report_summary_json(&j, rn, 0, &meta);
    replay_read_order(rec, rn, &j.out);
    int summary_ok = rec->summary_json && strcmp(j.out.s, rec->summary_json) == 0;
    sb_free(&j.out);
    rc = replay_report(o, rec, rn, summary_ok, &x, sigs);
  }
  replay_ctx_free(&x);
  run_close(cr.rn);
  return rc;
}

/* A run of schema 1 recorded no unit order. Its rows were written in the
** data's key order, SQLite's: an INTEGER key by value, a TEXT key bytewise.
** Read them by value first (the same as bytewise when no id is an integer)
** and, if the data's ids do not come in that order, again bytewise. */
static int replay_verify(cli_opts *o, store *st, const run_record *rec, model *m,
                         const cli_sigs *sigs) {
  if (rec->unit_order) return replay_pass(o, st, rec, m, sigs, rec->unit_order, NULL);
  fprintf(stderr, "note: run %lld was recorded by an older afscore (results schema 1), which did "
                  "not record the order of its rows: they are read in the order of the data's "
                  "ids\n", (long long)rec->id);
  int broke = 0;
  int rc = replay_pass(o, st, rec, m, sigs, "integer", &broke);
  return broke ? replay_pass(o, st, rec, m, sigs, "text", NULL) : rc;
}

/* Proposed rules against the recorded ones, on the recorded run's data. */
static int replay_method(cli_opts *o, const run_record *rec, model *m, cli_sigs *sigs) {
  model *ms[CLI_MAX_METHODS + 1] = {m};
  int n = 1, rc = 0;
  for (int k = 0; k < o->nmethods; k++, n++)
    if (!(ms[n] = cli_load_method(o->methods[k]))) rc = 1;
  for (int k = 1; k < n && rc == 0; k++)
    rc = cli_signatures(o, ms[k]->files, ms[k]->nfiles, NULL, NULL, sigs);
  if (rc == 0 && o->changes) rc = cli_check_output(o, o->changes);
  char label[64];
  snprintf(label, sizeof label, "%lld", (long long)rec->id);
  cli_base base = {label, rec->data_sha256, rec->data_path, o->recompute_base};
  if (rc == 0) rc = cli_compare_base((const model **)ms, n, o, &base, sigs);
  for (int k = 1; k < n; k++) model_free(ms[k]);
  return rc;
}

/* A partial run (score --partition) holds some of the units: replaying it
** would call the others missing. 0 whole, 1 refused. */
static int replay_whole(store *st, const run_record *rec) {
  store_part p;
  af_err e;
  int rc = store_run_partition(st, rec->id, &p, &e);
  if (rc < 0) return cli_fail("%s", e.msg);
  if (rc == 1)
    return cli_fail("run %lld is partition %lld/%lld of a partitioned run: merge the partials "
                    "(afscore merge) and replay the merged run", (long long)rec->id,
                    (long long)p.part, (long long)p.nparts);
  return 0;
}

int cmd_replay(cli_opts *o) {
  if (!o->db) return cli_usage_error(o, "needs RUN_ID --out RESULTS.db --db DATA.db");
  store *st = NULL;
  run_record rec;
  int orc = cli_open_run_arg(o, &st, &rec);
  if (orc) return orc;
  cli_sigs sigs = {0};
  int rc = replay_whole(st, &rec);
  if (rc == 0) rc = cli_signatures(o, rec.files, rec.nfiles, rec.file_sigs, NULL, &sigs);
  model *m = rc == 0 ? cli_load_recorded(&rec) : NULL;
  if (rc == 0) rc = !m ? 1 : o->nmethods == 0 ? replay_verify(o, st, &rec, m, &sigs)
                                               : replay_method(o, &rec, m, &sigs);
  cli_sigs_free(&sigs);
  model_free(m);
  store_record_free(&rec);
  store_close(st);
  return rc;
}
