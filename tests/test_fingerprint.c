/*
** test_fingerprint.c: the contract of the data fingerprint (fingerprint.h):
** each unit is hashed on its own and the digests are summed modulo 2^256, so
** the order units come in and the way they are split over readers do not
** count; what is in a unit does (every byte, the unit boundaries); a number
** is its value (integer 2 and real 2.0); and its bytes are those the header
** describes (recomputed here with OpenSSL and a byte-wise addition).
** test_source.c checks the same contract through the SQLite reader.
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

#define N 50

/* Unit u: its tag, a number and, for odd u, a null and a text. */
static void feed_unit(fingerprint *f, int u) {
  fingerprint_unit_begin(f);
  fingerprint_tag64(f, 'U', (uint64_t)u);
  fingerprint_number(f, u * 0.5 - 3, 0);
  if (u % 2) {
    fingerprint_number(f, 0, 1);
    fingerprint_bytes(f, 't', "text", 4);
  }
  fingerprint_unit_end(f);
}

static void header(fingerprint *f) {
  fingerprint_head(f, 'T', "families", 8);
  fingerprint_head64(f, 'y', 1);
}

/* Units 0..N-1 in the order perm gives (NULL: ascending). */
static void digest(const int *perm, char out[65]) {
  fingerprint *f = fingerprint_new();
  header(f);
  for (int i = 0; i < N; i++) feed_unit(f, perm ? perm[i] : i);
  fingerprint_final(f, N, 0, 0, out);
  fingerprint_free(f);
}

static void test_order_independent(void **state) {
  (void)state;
  int rev[N], mixed[N];
  for (int i = 0; i < N; i++) rev[i] = N - 1 - i, mixed[i] = (i * 17) % N;   /* 17 is prime to 50 */
  char a[65], b[65], c[65];
  digest(NULL, a);
  digest(rev, b);
  digest(mixed, c);
  assert_string_equal(a, b);
  assert_string_equal(a, c);
}

/* Two readers over disjoint parts, merged in either order, are one reader. */
static void test_merge(void **state) {
  (void)state;
  char whole[65], ab[65], ba[65];
  digest(NULL, whole);
  for (int order = 0; order < 2; order++) {
    fingerprint *p[2] = {fingerprint_new(), fingerprint_new()};
    for (int k = 0; k < 2; k++) header(p[k]);
    for (int u = 0; u < N; u++) feed_unit(p[u < 20 ? 0 : 1], u);
    fingerprint_merge(p[order], p[1 - order]);
    fingerprint_final(p[order], N, 0, 0, order ? ba : ab);
    fingerprint_free(p[0]);
    fingerprint_free(p[1]);
  }
  assert_string_equal(whole, ab);
  assert_string_equal(whole, ba);
}

/* A number is its value: integer 2 and real 2.0 are the same double. */
static void test_integer_equals_real(void **state) {
  (void)state;
  int64_t i2 = 2;
  double v[3] = {(double)i2, 2.0, 2.0000000000000004};
  char out[3][65];
  for (int k = 0; k < 3; k++) {
    fingerprint *f = fingerprint_new();
    fingerprint_unit_begin(f);
    fingerprint_number(f, v[k], 0);
    fingerprint_unit_end(f);
    fingerprint_final(f, 1, 0, 0, out[k]);
    fingerprint_free(f);
  }
  assert_string_equal(out[0], out[1]);
  assert_string_not_equal(out[0], out[2]);
}

/* Bytes fed as units: each list is cut into units at the '|'s. */
static void digest_units(const char *units, char out[65]) {
  fingerprint *f = fingerprint_new();
  const char *p = units;
  int n = 0;
  for (;;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    fingerprint_unit_begin(f);
    fingerprint_put(f, p, len);
    fingerprint_unit_end(f);
    n++;
    if (!bar) break;
    p = bar + 1;
  }
  fingerprint_final(f, (uint64_t)n, 0, 0, out);
  fingerprint_free(f);
}

/* Any byte, the unit boundaries, the counts and the header count; a unit
** fed twice is not the same as once (the sum is not a xor). */
static void test_changes_change_it(void **state) {
  (void)state;
  char base[65], x[65];
  digest_units("abc|def", base);
  digest_units("abc|deg", x);
  assert_string_not_equal(base, x);
  digest_units("ab|cdef", x);
  assert_string_not_equal(base, x);
  digest_units("def|abc", x);
  assert_string_equal(base, x);
  digest_units("abc|abc", base);
  digest_units("abc", x);
  assert_string_not_equal(base, x);
  fingerprint *f = fingerprint_new(), *g = fingerprint_new();
  fingerprint_final(f, 1, 2, 3, base);
  fingerprint_final(f, 1, 2, 4, x);
  assert_string_not_equal(base, x);
  fingerprint_head(g, 'T', "t", 1);
  fingerprint_final(g, 1, 2, 3, x);
  assert_string_not_equal(base, x);
  fingerprint_free(f);
  fingerprint_free(g);
}

static void sha(const void *p, size_t n, unsigned char d[32]) {
  unsigned int len = 0;
  EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
}

/* The bytes: SHA-256 of "afscore data fingerprint 4" with its NUL, the
** header, the sum of the unit digests (32 bytes, little endian, added here
** byte by byte with carry) and the three counts, each a tag and 8 bytes. */
static void test_known_bytes(void **state) {
  (void)state;
  unsigned char d1[32], d2[32], sum[32];
  sha("one", 3, d1);
  sha("two", 3, d2);
  unsigned carry = 0;
  for (int i = 0; i < 32; i++) {
    unsigned t = d1[i] + d2[i] + carry;
    sum[i] = (unsigned char)t;
    carry = t >> 8;
  }
  static const char version[] = "afscore data fingerprint 4";
  unsigned char msg[sizeof version + 10 + 32 + 27];
  size_t n = 0;
  memcpy(msg, version, sizeof version);
  n += sizeof version;
  unsigned char head[10] = {'K', 1, 0, 0, 0, 0, 0, 0, 0, 'k'};
  memcpy(msg + n, head, 10);
  n += 10;
  memcpy(msg + n, sum, 32);
  n += 32;
  const char tags[3] = {'E', 'm', 'o'};
  for (int t = 0; t < 3; t++) {
    memset(msg + n, 0, 9);
    msg[n] = (unsigned char)tags[t];
    msg[n + 1] = (unsigned char)(t + 2);   /* counts 2, 3, 4 */
    n += 9;
  }
  assert_int_equal(n, sizeof msg);
  unsigned char md[32];
  sha(msg, n, md);
  char want[65], got[65];
  af_hex(md, 32, want);
  fingerprint *f = fingerprint_new();
  fingerprint_head(f, 'K', "k", 1);
  fingerprint_unit_begin(f);
  fingerprint_put(f, "two", 3);
  fingerprint_unit_end(f);
  fingerprint_unit_begin(f);
  fingerprint_put(f, "on", 2);
  fingerprint_put(f, "e", 1);
  fingerprint_unit_end(f);
  fingerprint_final(f, 2, 3, 4, got);
  fingerprint_free(f);
  assert_string_equal(got, want);
}

/* The fingerprint of one unit fed through f's typed calls (feed) equals the
** one of the bytes written out here by hand. */
static void unit_is(void (*feed)(fingerprint *), const unsigned char *bytes, size_t n) {
  char want[65], got[65];
  fingerprint *f = fingerprint_new(), *g = fingerprint_new();
  fingerprint_unit_begin(f);
  feed(f);
  fingerprint_unit_end(f);
  fingerprint_final(f, 1, 0, 0, got);
  fingerprint_unit_begin(g);
  fingerprint_put(g, bytes, n);
  fingerprint_unit_end(g);
  fingerprint_final(g, 1, 0, 0, want);
  fingerprint_free(f);
  fingerprint_free(g);
  assert_string_equal(got, want);
}

/* Whole numbers: zigzag code plus 2: 0 -> 2, -1 -> 3, 1 -> 4, 63 -> 128
** (0x80 0x01 in LEB128), -64 -> 129, 64 -> 130, 300 -> 602 = 0x25a
** (0xda 0x04), 2^61 -> 2^62 + 2 (0x82, seven 0x80, 0x40). */
static void feed_whole(fingerprint *f) {
  double v[] = {0, -1, 1, 63, -64, 64, 300, 2305843009213693952.0};
  for (int i = 0; i < 8; i++) fingerprint_number(f, v[i], 0);
}
static const unsigned char WHOLE[] = {2, 3, 4, 0x80, 0x01, 0x81, 0x01, 0x82, 0x01, 0xda, 0x04,
                                      0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40};

/* Not whole, -0.0, 2^62 and -2^63 (whole, but not under 2^62): 1 and the
** 8 bytes of the double; null: 0. */
static void feed_other(fingerprint *f) {
  fingerprint_number(f, 0.5, 0);                    /* 0x3fe0000000000000 */
  fingerprint_number(f, -0.0, 0);                   /* 0x8000000000000000 */
  fingerprint_number(f, 4611686018427387904.0, 0);  /* 2^62: 0x43d0000000000000 */
  fingerprint_number(f, -9223372036854775808.0, 0); /* -2^63: 0xc3e0000000000000 */
  fingerprint_number(f, 7, 1);
}
static const unsigned char OTHER[] = {1, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f,
                                      1, 0, 0, 0, 0, 0, 0, 0, 0x80,
                                      1, 0, 0, 0, 0, 0, 0, 0xd0, 0x43,
                                      1, 0, 0, 0, 0, 0, 0, 0xe0, 0xc3, 0};

/* An integer tag with int64's largest (zigzag 2^64 - 2 takes ten bytes) and
** smallest (2^64 - 1) values, text with its length, a tag and 8 bytes. */
static void feed_ends(fingerprint *f) {
  fingerprint_int(f, 'i', INT64_MAX);
  fingerprint_int(f, 'i', INT64_MIN);
  fingerprint_bytes(f, 't', "abc", 3);
  fingerprint_tag64(f, 'f', 0x0102030405060708ull);
}
static const unsigned char ENDS[] = {
    'i', 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    'i', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    't', 3, 'a', 'b', 'c', 'f', 8, 7, 6, 5, 4, 3, 2, 1};

static void test_value_bytes(void **state) {
  (void)state;
  unit_is(feed_whole, WHOLE, sizeof WHOLE);
  unit_is(feed_other, OTHER, sizeof OTHER);
  unit_is(feed_ends, ENDS, sizeof ENDS);
}

/* Text longer than 127 bytes: a two-byte length (200 = 0xc8 0x01). */
static void feed_long(fingerprint *f) {
  char t[200];
  memset(t, 'x', sizeof t);
  fingerprint_bytes(f, 'b', t, sizeof t);
}

static void test_long_text(void **state) {
  (void)state;
  unsigned char b[203] = {'b', 0xc8, 0x01};
  memset(b + 3, 'x', 200);
  unit_is(feed_long, b, sizeof b);
}

/* The sum carries across words and wraps at 2^256. */
static void test_sum_wraps(void **state) {
  (void)state;
  fingerprint_sum a = {{UINT64_MAX, UINT64_MAX, 5, UINT64_MAX}}, b = {{1, 0, 0, 0}};
  fingerprint_sum_merge(&a, &b);
  assert_true(a.w[0] == 0 && a.w[1] == 0 && a.w[2] == 6 && a.w[3] == UINT64_MAX);
  fingerprint_sum c = {{0, 0, 0, UINT64_MAX}}, d = {{0, 0, 0, 1}};
  fingerprint_sum_merge(&c, &d);
  assert_true(c.w[0] == 0 && c.w[1] == 0 && c.w[2] == 0 && c.w[3] == 0);
  unsigned char bytes[32];
  fingerprint_sum_bytes(&a, bytes);
  assert_int_equal(bytes[16], 6);
  assert_int_equal(bytes[31], 0xff);
}

/* restart forgets the header, the units and the sum. */
static void test_restart(void **state) {
  (void)state;
  char a[65], b[65];
  digest(NULL, a);
  fingerprint *f = fingerprint_new();
  fingerprint_head(f, 'J', "junk", 4);
  feed_unit(f, 99);
  fingerprint_unit_begin(f);   /* a unit cut short by the restart */
  fingerprint_put(f, "x", 1);
  fingerprint_restart(f);
  header(f);
  for (int u = 0; u < N; u++) feed_unit(f, u);
  fingerprint_final(f, N, 0, 0, b);
  fingerprint_free(f);
  assert_string_equal(a, b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_independent),
      cmocka_unit_test(test_merge),
      cmocka_unit_test(test_integer_equals_real),
      cmocka_unit_test(test_changes_change_it),
      cmocka_unit_test(test_known_bytes),
      cmocka_unit_test(test_value_bytes),
      cmocka_unit_test(test_long_text),
      cmocka_unit_test(test_sum_wraps),
      cmocka_unit_test(test_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
