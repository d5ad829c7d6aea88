/*
** util.c: errors as values, allocation, diagnostics, string buffers, files,
** hashing and did-you-mean hints, shared by every module.
*/
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

int af_fail(af_err *e, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static void oom(size_t n) {
  fprintf(stderr, "afscore: out of memory (%zu bytes)\n", n);
  abort();
}

void *af_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *af_calloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom(n * size);
  return p;
}

void *af_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n);
  return q;
}

char *af_strdup(const char *s) {
  return s ? af_strndup(s, strlen(s)) : NULL;
}

char *af_strndup(const char *s, size_t n) {
  char *p = af_malloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *af_sprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = af_malloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

void af_grow(void *vp, int *cap, int need, size_t elem) {
  void **v = vp;
  if (need <= *cap) return;
  int c = *cap ? *cap : 8;
  while (c < need) c *= 2;
  *v = af_realloc(*v, (size_t)c * elem);
  *cap = c;
}

/* ---- diagnostics ---- */

void diag_add(diag_list *d, const char *file, int line, const char *fmt, ...) {
  af_grow(&d->v, &d->cap, d->n + 1, sizeof *d->v);
  diag *g = &d->v[d->n++];
  g->file = af_strdup(file ? file : "");
  g->line = line;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  g->msg = af_malloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(g->msg, (size_t)n + 1, fmt, ap);
  va_end(ap);
}

void diag_free(diag_list *d) {
  for (int i = 0; i < d->n; i++) {
    free(d->v[i].file);
    free(d->v[i].msg);
  }
  free(d->v);
  d->v = NULL;
  d->n = d->cap = 0;
}

void diag_sort(diag_list *d) {
  /* Insertion sort: stable, and lists are short. */
  for (int i = 1; i < d->n; i++) {
    diag x = d->v[i];
    int j = i - 1;
    while (j >= 0) {
      int c = strcmp(d->v[j].file, x.file);
      if (c < 0 || (c == 0 && d->v[j].line <= x.line)) break;
      d->v[j + 1] = d->v[j];
      j--;
    }
    d->v[j + 1] = x;
  }
}

/* ---- did you mean ---- */

static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 1000;
  int row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cur = row[j];
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int best = prev + cost;
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      prev = cur;
    }
  }
  return row[lb];
}

const char *af_suggest(const char *name, const char *const *cands, int n) {
  const char *best = NULL;
  int bestd = 1000;
  int len = (int)strlen(name);
  int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
  for (int i = 0; i < n; i++) {
    if (!cands[i]) continue;
    int d = edit_distance(name, cands[i]);
    if (d < bestd) {
      bestd = d;
      best = cands[i];
    }
  }
  return bestd <= limit ? best : NULL;
}

/* ---- string buffer ---- */

static void sb_reserve(strbuf *b, size_t more) {
  if (b->len + more + 1 <= b->cap) return;
  size_t c = b->cap ? b->cap : 64;
  while (c < b->len + more + 1) c *= 2;
  b->s = af_realloc(b->s, c);
  b->cap = c;
}

void sb_putn(strbuf *b, const char *s, size_t n) {
  sb_reserve(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sb_putc(strbuf *b, char c) { sb_putn(b, &c, 1); }
void sb_puts(strbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  sb_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void sb_free(strbuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

char *sb_take(strbuf *b) {
  char *s = b->s ? b->s : af_strdup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

/* ---- files and hashing ---- */

int af_read_file(const char *path, char **text, size_t *len, af_err *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return af_fail(e, "%s: cannot open: %s", path, strerror(errno));
  strbuf b = {0};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_putn(&b, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    sb_free(&b);
    return af_fail(e, "%s: read error", path);
  }
  *len = b.len;
  *text = sb_take(&b);
  return 0;
}

void af_hex(const unsigned char *bytes, size_t n, char *out) {
  static const char hx[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hx[bytes[i] >> 4];
    out[2 * i + 1] = hx[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

void af_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  af_hex(md, 32, out);
}
