/*
** ratio.c: exact fractions recovered from doubles (see ratio.h for why).
*/
#include "ratio.h"

#include <assert.h>

#include <math.h>

int64_t ratio_gcd(int64_t a, int64_t b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

int64_t ratio_lcm(int64_t a, int64_t b, int64_t limit) {
  assert(limit > 0);
  int64_t g = ratio_gcd(a, b);
  if (g == 0) return 0;
  __int128 l = (__int128)(a / g) * b;
  if (l < 0) l = -l;
  return l > limit ? -1 : (int64_t)l;
}

int ratio_from_double(double x, int64_t maxden, ratio *out) {
  assert(maxden > 0);
  if (!isfinite(x) || fabs(x) > 1e15) return -1;
  /* Continued-fraction convergents h/k of |x|; stop at the first within
  ** tolerance, which has the smallest denominator of all such convergents.
  ** The tolerance is relative, 2^-48 (16 units in the last place): enough
  ** for amounts computed in Lua (0.1 + 0.2 is a unit off 0.3), and too little
  ** to round a large amount to another number (999999999999.5 is not
  ** 10^12, as a tolerance of 1e-12 relative would make it). */
  double ax = fabs(x), f = ax, tol = ldexp(ax, -48);
  int64_t h0 = 0, h1 = 1, k0 = 1, k1 = 0;
  for (int i = 0; i < 64; i++) {
    double a = floor(f);
    if (a > 9e15) return -1;
    int64_t ai = (int64_t)a;
    __int128 h2 = (__int128)ai * h1 + h0, k2 = (__int128)ai * k1 + k0;
    if (k2 > maxden || h2 > ((__int128)1 << 62)) return -1;
    h0 = h1; h1 = (int64_t)h2;
    k0 = k1; k1 = (int64_t)k2;
    assert(k1 > 0 && h1 >= 0);   /* convergents of a positive number */
    if (fabs((double)h1 / (double)k1 - ax) <= tol) {
      out->num = x < 0 ? -h1 : h1;
      out->den = k1;
      return 0;
    }
    double frac = f - a;
    if (frac <= 0) break;
    f = 1.0 / frac;
  }
  return -1;
}

int ratio_cmp_scaled(int64_t num, int64_t den, ratio r) {
  assert(den > 0 && r.den > 0);
  __int128 a = (__int128)num * r.den, b = (__int128)r.num * den;
  return a < b ? -1 : a > b;
}
