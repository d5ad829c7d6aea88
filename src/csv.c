/*
** csv.c: the RFC 4180 CSV writer (csv.h). Quoting is decided per field by
** scanning it once; the field is then written in runs between quotes.
*/
#include "csv.h"

#include <assert.h>
#include <string.h>

void csv_init(csv_out *c, FILE *f) {
  assert(f);
  c->f = f;
  c->nfields = 0;
}

/* Must the n bytes at s be quoted to read back as one field? */
static int csv_needs_quotes(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return 1;
  return 0;
}

static void csv_put(csv_out *c, const char *s, size_t n, int quote) {
  assert(c->f);
  if (c->nfields++) fputc(',', c->f);
  if (!quote) {
    fwrite(s, 1, n, c->f);
    return;
  }
  fputc('"', c->f);
  /* Write through each quote, then the quote again: doubled. */
  for (const char *q; (q = memchr(s, '"', n)) != NULL;) {
    size_t k = (size_t)(q - s) + 1;
    fwrite(s, 1, k, c->f);
    fputc('"', c->f);
    s += k;
    n -= k;
  }
  fwrite(s, 1, n, c->f);
  fputc('"', c->f);
}

void csv_fieldn(csv_out *c, const char *s, size_t n) {
  assert(s || n == 0);
  if (!s) s = "";
  /* An empty first field is quoted so that no record is an empty line. */
  csv_put(c, s, n, csv_needs_quotes(s, n) || (n == 0 && c->nfields == 0));
}

void csv_field(csv_out *c, const char *s) { csv_fieldn(c, s, s ? strlen(s) : 0); }

void csv_text(csv_out *c, const char *s) {
  if (!s) s = "";
  csv_put(c, s, strlen(s), 1);
}

void csv_record(csv_out *c, const char *const *fields) {
  for (; *fields; fields++) csv_field(c, *fields);
  csv_end(c);
}

void csv_end(csv_out *c) {
  assert(c->f);
  fputc('\n', c->f);
  c->nfields = 0;
}

int csv_error(const csv_out *c) { return ferror(c->f) != 0; }
