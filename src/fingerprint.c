/*
** fingerprint.c: the SHA-256 fingerprint of the data a run reads (see
** fingerprint.h): one SHA-256 per unit, summed modulo 2^256, and a header.
** The digest algorithm is fetched once per context (EVP_MD_fetch), which
** halves the cost of a digest of a few hundred bytes against EVP_sha256().
*/
#include "fingerprint.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "util.h"

/* ---- sums of digests ---- */

fingerprint_md *fingerprint_md_new(void) {
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (!c || !md || EVP_DigestInit_ex2(c, md, NULL) != 1) abort();
  EVP_MD_free(md);   /* the context keeps its own reference */
  return c;
}

void fingerprint_md_free(fingerprint_md *md) { EVP_MD_CTX_free(md); }

static void fingerprint_digest(fingerprint_md *md, const void *p, size_t n, unsigned char d[32]) {
  unsigned int dn = 0;
  /* NULL type: the context's fetched algorithm again */
  if (EVP_DigestInit_ex2(md, NULL, NULL) != 1 || EVP_DigestUpdate(md, p, n) != 1 ||
      EVP_DigestFinal_ex(md, d, &dn) != 1)
    abort();
  assert(dn == 32);
}

static void fingerprint_sum_add(fingerprint_sum *s, const uint64_t x[4]) {
  unsigned carry = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t a = s->w[i], t = a + x[i];
    unsigned c1 = t < a;
    uint64_t r = t + carry;
    carry = c1 | (r < t);
    s->w[i] = r;
  }
}

/* The 8 bytes at p as a little-endian number (one load where the machine is
** little endian: compilers see the pattern). */
static uint64_t fingerprint_get_le64(const unsigned char *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
         (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
         (uint64_t)p[7] << 56;
}

void fingerprint_sum_hash(fingerprint_sum *s, fingerprint_md *md, const void *p, size_t n) {
  unsigned char d[32];
  fingerprint_digest(md, p, n, d);
  uint64_t x[4];
  for (int i = 0; i < 4; i++) x[i] = fingerprint_get_le64(d + 8 * i);
  fingerprint_sum_add(s, x);
}

void fingerprint_sum_merge(fingerprint_sum *s, const fingerprint_sum *t) {
  fingerprint_sum_add(s, t->w);
}

void fingerprint_sum_bytes(const fingerprint_sum *s, unsigned char out[32]) {
  for (int i = 0; i < 32; i++) out[i] = (unsigned char)(s->w[i / 8] >> (8 * (i % 8)));
}

/* ---- the data fingerprint ---- */

struct fingerprint {
  fingerprint_md *md;
  strbuf head;              /* the header's bytes */
  unsigned char *unit;      /* the current unit's bytes */
  size_t ulen, ucap;
  int in_unit;
  fingerprint_sum sum;      /* of the unit digests */
};

fingerprint *fingerprint_new(void) {
  fingerprint *f = af_calloc(1, sizeof *f);
  f->md = fingerprint_md_new();
  return f;
}

void fingerprint_free(fingerprint *f) {
  if (!f) return;
  fingerprint_md_free(f->md);
  sb_free(&f->head);
  free(f->unit);
  free(f);
}

void fingerprint_restart(fingerprint *f) {
  f->head.len = 0;
  f->ulen = 0;
  f->in_unit = 0;
  memset(&f->sum, 0, sizeof f->sum);
}

static void fingerprint_le64(unsigned char b[9], char tag, uint64_t x) {
  b[0] = (unsigned char)tag;
  for (int i = 0; i < 8; i++) b[1 + i] = (unsigned char)(x >> (8 * i));
}

void fingerprint_head64(fingerprint *f, char tag, uint64_t x) {
  unsigned char b[9];
  fingerprint_le64(b, tag, x);
  sb_putn(&f->head, (const char *)b, 9);
}

void fingerprint_head(fingerprint *f, char tag, const void *p, size_t n) {
  fingerprint_head64(f, tag, (uint64_t)n);
  sb_putn(&f->head, (const char *)p, n);
}

void fingerprint_unit_begin(fingerprint *f) {
  assert(!f->in_unit);
  f->ulen = 0;
  f->in_unit = 1;
}

static void fingerprint_grow(fingerprint *f, size_t n) {
  size_t c = f->ucap ? f->ucap : 1024;
  while (c < f->ulen + n) c *= 2;
  f->unit = af_realloc(f->unit, c);
  f->ucap = c;
}

/* Room for n more bytes of the current unit (every value read goes
** through here: the common case is one comparison, inline). */
static inline unsigned char *fingerprint_room(fingerprint *f, size_t n) {
  assert(f->in_unit);
  if (f->ulen + n > f->ucap) fingerprint_grow(f, n);
  return f->unit + f->ulen;
}

void fingerprint_put(fingerprint *f, const void *p, size_t n) {
  unsigned char *d = fingerprint_room(f, n);
  if (n) memcpy(d, p, n);
  f->ulen += n;
}

/* x as LEB128 (7 bits a byte, least significant first, high bit: more to
** come) at p: 1 to 10 bytes. */
static inline size_t fingerprint_leb(unsigned char *p, uint64_t x) {
  size_t n = 0;
  for (; x >= 0x80; x >>= 7) p[n++] = (unsigned char)(x | 0x80);
  p[n++] = (unsigned char)x;
  return n;
}

/* 0, -1, 1, -2, 2... as 0, 1, 2, 3, 4... */
static inline uint64_t fingerprint_zigzag(int64_t v) {
  return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

void fingerprint_int(fingerprint *f, char tag, int64_t v) {
  unsigned char *d = fingerprint_room(f, 11);
  d[0] = (unsigned char)tag;
  f->ulen += 1 + fingerprint_leb(d + 1, fingerprint_zigzag(v));
}

void fingerprint_tag64(fingerprint *f, char tag, uint64_t x) {
  fingerprint_le64(fingerprint_room(f, 9), tag, x);
  f->ulen += 9;
}

void fingerprint_bytes(fingerprint *f, char tag, const void *p, size_t n) {
  unsigned char *d = fingerprint_room(f, 11 + n);
  d[0] = (unsigned char)tag;
  size_t h = 1 + fingerprint_leb(d + 1, (uint64_t)n);
  if (n) memcpy(d + h, p, n);
  f->ulen += h + n;
}

/* A number, in a number column (so no type tag is needed), as one LEB128
** code: 0 null; 1 and the 8 bytes of the double; a whole number under 2^62
** in magnitude (not -0.0, which would read back as 0) is its zigzag code
** plus 2, one byte from -63 to 62. Each double has one form and reads back
** from it. */
void fingerprint_number(fingerprint *f, double v, int null) {
  unsigned char *d = fingerprint_room(f, 10);
  if (null) {
    d[0] = 0;
    f->ulen++;
  } else if (v > -4611686018427387904.0 && v < 4611686018427387904.0 &&
             (double)(int64_t)v == v && !(v == 0 && signbit(v))) {
    f->ulen += fingerprint_leb(d, fingerprint_zigzag((int64_t)v) + 2);
  } else {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    fingerprint_le64(d, 1, bits);
    f->ulen += 9;
  }
}

void fingerprint_unit_end(fingerprint *f) {
  assert(f->in_unit);
  fingerprint_sum_hash(&f->sum, f->md, f->unit, f->ulen);
  f->in_unit = 0;
}

void fingerprint_merge(fingerprint *f, const fingerprint *other) {
  assert(f->head.len == other->head.len && !memcmp(f->head.s, other->head.s, f->head.len));
  fingerprint_sum_merge(&f->sum, &other->sum);
}

void fingerprint_final(const fingerprint *f, uint64_t units, uint64_t members,
                       uint64_t orphans, char hex[65]) {
  static const char version[] = "afscore data fingerprint 4";
  strbuf b = {0};
  sb_putn(&b, version, sizeof version);
  sb_putn(&b, f->head.s ? f->head.s : "", f->head.len);
  unsigned char sum[32], tail[27];
  fingerprint_sum_bytes(&f->sum, sum);
  sb_putn(&b, (const char *)sum, 32);
  fingerprint_le64(tail, 'E', units);
  fingerprint_le64(tail + 9, 'm', members);
  fingerprint_le64(tail + 18, 'o', orphans);
  sb_putn(&b, (const char *)tail, sizeof tail);
  unsigned char md[32];
  fingerprint_digest(f->md, b.s, b.len, md);
  sb_free(&b);
  af_hex(md, 32, hex);
}
