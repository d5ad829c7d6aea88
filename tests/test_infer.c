/*
** test_infer.c: design-based variances (infer.c) against closed forms.
**
** A simple random sample of n units with weight 1 has, for a proportion p,
** Var = p (1 - p) / (n - 1) (the with-replacement estimator, n/(n-1) times
** the mean square); for a ratio Y/X the linearised Var = n/(n-1) sum_i
** ((y_i - R x_i) / X)^2. The tests feed units one by one (infer_add) and
** compare every standard error with these formulas computed here, then
** check that PSU totals give the same figures as units-as-PSUs moments, and
** the quantiles against values printed by R (qt, qnorm).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "infer.h"

#define NI 2
static const double W[NI] = {0.5, 0.5};

typedef struct sample {
  int n;
  double w[64], score[64], round[64], year[64];
  int poor[64], excluded[64];
  unsigned char dep[64][NI];
  int32_t stratum[64], psu[64], group[64];
} sample;

/* Scores 0, 1/2 or 1 from two indicators of weight 1/2; poor at k = 1/2. */
static void add_unit(sample *s, int d0, int d1, double round) {
  int i = s->n++;
  s->w[i] = 1;
  s->dep[i][0] = (unsigned char)d0;
  s->dep[i][1] = (unsigned char)d1;
  s->score[i] = 0.5 * d0 + 0.5 * d1;
  s->poor[i] = s->score[i] >= 0.5;
  s->round[i] = round;
  s->year[i] = round == 1 ? 2010 : 2014;
}

static infer *feed_as(const sample *s, int psu, int strata, int rounds, int sweep,
                      strpool *pool) {
  infer_spec sp = {NI, W, 1, strata, psu, rounds, rounds, 0.5};
  infer *in = infer_new(&sp);
  if (sweep) infer_by_score(in);
  for (int i = 0; i < s->n; i++) {
    char name[32];
    snprintf(name, sizeof name, "psu%d", s->psu[i]);
    int32_t pid = strpool_intern(pool, name, strlen(name));
    snprintf(name, sizeof name, "s%d", s->stratum[i]);
    int32_t sid = strpool_intern(pool, name, strlen(name));
    infer_unit u = {s->w[i], sid, pid, s->round[i], s->year[i], &s->group[i],
                    s->excluded[i], s->poor[i], s->score[i], s->dep[i]};
    af_err e = {{0}};
    assert_int_equal(infer_add(in, &u, "u", &e), 0);
  }
  return in;
}

static infer *feed(const sample *s, int psu, int strata, int rounds, strpool *pool) {
  return feed_as(s, psu, strata, rounds, 0, pool);
}

static const infer_est *find(const infer_result *r, infer_measure m, int ind, int round) {
  for (int i = 0; i < r->nest; i++)
    if (r->est[i].measure == m && r->est[i].indicator == ind && r->est[i].group < 0 &&
        r->est[i].round == round)
      return &r->est[i];
  fail_msg("no estimate %d/%d", (int)m, ind);
  return NULL;
}

/* 10 units: deprivations (0,0) x4, (1,0) x3, (1,1) x2, (0,1) x1. */
static void ten_units(sample *s) {
  memset(s, 0, sizeof *s);
  int d[10][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 1}, {1, 1}, {0, 1}};
  for (int i = 0; i < 10; i++) add_unit(s, d[i][0], d[i][1], 1);
  for (int i = 0; i < 10; i++) s->psu[i] = i;
}

static void check_srs(const infer_result *r) {
  double n = 10;
  /* H = 6/10: Var = H (1 - H) / (n - 1). */
  const infer_est *H = find(r, INFER_H, -1, 0);
  assert_double_equal(H->b, 0.6, 1e-15);
  assert_double_equal(H->se, sqrt(0.6 * 0.4 / 9), 1e-15);
  /* hd of indicator 0 = 5/10, of indicator 1 = 3/10. */
  assert_double_equal(find(r, INFER_HD, 0, 0)->se, sqrt(0.5 * 0.5 / 9), 1e-15);
  assert_double_equal(find(r, INFER_HD, 1, 0)->se, sqrt(0.3 * 0.7 / 9), 1e-15);
  /* M0 = mean of poor * score = (3 * 0.5 + 2 * 1 + 0.5) / 10 = 0.4. */
  double ss = 4 * 0.4 * 0.4 + 4 * 0.1 * 0.1 + 2 * 0.6 * 0.6;
  const infer_est *M0 = find(r, INFER_M0, -1, 0);
  assert_double_equal(M0->b, 0.4, 1e-15);
  assert_double_equal(M0->se, sqrt(ss / (n * (n - 1))), 1e-15);
  /* A = 4/6 over the 6 poor: z_i = poor_i (c_i - A) / 6. */
  double A = 4.0 / 6, za = 4 * (0.5 - A) * (0.5 - A) + 2 * (1 - A) * (1 - A);
  const infer_est *Ae = find(r, INFER_A, -1, 0);
  assert_double_equal(Ae->b, A, 1e-15);
  assert_double_equal(Ae->se, sqrt(n / (n - 1) * za / 36), 1e-15);
  /* pctb of indicator 0 = 0.5 * 5 / 4 (share of M0): a ratio too, z_i =
  ** (0.5 poor d0 - pctb poor c) / (sum poor c). */
  double P = 0.5 * 5 / 4, zp = 0;
  int dd[10][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 1}, {1, 1}, {0, 1}};
  for (int i = 0; i < 10; i++) {
    double c = 0.5 * dd[i][0] + 0.5 * dd[i][1], p = c >= 0.5;
    double zi = (0.5 * p * dd[i][0] - P * p * c) / 4;
    zp += zi * zi;
  }
  const infer_est *pc = find(r, INFER_PCTB, 0, 0);
  assert_double_equal(pc->b, P, 1e-15);
  assert_double_equal(pc->se, sqrt(n / (n - 1) * zp), 1e-15);
  /* Logit interval with t on n - 1 = 9 df. */
  double t = 2.2621571627982049;   /* R: qt(0.975, 9) */
  double l = log(0.6 / 0.4), h = t * H->se / (0.6 * 0.4);
  assert_double_equal(H->ll, 1 / (1 + exp(-(l - h))), 1e-12);
  assert_double_equal(H->ul, 1 / (1 + exp(-(l + h))), 1e-12);
  assert_int_equal(r->df, 9);
}

static void test_srs_closed_forms(void **state) {
  (void)state;
  sample s;
  ten_units(&s);
  strpool *pool = strpool_new();
  infer *in = feed(&s, 0, 0, 0, pool);
  infer_result r;
  af_err e = {{0}};
  assert_int_equal(infer_finish(in, pool, 0.95, &r, &e), 0);
  check_srs(&r);
  infer_result_free(&r);
  infer_free(in);
  /* The same units as ten PSUs of one stratum: the same figures. */
  in = feed(&s, 1, 0, 0, pool);
  assert_int_equal(infer_finish(in, pool, 0.95, &r, &e), 0);
  check_srs(&r);
  infer_result_free(&r);
  infer_free(in);
  strpool_free(pool);
}

/* Two rounds of an SRS pooled: Var(H_r) = n/(n-1) H_r (1 - H_r) / n_r, and
** the change's variance is the sum (no PSU is in both rounds). */
static void test_srs_change(void **state) {
  (void)state;
  sample s;
  ten_units(&s);
  int d2[6][2] = {{0, 0}, {0, 0}, {0, 0}, {1, 0}, {0, 0}, {1, 1}};
  for (int i = 0; i < 6; i++) add_unit(&s, d2[i][0], d2[i][1], 2);
  strpool *pool = strpool_new();
  infer *in = feed(&s, 0, 0, 1, pool);
  infer_result r;
  af_err e = {{0}};
  assert_int_equal(infer_finish(in, pool, 0.95, &r, &e), 0);
  double n = 16, H1 = 0.6, H2 = 2.0 / 6;
  double v1 = n / (n - 1) * H1 * (1 - H1) / 10, v2 = n / (n - 1) * H2 * (1 - H2) / 6;
  assert_double_equal(find(&r, INFER_H, -1, 0)->se, sqrt(v1), 1e-15);
  assert_double_equal(find(&r, INFER_H, -1, 1)->se, sqrt(v2), 1e-15);
  int seen = 0;
  double z = 1.9599639845400536;   /* R: qnorm(0.975) */
  for (int i = 0; i < r.nchg; i++) {
    const infer_change *c = &r.chg[i];
    if (c->est.measure != INFER_H || c->est.group >= 0) continue;
    double se = sqrt(v1 + v2);
    if (c->kind == INFER_ABSOLUTE) {
      assert_double_equal(c->est.b, H2 - H1, 1e-15);
      assert_double_equal(c->est.se, se, 1e-15);
      assert_double_equal(c->est.ll, H2 - H1 - z * se, 1e-12);
    } else if (c->kind == INFER_ABSOLUTE_ANNUAL) {
      assert_double_equal(c->est.b, (H2 - H1) / 4, 1e-15);
      assert_double_equal(c->est.se, se / 4, 1e-15);
    } else if (c->kind == INFER_RELATIVE) {
      /* Delta method: d(100 (H2/H1 - 1)) = 100 (dH2 / H1 - H2 dH1 / H1^2). */
      assert_double_equal(c->est.b, 100 * (H2 / H1 - 1), 1e-12);
      assert_double_equal(c->est.se, 100 * sqrt(v2 / (H1 * H1) + v1 * H2 * H2 / pow(H1, 4)),
                          1e-12);
    } else {
      double q = pow(H2 / H1, 0.25), g = 100 * 0.25 * q / (H2 / H1);
      assert_double_equal(c->est.b, 100 * (q - 1), 1e-12);
      assert_double_equal(c->est.se,
                          g * sqrt(v2 / (H1 * H1) + v1 * H2 * H2 / pow(H1, 4)), 1e-12);
    }
    seen++;
  }
  assert_int_equal(seen, 4);
  assert_double_equal(r.year[1] - r.year[0], 4, 0);
  infer_result_free(&r);
  infer_free(in);
  strpool_free(pool);
}

/* Weighted, stratified, with groups and exclusions: PSU totals of one unit
** each and units-as-PSUs moments are two computations of the same variance. */
static void test_psu_and_unit_paths_agree(void **state) {
  (void)state;
  sample s;
  memset(&s, 0, sizeof s);
  unsigned x = 12345;
  for (int i = 0; i < 60; i++) {
    x = x * 1103515245u + 12345u;
    add_unit(&s, (x >> 16) & 1, (x >> 17) & 1, 1 + ((x >> 18) & 1));
    s.w[i] = 1 + ((x >> 20) % 7);
    s.stratum[i] = i % 3;
    s.psu[i] = i;
    s.group[i] = (x >> 24) % 3 == 0 ? -1 : (int32_t)((x >> 24) % 3);
    s.excluded[i] = i % 11 == 5;
  }
  strpool *pool = strpool_new();
  strpool_intern(pool, "a", 1), strpool_intern(pool, "b", 1), strpool_intern(pool, "c", 1);
  infer *a = feed(&s, 0, 1, 1, pool), *b = feed(&s, 1, 1, 1, pool);
  infer_result ra, rb;
  af_err e = {{0}};
  assert_int_equal(infer_finish(a, pool, 0.9, &ra, &e), 0);
  assert_int_equal(infer_finish(b, pool, 0.9, &rb, &e), 0);
  assert_int_equal(ra.nest, rb.nest);
  assert_int_equal(ra.nchg, rb.nchg);
  assert_int_equal(ra.df, 57);
  assert_int_equal(rb.df, 57);
  for (int i = 0; i < ra.nest; i++) {
    assert_int_equal(ra.est[i].measure, rb.est[i].measure);
    assert_double_equal(ra.est[i].b, rb.est[i].b, 1e-15);
    if (isnan(ra.est[i].se)) assert_true(isnan(rb.est[i].se));
    else assert_double_equal(ra.est[i].se, rb.est[i].se, 1e-14);
  }
  for (int i = 0; i < ra.nchg; i++)
    if (!isnan(ra.chg[i].est.se)) assert_double_equal(ra.chg[i].est.se, rb.chg[i].est.se, 1e-12);
  infer_result_free(&ra);
  infer_result_free(&rb);
  infer_free(a);
  infer_free(b);
  strpool_free(pool);
}

static void test_single_psu_stratum_fails(void **state) {
  (void)state;
  sample s;
  ten_units(&s);
  for (int i = 0; i < 10; i++) s.stratum[i] = i < 9 ? 1 : 2, s.psu[i] = i / 3;
  strpool *pool = strpool_new();
  infer *in = feed(&s, 1, 1, 0, pool);
  infer_result r;
  af_err e = {{0}};
  assert_int_equal(infer_finish(in, pool, 0.95, &r, &e), -1);
  assert_non_null(strstr(e.msg, "stratum 's2' has a single PSU"));
  infer_free(in);
  strpool_free(pool);
}

static void test_bad_weight_and_year(void **state) {
  (void)state;
  sample s;
  ten_units(&s);
  s.w[3] = 0;
  strpool *pool = strpool_new();
  af_err e = {{0}};
  infer_spec sp = {NI, W, 1, 0, 0, 1, 1, 0.5};
  infer *in = infer_new(&sp);
  infer_unit u = {0, 0, 0, 1, 2010, &s.group[0], 0, 0, 0, s.dep[0]};
  assert_int_equal(infer_add(in, &u, "f7", &e), -1);
  assert_non_null(strstr(e.msg, "unit 'f7': sampling weight 0"));
  u.weight = 1;
  assert_int_equal(infer_add(in, &u, "f8", &e), 0);
  u.year = 2011;
  assert_int_equal(infer_add(in, &u, "f9", &e), -1);
  assert_non_null(strstr(e.msg, "unit 'f9': year 2011 differs from 2010"));
  infer_free(in);
  strpool_free(pool);
}

/* Zero and one have no logit interval. */
static void test_no_interval_at_bounds(void **state) {
  (void)state;
  sample s;
  ten_units(&s);
  for (int i = 0; i < 10; i++) s.dep[i][1] = 0;   /* hd of indicator 1 is 0 */
  strpool *pool = strpool_new();
  infer *in = feed(&s, 0, 0, 0, pool);
  infer_result r;
  af_err e = {{0}};
  assert_int_equal(infer_finish(in, pool, 0.95, &r, &e), 0);
  const infer_est *x = find(&r, INFER_HD, 1, 0);
  assert_double_equal(x->b, 0, 0);
  assert_double_equal(x->se, 0, 0);
  assert_true(isnan(x->ll) && isnan(x->ul));
  infer_result_free(&r);
  infer_free(in);
  strpool_free(pool);
}

/* Sweep: at k = 1/2 the figures equal a plain run's at k = 1/2 (both
** variance paths), and two groups' M0 differ by a variance that is the sum of
** theirs (an SRS: no unit is in both, and each domain's scores sum to 0). */
static void test_sweep(void **state) {
  (void)state;
  sample s;
  ten_units(&s);
  for (int i = 0; i < 10; i++) s.group[i] = i < 5 ? 0 : 1;
  strpool *pool = strpool_new();
  strpool_intern(pool, "a", 1), strpool_intern(pool, "b", 1);
  for (int psu = 0; psu < 2; psu++) {
    infer *plain = feed(&s, psu, 0, 0, pool), *sw = feed_as(&s, psu, 0, 0, 1, pool);
    infer_result rp, rs;
    af_err e = {{0}};
    assert_int_equal(infer_finish(plain, pool, 0.95, &rp, &e), 0);
    assert_int_equal(infer_finish(sw, pool, 0.95, &rs, &e), 0);
    int matched = 0;
    for (int i = 0; i < rs.nest; i++) {
      const infer_est *x = &rs.est[i];
      if (x->k != 0.5) continue;
      for (int j = 0; j < rp.nest; j++) {
        const infer_est *y = &rp.est[j];
        if (y->measure != x->measure || y->group != x->group || y->value != x->value) continue;
        assert_double_equal(x->b, y->b, 1e-15);
        assert_double_equal(x->se, y->se, 1e-15);
        matched++;
      }
    }
    assert_int_equal(matched, 3 * 3);   /* H, A, M0; the nation and two groups */
    /* Scores 1/2 and 1 (k = 0 is left out): one pair of groups at each. */
    assert_int_equal(rs.npairs, 2);
    const infer_pair *p = &rs.pairs[0];
    assert_double_equal(p->k, 0.5, 0);
    double va = NAN, vb = NAN;
    for (int j = 0; j < rp.nest; j++)
      if (rp.est[j].measure == INFER_M0 && rp.est[j].group == 0)
        *(rp.est[j].value == p->a ? &va : &vb) = rp.est[j].se * rp.est[j].se;
    assert_double_equal(p->se, sqrt(va + vb), 1e-15);
    assert_int_equal(p->significant, fabs(p->diff) > 1.9599639845400536 * p->se);
    infer_result_free(&rp);
    infer_result_free(&rs);
    infer_free(plain);
    infer_free(sw);
  }
  strpool_free(pool);
}

static void test_quantiles(void **state) {
  (void)state;
  /* Values printed by R 4 with %.17g. */
  assert_double_equal(infer_qnorm(0.975), 1.9599639845400536, 1e-14);
  assert_double_equal(infer_qnorm(0.995), 2.5758293035488999, 1e-14);
  assert_double_equal(infer_qnorm(1e-10), -6.3613409024040557, 1e-13);
  assert_double_equal(infer_qt(0.975, 10), 2.2281388519862739, 1e-13);
  assert_double_equal(infer_qt(0.975, 1), 12.706204736174694, 1e-11);
  assert_double_equal(infer_qt(0.95, 597), 1.6474099934626181, 1e-13);
  assert_double_equal(infer_qt(0.975, 597), 1.9639455694852219, 1e-13);
  assert_double_equal(infer_qt(0.995, 3), 5.8409093097333544, 1e-12);
  assert_double_equal(infer_qt(0.025, 10), -2.2281388519862739, 1e-13);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_srs_closed_forms),
      cmocka_unit_test(test_srs_change),
      cmocka_unit_test(test_psu_and_unit_paths_agree),
      cmocka_unit_test(test_single_psu_stratum_fails),
      cmocka_unit_test(test_bad_weight_and_year),
      cmocka_unit_test(test_no_interval_at_bounds),
      cmocka_unit_test(test_sweep),
      cmocka_unit_test(test_quantiles),
  };
  return cmocka_run_group_tests_name("infer", tests, NULL, NULL);
}
