/*
** fingerprint.c: the SHA-256 fingerprint of the data a run reads (see
** fingerprint.h). The structure stream is fed value by value, so it goes
** through a 64 KiB buffer; number columns are fed as whole arrays.
*/
#include "fingerprint.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "util.h"

struct fingerprint {
  EVP_MD_CTX *md;           /* the structure stream */
  EVP_MD_CTX **num;         /* 2 per number column (values, nulls) + member counts */
  int ncols, nnum;
  size_t hlen;
  unsigned char hbuf[1 << 16];
};

static EVP_MD_CTX *fingerprint_ctx(void) {
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) abort();
  return c;
}

fingerprint *fingerprint_new(int ncols) {
  assert(ncols >= 0);
  fingerprint *f = af_calloc(1, sizeof *f);
  f->ncols = ncols;
  f->nnum = 2 * ncols + 1;
  f->md = fingerprint_ctx();
  f->num = af_calloc((size_t)f->nnum, sizeof *f->num);
  for (int i = 0; i < f->nnum; i++) f->num[i] = fingerprint_ctx();
  return f;
}

void fingerprint_free(fingerprint *f) {
  if (!f) return;
  for (int i = 0; i < f->nnum; i++) EVP_MD_CTX_free(f->num[i]);
  free(f->num);
  EVP_MD_CTX_free(f->md);
  free(f);
}

void fingerprint_restart(fingerprint *f) {
  if (EVP_DigestInit_ex(f->md, EVP_sha256(), NULL) != 1) abort();
  f->hlen = 0;
}

void fingerprint_restart_numbers(fingerprint *f) {
  for (int i = 0; i < f->nnum; i++)
    if (EVP_DigestInit_ex(f->num[i], EVP_sha256(), NULL) != 1) abort();
}

static void fingerprint_flush(fingerprint *f) {
  if (f->hlen) EVP_DigestUpdate(f->md, f->hbuf, f->hlen);
  f->hlen = 0;
}

void fingerprint_put(fingerprint *f, const void *p, size_t n) {
  if (f->hlen + n > sizeof f->hbuf) {
    fingerprint_flush(f);
    if (n > sizeof f->hbuf) {
      EVP_DigestUpdate(f->md, p, n);
      return;
    }
  }
  memcpy(f->hbuf + f->hlen, p, n);
  f->hlen += n;
  assert(f->hlen <= sizeof f->hbuf);
}

void fingerprint_tag64(fingerprint *f, char tag, uint64_t x) {
  unsigned char b[9];
  b[0] = (unsigned char)tag;
  for (int i = 0; i < 8; i++) b[1 + i] = (unsigned char)(x >> (8 * i));
  fingerprint_put(f, b, 9);
}

void fingerprint_bytes(fingerprint *f, char tag, const void *p, size_t n) {
  fingerprint_tag64(f, tag, (uint64_t)n);
  fingerprint_put(f, p, n);
}

void fingerprint_column(fingerprint *f, int c, const double *v, const unsigned char *null,
                        int n) {
  assert(c >= 0 && c < f->ncols && n >= 0);
  if (n == 0) return;
  EVP_DigestUpdate(f->num[2 * c], v, sizeof *v * (size_t)n);
  EVP_DigestUpdate(f->num[2 * c + 1], null, (size_t)n);
}

void fingerprint_counts(fingerprint *f, const int *start, int nunits) {
  /* As 32-bit counts, 256 at a time: the same bytes whatever the batches. */
  uint32_t counts[256];
  for (int u = 0; u < nunits;) {
    int n = 0;
    for (; n < 256 && u < nunits; n++, u++) {
      assert(start[u + 1] >= start[u]);
      counts[n] = (uint32_t)(start[u + 1] - start[u]);
    }
    EVP_DigestUpdate(f->num[f->nnum - 1], counts, sizeof counts[0] * (size_t)n);
  }
}

void fingerprint_final(fingerprint *f, char hex[65]) {
  for (int i = 0; i < f->nnum; i++) {
    unsigned char d[32];
    unsigned int dn = 0;
    EVP_DigestFinal_ex(f->num[i], d, &dn);
    fingerprint_bytes(f, 'N', d, dn);
  }
  fingerprint_flush(f);
  unsigned char md[32];
  unsigned int n = 0;
  EVP_DigestFinal_ex(f->md, md, &n);
  assert(n == 32);
  af_hex(md, 32, hex);
}
