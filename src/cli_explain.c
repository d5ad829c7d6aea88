/*
** cli_explain.c: `afscore explain`: why one unit got its category, read from
** the data with the methodology recorded for a run: each indicator with its
** rule and inputs, the score as a sum, the band, the nearest change of
** category, and the benefits (support measures) the unit may claim.
*/
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "describe.h"
#include "report.h"
#include "run.h"

/* ---- explain ---- */

typedef struct explain_ctx {
  const char *unit;
  int64_t run_id;
  int found;
  double score;       /* the unit's result now */
  char category[64];
  json j;             /* the explanation as JSON */
  strbuf t;           /* and as text */
} explain_ctx;

/* Each pass starts with nothing found. */
static int explain_begin(void *ctx, const run *rn, af_err *e) {
  explain_ctx *x = ctx;
  (void)e;
  x->found = 0;
  sb_free(&x->j.out);
  memset(&x->j, 0, sizeof x->j);
  sb_free(&x->t);
  return 0;
}

/* A number for people: exact when an integer, a short decimal ("38461.5")
** or a simple fraction ("1/6 (0.1667)"); else rounded, 4 decimals or 6
** significant digits below 1, and an ellipsis ("0.756357…"). JSON keeps
** every digit. */
static void explain_number(strbuf *t, double v) {
  char buf[64];
  json_fmt_double(v, buf);
  if (strlen(buf) <= 10 || v == floor(v)) {
    sb_puts(t, buf);
    return;
  }
  describe_number(v, buf);
  if (!strchr(buf, '/'))
    snprintf(buf, sizeof buf, fabs(v) >= 1 ? "%.4f\xE2\x80\xA6" : "%.6g\xE2\x80\xA6", v);
  sb_puts(t, buf);
}

static void part_value(const run *rn, const kernel *k, int o, int p, int u, json *j, strbuf *t) {
  double v;
  int isnull;
  vtype ty;
  kernel_part_value(k, o, p, u, &v, &isnull, &ty);
  /* A column of unknown type (VT_ANY, e.g. no declared type in SQLite) is
  ** read as text and carried as its interned id: show the text, not the id. */
  int as_text = ty == VT_TEXT ||
                (ty == VT_ANY && v >= 0 && v < strpool_count(run_pool(rn)) && v == (int32_t)v);
  if (isnull) {
    json_null(j);
    sb_puts(t, "null");
  } else if (as_text) {
    json_str(j, strpool_get(run_pool(rn), (int32_t)v));
    sb_textf(t, "'%s'", strpool_get(run_pool(rn), (int32_t)v));
  } else if (ty == VT_BOOL) {
    json_bool(j, v != 0);
    sb_puts(t, v != 0 ? "true" : "false");
  } else {
    json_num(j, v);
    explain_number(t, v);
  }
}

/* "inputs": the named values and aggregates rule o read for unit u. */
static void rule_inputs(const run *rn, const program *p, const kernel *k, int o, int u, json *j,
                        strbuf *t) {
  const char *const *texts;
  int n = 0;
  program_rule_parts(p, o, &texts, &n);
  json_key(j, "inputs");
  json_obj(j);
  for (int i = 0; i < n; i++) {
    json_key(j, texts[i]);
    sb_textf(t, "%s%s = ", i ? ", " : "      where ", texts[i]);
    part_value(rn, k, o, i, u, j, t);
  }
  json_obj_end(j);
  if (n) sb_puts(t, "\n");
}

static void explain_indicator(const run *rn, int i, int u, json *j, strbuf *t) {
  const scorer *s = run_scorer(rn, 0);
  const model *m = run_model(rn, 0);
  const model_indicator *x = &m->inds[i];
  int hit = scorer_case(s, u, i);
  int nul = scorer_isnull(s, u, i);
  static const char *policy[] = {"exclude", "deprived", "not_deprived"};
  double amt = scorer_amount(s, u, i);
  char a[32];
  json_fmt_double(amt, a);
  json_obj(j);
  json_kv_str(j, "id", x->id);
  json_kv_str(j, "name", x->name);
  json_kv_str(j, "dimension", x->dim >= 0 ? m->dims[x->dim].id : NULL);
  if (m->scoring == SCORING_AF) {
    json_kv_str(j, "rule", x->cases[0].when);
    json_kv_num(j, "weight", x->weight);
    json_kv_bool(j, "deprived", hit >= 0);
    char w[64];
    describe_fraction(x->weight, w);
    sb_textf(t, "  %-22s %-13s weight %-8s  %s\n", x->id, hit >= 0 ? "DEPRIVED" : "not deprived",
              w, x->cases[0].when);
  } else {
    json_key(j, "case");
    if (hit >= 0) json_int(j, hit + 1);
    else json_null(j);
    json_kv_str(j, "when", hit >= 0 ? (x->cases[hit].when ? x->cases[hit].when : "(otherwise)") : NULL);
    sb_textf(t, "  %-22s %8s points  %s\n", x->id, a,
              hit >= 0 ? (x->cases[hit].when ? x->cases[hit].when : "(otherwise)")
                       : "(no case holds)");
  }
  json_kv_num(j, "amount", amt);
  json_kv_bool(j, "null", nul);
  /* The indicator's name next to its id, when it has one of its own. */
  if (strcmp(x->name, x->id) != 0) sb_textf(t, "      %s\n", x->name);
  if (nul) {
    json_kv_str(j, "missing_policy", policy[x->missing]);
    sb_textf(t, "      the rule is null for this unit: missing policy '%s'\n", policy[x->missing]);
  }
  /* The inputs of the case that decided (or of the first case). */
  int c = hit >= 0 ? hit : 0;
  int o = s->r->case_out[i][c];
  if (o >= 0) rule_inputs(rn, s->r->p1, s->k1, o, u, j, t);
  json_obj_end(j);
}

/* What the nearest change of category would take. */
static void explain_nearest(const run *rn, int u, json *j, strbuf *t) {
  const scorer *s = run_scorer(rn, 0);
  const model *m = run_model(rn, 0);
  int b = s->band[u];
  json_key(j, "nearest");
  json_obj(j);
  for (int dir = 1; dir >= -1; dir -= 2) {
    int nb = b + dir;
    if (nb < 0 || nb >= m->nbands) continue;
    double bound = dir > 0 ? m->bands[nb].from : m->bands[b].from;
    double dist = dir > 0 ? bound - s->score[u] : s->score[u] - bound;
    const char *worse = (m->scoring == SCORING_AF) == (dir > 0) ? "worse" : "better";
    json_key(j, worse);
    json_obj(j);
    json_kv_str(j, "category", m->bands[nb].id);
    json_kv_num(j, "distance", dist);
    sb_textf(t, "  to %s (%s): the score must %s by %s", m->bands[nb].id, worse,
              dir > 0 ? "rise" : "fall", dir > 0 ? "" : "more than ");
    explain_number(t, dist);
    if (m->scoring == SCORING_AF) {
      int best = scorer_lightest_flip(s, u, dir);
      json_kv_str(j, "flip", best >= 0 ? m->inds[best].id : NULL);
      if (best >= 0)
        sb_textf(t, ": e.g. %s '%s'", dir > 0 ? "becoming deprived in" : "no longer deprived in",
                  m->inds[best].id);
      else
        sb_textf(t, ": no single indicator is enough");
    }
    sb_puts(t, "\n");
    json_obj_end(j);
  }
  json_obj_end(j);
}

static void explain_benefits(const run *rn, int u, json *j, strbuf *t) {
  const scorer *s = run_scorer(rn, 0);
  const model *m = run_model(rn, 0);
  json_key(j, "measures");
  json_arr(j);
  if (m->nbenefits) sb_puts(t, "\nmeasures:\n");
  for (int k = 0; k < m->nbenefits; k++) {
    int el = (int)(s->eligible[u] >> k & 1);
    json_obj(j);
    json_kv_str(j, "id", m->benefits[k].id);
    json_kv_str(j, "name", m->benefits[k].name);
    json_kv_bool(j, "eligible", el);
    json_kv_str(j, "rule", m->benefits[k].eligible);
    sb_textf(t, "  %-20s %-13s %s\n", m->benefits[k].id, el ? "ELIGIBLE" : "not eligible",
              m->benefits[k].eligible);
    rule_inputs(rn, s->r->p2, s->k2, s->r->benefit_out[k], u, j, t);
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void explain_unit(explain_ctx *x, const run *rn, int u) {
  const scorer *s = run_scorer(rn, 0);
  const model *m = run_model(rn, 0);
  json *j = &x->j;
  strbuf *t = &x->t;
  json_obj(j);
  if (x->run_id > 0) json_kv_int(j, "run_id", x->run_id);
  else json_kv_null(j, "run_id");   /* a draft: no recorded run */
  json_kv_str(j, "methodology", m->name);
  json_kv_str(j, "unit", x->unit);
  json_kv_str(j, "scoring", m->scoring == SCORING_AF ? "af" : "points");
  sb_textf(t, "unit %s: %s (version %s)\n\n", x->unit, m->name, m->version);
  json_key(j, "indicators");
  json_arr(j);
  for (int i = 0; i < m->ninds; i++) explain_indicator(rn, i, u, j, t);
  json_arr_end(j);
  /* The score as a sum of the amounts that apply. */
  /* JSON keeps decimals (tools read them); the text shows fractions. */
  strbuf sum = {0}, sumt = {0};
  for (int i = 0; i < m->ninds; i++) {
    double a = scorer_amount(s, u, i);
    if (a == 0) continue;
    char buf[32], fr[64];
    json_fmt_double(fabs(a), buf);
    describe_fraction(fabs(a), fr);
    const char *op = sum.len ? (a < 0 ? " - " : " + ") : (a < 0 ? "-" : "");
    sb_printf(&sum, "%s%s", op, buf);
    sb_printf(&sumt, "%s%s", op, fr);
  }
  char sc[64];
  describe_number(s->score[u], sc);
  x->score = s->score[u];
  snprintf(x->category, sizeof x->category, "%s", s->excluded[u] ? "" : m->bands[s->band[u]].id);
  json_kv_num(j, "score", s->score[u]);
  json_kv_str(j, "sum", sum.len ? sum.s : "0");
  json_kv_bool(j, "excluded", s->excluded[u]);
  if (s->excluded[u]) {
    sb_textf(t, "\nexcluded: an indicator's rule is null and its missing policy is 'exclude'\n");
  } else {
    int b = s->band[u];
    sb_textf(t, "\nscore = %s = %s\n", sumt.len ? sumt.s : "0", sc);
    json_key(j, "category");
    json_obj(j);
    json_kv_str(j, "id", m->bands[b].id);
    json_kv_str(j, "name", m->bands[b].name);
    json_kv_num(j, "from", m->bands[b].from);
    json_key(j, "to");
    if (b + 1 < m->nbands) json_num(j, m->bands[b + 1].from);
    else json_null(j);
    json_obj_end(j);
    char lo[64], hi[64];
    describe_number(m->bands[b].from, lo);
    sb_textf(t, "category %s (%s): scores from %s", m->bands[b].id, m->bands[b].name, lo);
    if (b + 1 < m->nbands) {
      describe_number(m->bands[b + 1].from, hi);
      sb_textf(t, " up to (not including) %s\n", hi);
    } else {
      sb_puts(t, " up\n");
    }
    if (m->scoring == SCORING_AF) {
      json_kv_bool(j, "poor", s->poor[u]);
      json_kv_num(j, "k", m->k);
      char k[64];
      describe_number(m->k, k);
      sb_textf(t, "%s: the score is %s k = %s\n", s->poor[u] ? "poor" : "not poor",
                s->poor[u] ? "at or above" : "below", k);
    }
    sb_puts(t, "\nnearest change of category:\n");
    explain_nearest(rn, u, j, t);
  }
  explain_benefits(rn, u, j, t);
  sb_free(&sum);
  sb_free(&sumt);
}

static int explain_find(void *ctx, const run *rn, const batch *b, const char *const *ids,
                        af_err *e) {
  explain_ctx *x = ctx;
  (void)e;
  if (x->found) return 0;
  for (int u = 0; u < b->nunits; u++)
    if (strcmp(ids[u], x->unit) == 0) {
      x->found = 1;
      explain_unit(x, rn, u);
      break;
    }
  return 0;
}

/* The recorded result of the unit, against what it scores now. */
static void explain_recorded(explain_ctx *x, store *st, const run_record *rec) {
  double score;
  int poor;
  char *cat = NULL;
  int64_t elig;
  af_err e = {{0}};
  int got = store_unit_result(st, rec->id, x->unit, &score, &poor, &cat, &elig, &e);
  /* Only this unit was read, so the data fingerprint cannot tell whether
  ** the data changed; the unit's own recorded result can. */
  int same = got == 1 && (score == x->score || (isnan(score) && isnan(x->score))) &&
             strcmp(cat ? cat : "", x->category) == 0;
  if (got == 1) {
    json_key(&x->j, "recorded");
    json_obj(&x->j);
    json_kv_num(&x->j, "score", score);
    json_kv_str(&x->j, "category", cat);
    json_kv_bool(&x->j, "same", same);
    json_obj_end(&x->j);
    json_kv_bool(&x->j, "data_changed", !same);
    json_kv_str(&x->j, "recorded_data_path", rec->data_path);
    sb_textf(&x->t, "\nrecorded in run %lld: score ", (long long)rec->id);
    explain_number(&x->t, score);
    sb_textf(&x->t, ", category %s\n", cat ? cat : "(excluded)");
  }
  if (got == 1 && !same)
    sb_textf(&x->t, "note: this unit scores differently now than in run %lld: its data "
              "changed since the run read it from %s\n", (long long)rec->id,
              rec->data_path ? rec->data_path : "(unknown)");
  else if (got == 0)
    sb_textf(&x->t, "note: this unit is not in run %lld\n", (long long)rec->id);
  free(cat);
}

/* Explain the unit under m on db; with a record, compare with its result. */
static int explain_with(cli_opts *o, model *m, store *st, const run_record *rec) {
  cli_run cr = {0};
  explain_ctx x;
  memset(&x, 0, sizeof x);
  x.unit = o->pos[0];
  x.run_id = rec ? rec->id : 0;
  const model *ms[1] = {m};
  af_err e = {{0}};
  int rc = 1;
  run_options ro = {
      .threads = 1,          /* explain reads the strpool while the pass runs */
      .only_unit = x.unit,   /* one unit: an index lookup, not a scan */
      .begin_pass = explain_begin, .batch = explain_find, .ctx = &x};
  /* run_execute, not cli_execute: one unit needs no progress line (nor the
  ** scan that counts the units for it). */
  if (m && cli_open_run(o, &cr, o->db, ms, 1, &ro) == 0) {
    if (run_execute(cr.rn, &e) < 0) {
      cli_fail("%s", e.msg);
    } else if (!x.found) {
      cli_fail("no unit '%s' in %s", x.unit, o->db);
    } else {
      if (rec) explain_recorded(&x, st, rec);
      else sb_textf(&x.t, "\n(draft %s: no recorded run)\n", m->file);
      json_obj_end(&x.j);
      if (o->json) printf("%s\n", x.j.out.s);
      else af_print_text(stdout, x.t.s);
      rc = 0;
    }
  }
  sb_free(&x.j.out);
  sb_free(&x.t);
  run_close(cr.rn);
  return rc;
}

int cmd_explain(cli_opts *o) {
  /* A recorded run (--out, --run), or a draft methodology (--method). */
  int draft = o->nmethods == 1 && !o->out && o->run_id <= 0;
  if (!o->db || o->npos != 1 || (!draft && (!o->out || o->run_id <= 0 || o->nmethods)))
    return cli_usage_error(o, "needs --db DATA.db, UNIT_ID and either --out RESULTS.db --run "
                              "RUN_ID or --method METHOD.lua");
  if (draft) {
    model *m = cli_load_method(o->methods[0]);
    if (!m) return 1;
    int rc = explain_with(o, m, NULL, NULL);
    model_free(m);
    return rc;
  }
  store *st = NULL;
  run_record rec;
  if (cli_open_record(o->out, o->run_id, &st, &rec)) return 1;
  model *m = cli_load_recorded(&rec);
  int rc = explain_with(o, m, st, &rec);
  model_free(m);
  store_record_free(&rec);
  store_close(st);
  return rc;
}
