/*
** util.c: errors as values, allocation, diagnostics, string buffers, files,
** hashing and did-you-mean hints, shared by every module.
*/
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

/* A message is one line of text for a terminal, whatever the data or a script
** put in it: formatted, then its control characters escaped (af_escape_ctl). */
static strbuf util_vline(const char *fmt, va_list ap) {
  char *raw = af_vsprintf(fmt, ap);
  strbuf b = {0};
  af_escape_ctl(&b, raw, strlen(raw), 0);
  free(raw);
  return b;
}

int af_fail(af_err *e, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    strbuf b = util_vline(fmt, ap);
    va_end(ap);
    size_t n = b.len < sizeof e->msg ? b.len : sizeof e->msg - 1;
    memcpy(e->msg, b.s, n);
    e->msg[n] = '\0';
    sb_free(&b);
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

char *af_vsprintf(const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  assert(n >= 0);
  char *s = af_malloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

char *af_sprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = af_vsprintf(fmt, ap);
  va_end(ap);
  return s;
}

void af_grow(void *vp, int *cap, int need, size_t elem) {
  void **v = vp;
  assert(need >= 0 && *cap >= 0 && elem > 0);
  if (need <= *cap) return;
  int c = *cap ? *cap : 8;
  while (c < need) c = c > INT_MAX / 2 ? need : c * 2;
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
  strbuf b = util_vline(fmt, ap);
  va_end(ap);
  g->msg = sb_take(&b);
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

/* Names longer than 64 characters are never suggested (row has 65 cells). */
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
  assert(b->len < b->cap);
}

void sb_putc(strbuf *b, char c) { sb_putn(b, &c, 1); }
void sb_puts(strbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  assert(n >= 0);
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

/* ---- text for a terminal ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static int utf8_len(const unsigned char *s, size_t n) {
  int len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
          : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
  if (!len || (size_t)len > n) return 0;
  for (int i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80) return 0;
  return len;
}

void af_escape_ctl(strbuf *o, const char *text, size_t n, int keep_lines) {
  const unsigned char *s = (const unsigned char *)text;
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    int len = utf8_len(s + i, n - i);
    if ((c == '\n' || c == '\t') && keep_lines) sb_putc(o, (char)c);
    else if (c == '\n') sb_puts(o, "\\n");
    else if (c == '\r') sb_puts(o, "\\r");
    else if (c == '\t') sb_puts(o, "\\t");
    else if (c < 0x20 || c == 0x7f || len == 0) sb_printf(o, "\\x%02x", c);
    else if (c == 0xc2 && s[i + 1] < 0xa0) sb_printf(o, "\\u%04x", s[i + 1]);   /* C1 */
    else sb_putn(o, (const char *)s + i, (size_t)len);
    i += len ? (size_t)len : 1;
  }
}

char *af_escaped(const char *text) {
  strbuf b = {0};
  if (text) af_escape_ctl(&b, text, strlen(text), 0);
  return sb_take(&b);
}

/* One conversion of sb_vtextf: the spec spec (a '*' already replaced by its
** number) applied to the next argument, as the conversion and its length
** modifier say; a string is escaped as one line first. */
static void sb_text_arg(strbuf *b, const char *spec, char conv, const char *len, va_list *ap) {
  int ll = strcmp(len, "ll") == 0, l = strcmp(len, "l") == 0;
  int z = strcmp(len, "z") == 0, big = strcmp(len, "L") == 0;
  switch (conv) {
  case 'd': case 'i': case 'c':
    if (ll) sb_printf(b, spec, va_arg(*ap, long long));
    else if (l) sb_printf(b, spec, va_arg(*ap, long));
    else if (z) sb_printf(b, spec, va_arg(*ap, ssize_t));
    else sb_printf(b, spec, va_arg(*ap, int));
    break;
  case 'u': case 'x': case 'X': case 'o':
    if (ll) sb_printf(b, spec, va_arg(*ap, unsigned long long));
    else if (l) sb_printf(b, spec, va_arg(*ap, unsigned long));
    else if (z) sb_printf(b, spec, va_arg(*ap, size_t));
    else sb_printf(b, spec, va_arg(*ap, unsigned));
    break;
  case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
    if (big) sb_printf(b, spec, va_arg(*ap, long double));
    else sb_printf(b, spec, va_arg(*ap, double));
    break;
  case 'p': sb_printf(b, spec, va_arg(*ap, void *)); break;
  case 's': {
    const char *v = va_arg(*ap, const char *);
    strbuf esc = {0};
    af_escape_ctl(&esc, v ? v : "(null)", strlen(v ? v : "(null)"), 0);
    sb_printf(b, spec, esc.s ? esc.s : "");
    sb_free(&esc);
    break;
  }
  default: assert(!"sb_textf: a conversion it does not take"); /* %n, %ls, ... */
  }
}

/* The format is read spec by spec: flags, width, precision ('*' taken from
** the arguments), length modifier, conversion. */
void sb_vtextf(strbuf *b, const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  for (const char *p = fmt; *p;) {
    const char *q = strchr(p, '%');
    if (!q) {
      sb_puts(b, p);
      break;
    }
    sb_putn(b, p, (size_t)(q - p));
    if (q[1] == '%') {
      sb_putc(b, '%');
      p = q + 2;
      continue;
    }
    char spec[64], len[3] = {0};
    size_t n = 0;
    spec[n++] = '%';
    for (p = q + 1; *p && strchr("-+ #0123456789.*", *p); p++) {
      char num[16];
      int w = *p == '*' ? snprintf(num, sizeof num, "%d", va_arg(aq, int)) : 0;
      const char *piece = *p == '*' ? num : p;
      size_t k = *p == '*' ? (size_t)w : 1;
      assert(n + k < sizeof spec - 4);
      memcpy(spec + n, piece, k);
      n += k;
    }
    for (int k = 0; k < 2 && *p && strchr("hlLzjt", *p); k++) len[k] = *p++;
    assert(*p && (len[0] == 0 || strchr("lLz", len[0])) && (len[1] == 0 || len[1] == 'l'));
    memcpy(spec + n, len, strlen(len));
    n += strlen(len);
    spec[n++] = *p;
    spec[n] = '\0';
    sb_text_arg(b, spec, *p, len, &aq);
    p++;
  }
  va_end(aq);
}

void sb_textf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vtextf(b, fmt, ap);
  va_end(ap);
}

void af_textf(FILE *f, const char *fmt, ...) {
  strbuf b = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vtextf(&b, fmt, ap);
  va_end(ap);
  if (b.len) fwrite(b.s, 1, b.len, f);
  sb_free(&b);
}

void af_print_text(FILE *f, const char *text) {
  if (!text) return;
  strbuf b = {0};
  af_escape_ctl(&b, text, strlen(text), 1);
  if (b.len) fwrite(b.s, 1, b.len, f);
  sb_free(&b);
}

/* ---- files and hashing ---- */

int af_open_regular(const char *path, af_err *e) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return af_fail(e, "%s: no such file", path);
    if (errno == EISDIR) return af_fail(e, "%s: is a directory", path);
    return af_fail(e, "%s: cannot open: %s", path, strerror(errno));
  }
  struct stat sb;
  const char *bad = NULL;
  if (fstat(fd, &sb) != 0) bad = strerror(errno);
  else if (S_ISDIR(sb.st_mode)) bad = "is a directory";
  else if (!S_ISREG(sb.st_mode))
    bad = "is not a regular file (a FIFO, device or socket); afscore reads regular files only";
  if (bad) {
    close(fd);
    return af_fail(e, "%s: %s", path, bad);
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl != -1) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

const char *af_msg_after(const char *msg, const char *path) {
  size_t n = strlen(path);
  return strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ' ? msg + n + 2 : msg;
}

int af_check_regular(const char *path, af_err *e) {
  int fd = af_open_regular(path, e);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

int af_read_file(const char *path, char **text, size_t *len, af_err *e) {
  int fd = af_open_regular(path, e);
  if (fd < 0) return -1;
  strbuf b = {0};
  char buf[65536];
  ssize_t n;
  /* read to the end rather than trusting st_size: the file may change */
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || b.len + (size_t)n > AF_MAX_FILE) break;
    sb_putn(&b, buf, (size_t)n);
  }
  int err = n < 0 ? errno : 0;
  close(fd);
  if (n != 0) {
    sb_free(&b);
    if (err) return af_fail(e, "%s: read error: %s", path, strerror(err));
    return af_fail(e, "%s: too large (afscore reads methodology files of at most %zu MiB)",
                   path, AF_MAX_FILE >> 20);
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

void sb_put_lines(strbuf *b, const char *prefix, const char *text) {
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    sb_puts(b, prefix);
    sb_putn(b, p, n);
    sb_putc(b, '\n');
    p += n + (nl != NULL);
  }
}

/* ---- display width ---- */

/* Decode one UTF-8 sequence at s: its length (at least 1) and code point;
** a byte that does not start a valid sequence is one code point U+FFFD. */
static int util_utf8_next(const unsigned char *s, uint32_t *cp) {
  int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
        : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0) {
    *cp = 0xFFFD;
    return 1;
  }
  uint32_t c = n == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> n));
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      *cp = 0xFFFD;
      return 1;
    }
    c = c << 6 | (s[i] & 0x3F);
  }
  *cp = c;
  return n;
}

/* Columns a code point takes: combining marks none, East Asian wide and
** fullwidth forms two, everything else one. Cyrillic (Kazakh, Russian) is
** one column per letter. */
static int util_cp_width(uint32_t c) {
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489) || c == 0x200B ||
      (c >= 0xFE20 && c <= 0xFE2F))
    return 0;
  if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
      (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
      (c >= 0x20000 && c <= 0x3FFFD))
    return 2;
  return 1;
}

int af_text_width(const char *s) {
  int w = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (p && *p) {
    uint32_t c;
    p += util_utf8_next(p, &c);
    w += util_cp_width(c);
  }
  return w;
}

void af_fmt_pct(char out[32], double share) {
  if (!isfinite(share)) snprintf(out, 32, "-");
  else snprintf(out, 32, "%.2f %%", 100 * share);
}

void sb_cell(strbuf *b, const char *text, int width) {
  /* A cell is one line of printable text: escaped first, then measured. */
  char *s = af_escaped(text);
  int w = af_text_width(s);
  if (w <= width) {
    sb_puts(b, s);
    for (; w < width; w++) sb_putc(b, ' ');
    free(s);
    return;
  }
  /* Too wide: whole characters up to width - 1 columns, then the ellipsis. */
  const unsigned char *p = (const unsigned char *)s;
  int used = 0;
  while (*p) {
    uint32_t c;
    int n = util_utf8_next(p, &c), cw = util_cp_width(c);
    if (used + cw > width - 1) break;
    sb_putn(b, (const char *)p, (size_t)n);
    used += cw;
    p += n;
  }
  if (width > 0) {
    sb_puts(b, "\xE2\x80\xA6");   /* U+2026 HORIZONTAL ELLIPSIS */
    used++;
  }
  for (; used < width; used++) sb_putc(b, ' ');
  free(s);
}
