/*
** ratio.h: exact fractions for identification and bands.
**
** Weights like 1/18 and 1/30 have no exact binary form, so a float sum of
** six 1/30 weights can land a hair below k = 1/5 and drop a poor family. The
** scorer therefore turns every amount (AF weight or points), k and band bound
** into a fraction p/q recovered from the double (continued fractions), puts
** the amounts over one common denominator L, and keeps each unit's score as an
** integer numerator. Comparisons are then exact integer arithmetic.
*/
#ifndef AF_RATIO_H
#define AF_RATIO_H

#include <stdint.h>

typedef struct ratio {
  int64_t num, den;     /* den > 0, in lowest terms */
} ratio;

/* The fraction with the smallest denominator <= maxden within a relative
** 1e-12 of x; returns 0, or -1 when there is none (x is then not treated as a
** fraction) or x is not finite. */
int ratio_from_double(double x, int64_t maxden, ratio *out);
int64_t ratio_gcd(int64_t a, int64_t b);
/* lcm, or -1 on overflow past limit. */
int64_t ratio_lcm(int64_t a, int64_t b, int64_t limit);
/* Compare num/den_a with r exactly: <0, 0, >0. */
int ratio_cmp_scaled(int64_t num, int64_t den, ratio r);

#endif
