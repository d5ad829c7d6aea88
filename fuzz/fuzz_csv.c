/*
** fuzz_csv.c: libFuzzer target for the CSV writer (csv.h).
**
** The input is a shape byte followed by fields separated by NUL bytes (a
** field is a C string, so it holds any byte but NUL). The shape byte gives
** the fields per record (1 to 4) and, bit by bit, which fields go through
** csv_text (always quoted) rather than csv_field. The fields are written into
** memory, read back by the strict RFC 4180 reader below (written from the
** RFC, sharing nothing with the writer), and must come back as the same
** records of the same bytes. Invariants checked (abort on violation): the
** output parses; records, fields and bytes are those written.
**
** Built by `make fuzz`; tests/test_fuzz_regress.c includes this file with
** FUZZ_NO_MAIN and feeds it the saved corpus.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* One field read back: bytes [p, p + n) of a buffer owned by the reader. */
typedef struct fc_field {
  char *p;
  size_t n;
  int last;                 /* 1: the last field of its record */
} fc_field;

/* RFC 4180 (records end in CRLF or LF): split text into fields, unescaping
** quoted ones in place. Returns the number of fields, or -1 when the text
** is not well formed: a quote inside an unquoted field, a bare CR, text after
** a closing quote, an unterminated quoted field, a missing final newline. */
static int fc_parse(char *t, size_t len, fc_field *out, int cap) {
  int n = 0;
  size_t i = 0;
  while (i < len) {
    if (n == cap) return -1;
    fc_field *f = &out[n++];
    f->p = t + i;
    f->n = 0;
    if (t[i] == '"') {
      for (i++;; i++) {
        if (i >= len) return -1;
        if (t[i] == '"') {
          if (i + 1 < len && t[i + 1] == '"') i++;
          else break;
        }
        f->p[f->n++] = t[i];
      }
      i++;
    } else {
      for (; i < len && t[i] != ',' && t[i] != '\n' && t[i] != '\r'; i++) {
        if (t[i] == '"') return -1;
        f->n++;
      }
    }
    if (i < len && t[i] == ',') {
      f->last = 0;
      i++;
      if (i == len) return -1;   /* a field must follow the comma */
      continue;
    }
    if (i < len && t[i] == '\r') i++;
    if (i >= len || t[i] != '\n') return -1;
    f->last = 1;
    i++;
  }
  return n;
}

#define FC_MAXFIELDS 4096

static int fuzz_csv_one(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int per = data[0] % 4 + 1, textmask = data[0] >> 2;
  char *in = malloc(size);
  memcpy(in, data + 1, size - 1);
  in[size - 1] = '\0';
  /* the fields: NUL-separated, the last ended by the NUL just added */
  const char *fields[FC_MAXFIELDS];
  int nf = 0;
  for (size_t i = 0; i < size && nf < FC_MAXFIELDS; i += strlen(in + i) + 1) fields[nf++] = in + i;
  char *buf = NULL;
  size_t blen = 0;
  FILE *f = open_memstream(&buf, &blen);
  if (!f) abort();
  csv_out c;
  csv_init(&c, f);
  for (int k = 0; k < nf; k++) {
    if (textmask >> (k % per) & 1) csv_text(&c, fields[k]);
    else csv_field(&c, fields[k]);
    if (k % per == per - 1 || k == nf - 1) csv_end(&c);
  }
  if (csv_error(&c)) abort();
  fclose(f);
  fc_field *got = malloc(sizeof *got * FC_MAXFIELDS);
  int n = fc_parse(buf, blen, got, FC_MAXFIELDS);
  if (n != nf) abort();
  for (int k = 0; k < nf; k++) {
    if (got[k].n != strlen(fields[k]) || memcmp(got[k].p, fields[k], got[k].n) != 0) abort();
    if (got[k].last != (k % per == per - 1 || k == nf - 1)) abort();
  }
  free(got);
  free(buf);
  free(in);
  return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_csv_one(data, size); }
#endif
