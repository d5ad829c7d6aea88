/*
** cli_compare.c: `afscore compare`: several methodologies scored in one pass
** and what each changes against the first (compare.h); replay --method
** shares cli_compare_base.
*/
#include "cli.h"

#include "runcmp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "outfile.h"
#include "report.h"
#include "run.h"
#include "store.h"

/* ---- compare ---- */

typedef struct cmp_ctx {
  compare *c;                /* n comparisons: variant k + 1 against the base */
  int n;
  const model **ms;
  int passes;                /* passes begun */
  FILE *changes;
} cmp_ctx;

/* Each pass: fresh comparisons and an empty changes file. */
static int compare_begin(void *ctx, const run *rn, af_err *e) {
  cmp_ctx *x = ctx;
  for (int k = 0; k < x->n; k++) {
    if (x->passes) compare_free(&x->c[k]);
    compare_init(&x->c[k], rn, 0, k + 1, x->changes);
    if (x->n > 1) x->c[k].label = x->ms[k + 1]->file;
  }
  if (x->changes) {
    if (x->passes && (fflush(x->changes) != 0 || ftruncate(fileno(x->changes), 0) != 0))
      return af_fail(e, "cannot rewrite the changes file");
    rewind(x->changes);
    compare_changes_header(x->changes, x->n > 1, x->ms[0]);
  }
  x->passes++;
  return 0;
}

static int compare_each(void *ctx, const run *rn, const batch *b, const char *const *ids,
                        af_err *e) {
  cmp_ctx *x = ctx;
  (void)rn;
  for (int k = 0; k < x->n; k++)
    if (compare_batch(&x->c[k], b, ids, e) < 0) return -1;
  return 0;
}

int cli_check_output(const cli_opts *o, const char *path) {
  const char *keep[CLI_MAX_METHODS + 5] = {o->db, o->out, o->key, o->trust, o->sign_with};
  for (int k = 0; k < o->nmethods; k++) keep[5 + k] = o->methods[k];
  af_err e;
  return outfile_check(path, keep, 5 + o->nmethods, o->force, &e) < 0 ? cli_fail("%s", e.msg) : 0;
}

/* The data of a recorded base changed since its run: say so (1), or 0. */
static int base_data_changed(const cli_base *base, const run *rn) {
  const char *now = run_stats(rn)->sha256;
  if (!base || !base->expect_sha256 || strcmp(base->expect_sha256, now) == 0) return 0;
  af_textf(stderr, "data changed since run %s: it was recorded from %s with fingerprint %.16s; "
                  "the data now has fingerprint %.16s\n", base->label,
          base->data_path ? base->data_path : "(unknown)", base->expect_sha256, now);
  return 1;
}

/* Score ms[0..n) in one pass and print each against ms[0]. The changes file
** is written to a temporary file, renamed over the target only when the
** comparison is whole and not refused. */
int cli_compare_base(const model **ms, int n, const cli_opts *o, const cli_base *base,
                     const cli_sigs *sigs) {
  const char *base_label = base ? base->label : NULL;
  cmp_ctx x = {af_calloc((size_t)n, sizeof(compare)), n - 1, ms, 0, NULL};
  outfile *of = NULL;
  af_err oe;
  if (o->changes && outfile_open(o->changes, &of, &oe) < 0) {
    free(x.c);
    return cli_fail("%s", oe.msg);
  }
  if (of) x.changes = outfile_fp(of);
  /* The changes file names each unit's groups, read from the string pool as
  ** each batch is scored: the reader thread must not intern meanwhile. */
  run_options ro = {.threads = o->changes && ms[0]->ngroups ? 1 : 0,
                    .begin_pass = compare_begin, .batch = compare_each, .ctx = &x};
  cli_run cr;
  if (cli_open_run(o, &cr, o->db, ms, n, &ro)) {
    run_close(cr.rn);
    if (of) outfile_abort(of);
    free(x.c);
    return 1;
  }
  af_err e = {{0}};
  int rc = cli_execute(&cr, &e);
  const run *rn = cr.rn;
  for (int k = 1; k < n && x.passes; k++) compare_sort_groups(&x.c[k - 1], run_pool(rn));
  int changed = rc == 0 ? base_data_changed(base, rn) : 0;
  if (changed && !base->recompute) {
    af_textf(stderr, "afscore: the base would be recomputed on the current data, not the recorded "
                    "run %s; --recompute-base compares on the current data anyway\n", base_label);
    rc = -2;
  }
  if (of && rc == 0) {
    if (outfile_commit(of, &e) < 0) rc = -1;
  } else if (of) {
    outfile_abort(of);
  }
  if (rc == -2) {
    /* refused: said above */
  } else if (rc < 0) {
    cli_fail("%s", e.msg);
  } else if (o->json) {
    json j = {0};
    report_meta meta = {0, AFSCORE_VERSION};
    json_obj(&j);
    if (base_label) {
      json_kv_str(&j, "base_run", base_label);
      json_kv_bool(&j, "data_changed", changed);
    }
    json_key(&j, "base");
    report_summary_json(&j, rn, 0, &meta);
    json_key(&j, "variant");
    report_summary_json(&j, rn, 1, &meta);
    compare_json(&x.c[0], &j);
    if (n > 2) {
      json_key(&j, "comparisons");
      json_arr(&j);
      for (int k = 1; k < n; k++) {
        json_obj(&j);
        json_key(&j, "variant");
        report_summary_json(&j, rn, k, &meta);
        compare_json(&x.c[k - 1], &j);
        json_obj_end(&j);
      }
      json_arr_end(&j);
    }
    cli_sigs_json(&j, sigs);
    json_obj_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  } else {
    cli_sigs_print(stdout, sigs);
    strbuf t = {0};
    if (base_label)
      sb_printf(&t, "base: the methodology recorded with run %s, recomputed on %s data\n",
                base_label, changed ? "the current (changed)" : "the same");
    for (int k = 1; k < n; k++) {
      if (k > 1) sb_puts(&t, "\n========\n\n");
      compare_text(&x.c[k - 1], &t);
    }
    af_print_text(stdout, t.s);
    sb_free(&t);
  }
  for (int k = 1; k < n && x.passes; k++) compare_free(&x.c[k - 1]);
  free(x.c);
  run_close(cr.rn);
  return rc < 0 ? 1 : 0;
}

/* With the newer data: each mover (category differs between runs A and B)
** is scored again with A's methodology on the data. If that gives A's
** category, the rules moved the unit; if it gives B's, the data did; if
** neither, both did. */
typedef struct split_ctx {
  const model *ma, *mb;
  strmap movers;                 /* unit -> index into rec_a / rec_b */
  const char **rec_a, **rec_b;   /* recorded categories ("(excluded)" included) */
  unsigned char *seen;
  int n, cap_a, cap_b, cap_s;
  int64_t rules, data, both, unseen;
} split_ctx;

static const char *split_label(const model *m, const char *cat) {
  int b = cat ? model_find_band(m, cat) : -1;
  return b >= 0 ? m->bands[b].id : "(excluded)";
}

static int split_collect(void *ctx, const char *unit, const runcmp_result *a,
                         const runcmp_result *b, af_err *e) {
  split_ctx *x = ctx;
  (void)e;
  if (strcmp(a->category ? a->category : "(excluded)", b->category ? b->category : "(excluded)") == 0)
    return 0;
  int fresh;
  *strmap_slot(&x->movers, unit, strlen(unit), &fresh) = x->n;
  af_grow(&x->rec_a, &x->cap_a, x->n + 1, sizeof *x->rec_a);
  af_grow(&x->rec_b, &x->cap_b, x->n + 1, sizeof *x->rec_b);
  af_grow(&x->seen, &x->cap_s, x->n + 1, 1);
  /* the models' own labels: the rows' texts die at the next row */
  x->rec_a[x->n] = split_label(x->ma, a->category);
  x->rec_b[x->n] = split_label(x->mb, b->category);
  x->seen[x->n] = 0;
  x->n++;
  return 0;
}

static int split_batch(void *ctx, const run *rn, const batch *bt, const char *const *ids,
                       af_err *e) {
  split_ctx *x = ctx;
  const scorer *s = run_scorer(rn, 0);
  (void)e;
  for (int u = 0; u < bt->nunits; u++) {
    int i = strmap_get(&x->movers, ids[u], strlen(ids[u]));
    if (i < 0 || x->seen[i]) continue;
    x->seen[i] = 1;
    const char *now = s->excluded[u] ? "(excluded)" : x->ma->bands[s->band[u]].id;
    int by_data = strcmp(now, x->rec_a[i]) != 0, by_rules = strcmp(now, x->rec_b[i]) != 0;
    x->data += by_data && !by_rules;
    x->rules += !by_data;
    x->both += by_data && by_rules;
  }
  return 0;
}

/* compare --out RESULTS.db --run A --run B: from the recorded rows only. */
static int compare_recorded(cli_opts *o) {
  store *st = NULL;
  run_record ra, rb;
  memset(&rb, 0, sizeof rb);
  if (cli_open_record(o->out, o->run_id, &st, &ra)) return 1;
  int rc = 1;
  model *ma = cli_load_recorded(&ra), *mb = NULL;
  af_err e = {{0}};
  if (!ma) goto done;
  if (store_load_run(st, o->run_id2, &rb, &e) < 0) {
    rc = cli_fail("%s", e.msg);
    goto done;
  }
  if (!(mb = cli_load_recorded(&rb))) goto done;
  runcmp r;
  split_ctx x;
  memset(&x, 0, sizeof x);
  x.ma = ma;
  x.mb = mb;
  if (runcmp_runs(st, &ra, &rb, ma, mb, o->db ? split_collect : NULL, &x, &r, &e) < 0) {
    rc = cli_fail("%s", e.msg);
    goto split_done;
  }
  if (o->db) {
    /* Reads every unit of the newer data once; only movers are looked at. */
    cli_run cr;
    const model *ms[1] = {ma};
    run_options ro = {.batch = split_batch, .ctx = &x};
    int bad = cli_open_run(o, &cr, o->db, ms, 1, &ro);
    if (!bad) bad = cli_execute(&cr, &e) < 0;
    run_close(cr.rn);
    if (bad) {
      if (e.msg[0]) cli_fail("%s", e.msg);
      runcmp_free(&r);
      goto split_done;
    }
    for (int i = 0; i < x.n; i++) x.unseen += !x.seen[i];
  }
  if (o->json) {
    json j = {0};
    json_obj(&j);
    json_kv_int(&j, "run_a", ra.id);
    json_kv_int(&j, "run_b", rb.id);
    runcmp_json(&r, &j);
    if (o->db) {
      json_key(&j, "movers");
      json_obj(&j);
      json_kv_int(&j, "rules_changed", x.rules);
      json_kv_int(&j, "data_changed", x.data);
      json_kv_int(&j, "both", x.both);
      json_kv_int(&j, "not_in_data", x.unseen);
      json_obj_end(&j);
    }
    json_obj_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  } else {
    strbuf t = {0};
    sb_textf(&t, "run A: %lld, %s (version %s), %s\nrun B: %lld, %s (version %s), %s\n\n",
              (long long)ra.id, ma->name, ma->version, ra.time, (long long)rb.id, mb->name,
              mb->version, rb.time);
    runcmp_text(&r, &t);
    if (o->db)
      sb_textf(&t, "\nof the %d units that change category, scored again with run A's rules on %s:\n"
                "  %lld moved because the rules changed (A's rules still give A's category)\n"
                "  %lld moved because the data changed (A's rules give B's category)\n"
                "  %lld moved for both reasons, %lld are not in the data\n", x.n, o->db,
                (long long)x.rules, (long long)x.data, (long long)x.both, (long long)x.unseen);
    af_print_text(stdout, t.s);
    sb_free(&t);
  }
  runcmp_free(&r);
  rc = 0;
split_done:
  strmap_free(&x.movers);
  free(x.rec_a);
  free(x.rec_b);
  free(x.seen);
done:
  model_free(ma);
  model_free(mb);
  store_record_free(&ra);
  store_record_free(&rb);
  store_close(st);
  return rc;
}

int cmd_compare(cli_opts *o) {
  if (o->out || o->run_id) {
    if (!o->out || !o->run_id || !o->run_id2 || o->nmethods || o->npos || o->changes)
      return cli_usage_error(o, "compares two recorded runs with --out RESULTS.db --run A --run B"
                                " [--db NEWER_DATA.db]");
    return compare_recorded(o);
  }
  if (!o->db || o->nmethods < 2 || o->npos)
    return cli_usage_error(o, "needs --db DATA.db and at least two --method options");
  model *ms[CLI_MAX_METHODS] = {0};
  int rc = 0;
  for (int k = 0; k < o->nmethods; k++)
    if (!(ms[k] = cli_load_method(o->methods[k]))) rc = 1;
  cli_sigs sigs = {0};
  for (int k = 0; k < o->nmethods && rc == 0; k++)
    rc = cli_signatures(o, ms[k]->files, ms[k]->nfiles, NULL, NULL, &sigs);
  if (rc == 0 && o->changes) rc = cli_check_output(o, o->changes);
  if (rc == 0) rc = cli_compare_base((const model **)ms, o->nmethods, o, NULL, &sigs);
  for (int k = 0; k < o->nmethods; k++) model_free(ms[k]);
  cli_sigs_free(&sigs);
  return rc;
}

