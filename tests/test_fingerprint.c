/*
** test_fingerprint.c: the contract of the data fingerprint (fingerprint.h):
** the same values give the same fingerprint however they are cut into
** batches (columns, member counts, the buffered structure stream), a
** number is its value (integer 2 and real 2.0), any changed value or null
** flag changes it, and its bytes are those the header describes (recomputed
** here with OpenSSL directly). test_source.c checks the same contract
** through the SQLite reader.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "fingerprint.h"
#include "util.h"

#define N 700

static double vals[N];
static unsigned char nulls[N];
static int starts[N + 1];

static void fill(void) {
  for (int i = 0; i < N; i++) {
    vals[i] = i * 0.5 - 3;
    nulls[i] = i % 7 == 0;
    starts[i + 1] = starts[i] + i % 4;
  }
}

/* One fingerprint of a header, then per batch of `batch` units a tag and
** the units' values in columns 0 and 1 and their member counts. */
static void digest(int batch, char out[65]) {
  fingerprint *f = fingerprint_new(2);
  fingerprint_bytes(f, 'T', "families", 8);
  for (int u = 0; u < N; u += batch) {
    int n = u + batch <= N ? batch : N - u;
    fingerprint_tag64(f, 'U', (uint64_t)u);
    fingerprint_column(f, 0, vals + u, nulls + u, n);
    fingerprint_column(f, 1, vals + u, nulls + u, n);
    fingerprint_counts(f, starts + u, n);
  }
  fingerprint_final(f, out);
  fingerprint_free(f);
}

/* The structure stream carries the tags (here one per batch start), so
** batches are compared with tags at the same places: every unit. */
static void digest_tagged_units(int batch, char out[65]) {
  fingerprint *f = fingerprint_new(2);
  for (int u = 0; u < N; u++) fingerprint_tag64(f, 'U', (uint64_t)u);
  for (int u = 0; u < N; u += batch) {
    int n = u + batch <= N ? batch : N - u;
    fingerprint_column(f, 0, vals + u, nulls + u, n);
    fingerprint_column(f, 1, vals + u, nulls + u, n);
    fingerprint_counts(f, starts + u, n);
  }
  fingerprint_final(f, out);
  fingerprint_free(f);
}

static void test_batch_size_independent(void **state) {
  (void)state;
  fill();
  char a[65], b[65], c[65];
  digest_tagged_units(N, a);
  digest_tagged_units(1, b);
  digest_tagged_units(257, c);   /* crosses the 256-count blocks unevenly */
  assert_string_equal(a, b);
  assert_string_equal(a, c);
  /* the tags themselves are data: different tags, different fingerprint */
  digest(N, b);
  assert_string_not_equal(a, b);
}

/* A number is its value: integer 2 and real 2.0 are the same double. */
static void test_integer_equals_real(void **state) {
  (void)state;
  int64_t i2 = 2;
  double from_int = (double)i2, real = 2.0, other = 2.0000000000000004;
  unsigned char nn = 0;
  char a[65], b[65], c[65];
  const double *v[3] = {&from_int, &real, &other};
  char *out[3] = {a, b, c};
  for (int k = 0; k < 3; k++) {
    fingerprint *f = fingerprint_new(1);
    fingerprint_column(f, 0, v[k], &nn, 1);
    fingerprint_final(f, out[k]);
    fingerprint_free(f);
  }
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
}

/* Every value and null flag counts, and so does the column it is in. */
static void test_changes_change_it(void **state) {
  (void)state;
  fill();
  char base[65], x[65];
  digest(50, base);
  vals[300] += 1;
  digest(50, x);
  assert_string_not_equal(base, x);
  vals[300] -= 1;
  nulls[301] ^= 1;
  digest(50, x);
  assert_string_not_equal(base, x);
  nulls[301] ^= 1;
  digest(50, x);
  assert_string_equal(base, x);
  /* the same values in column 1 instead of column 0 */
  fingerprint *f = fingerprint_new(2), *g = fingerprint_new(2);
  fingerprint_column(f, 0, vals, nulls, 3);
  fingerprint_column(g, 1, vals, nulls, 3);
  fingerprint_final(f, base);
  fingerprint_final(g, x);
  fingerprint_free(f);
  fingerprint_free(g);
  assert_string_not_equal(base, x);
}

/* The structure stream's 64 KiB buffer: one put of 200,000 bytes and the
** same bytes in 7-byte pieces are the same stream. */
static void test_structure_buffering(void **state) {
  (void)state;
  size_t n = 200000;
  unsigned char *big = malloc(n);
  for (size_t i = 0; i < n; i++) big[i] = (unsigned char)(i * 31 + 7);
  fingerprint *f = fingerprint_new(0), *g = fingerprint_new(0);
  fingerprint_put(f, big, n);
  for (size_t i = 0; i < n; i += 7) fingerprint_put(g, big + i, n - i < 7 ? n - i : 7);
  char a[65], b[65];
  fingerprint_final(f, a);
  fingerprint_final(g, b);
  fingerprint_free(f);
  fingerprint_free(g);
  free(big);
  assert_string_equal(a, b);
}

/* The bytes: with no number columns and nothing fed, the structure stream
** is 'N', the length 32 (8 bytes, little endian), and the SHA-256 of the
** empty member-count stream; the fingerprint is the SHA-256 of that. */
static void test_known_bytes(void **state) {
  (void)state;
  unsigned char msg[41], empty[32], md[32];
  unsigned int len = 0;
  EVP_Digest("", 0, empty, &len, EVP_sha256(), NULL);
  msg[0] = 'N';
  memset(msg + 1, 0, 8);
  msg[1] = 32;
  memcpy(msg + 9, empty, 32);
  EVP_Digest(msg, sizeof msg, md, &len, EVP_sha256(), NULL);
  char want[65], got[65];
  af_hex(md, 32, want);
  fingerprint *f = fingerprint_new(0);
  fingerprint_final(f, got);
  fingerprint_free(f);
  assert_string_equal(got, want);
}

/* restart starts the structure stream again, restart_numbers the numbers. */
static void test_restart(void **state) {
  (void)state;
  fill();
  char a[65], b[65];
  fingerprint *f = fingerprint_new(1);
  fingerprint_column(f, 0, vals, nulls, 5);
  fingerprint_final(f, a);
  fingerprint_free(f);
  f = fingerprint_new(1);
  fingerprint_put(f, "junk", 4);
  fingerprint_column(f, 0, vals + 5, nulls + 5, 9);
  fingerprint_counts(f, starts, 9);
  fingerprint_restart(f);
  fingerprint_restart_numbers(f);
  fingerprint_column(f, 0, vals, nulls, 5);
  fingerprint_final(f, b);
  fingerprint_free(f);
  assert_string_equal(a, b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batch_size_independent),
      cmocka_unit_test(test_integer_equals_real),
      cmocka_unit_test(test_changes_change_it),
      cmocka_unit_test(test_structure_buffering),
      cmocka_unit_test(test_known_bytes),
      cmocka_unit_test(test_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
