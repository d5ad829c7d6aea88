/*
** util.h: small shared services for every afscore module.
**
** Errors are values: a function that can fail returns 0 on success and -1 on
** failure, after filling an af_err that its caller owns. Validation, which
** must report every fault of a file in one run, collects diag entries in a
** diag_list instead. Only the command layer (cli*.c) prints.
*/
#ifndef AF_UTIL_H
#define AF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

#define AF_ERRLEN 1024

typedef struct af_err {
  char msg[AF_ERRLEN];
} af_err;

/* Format a message into e (if not NULL) and return -1, so that callers can
** write `return af_fail(e, "...")`. */
int af_fail(af_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allocation. Running out of memory is not recoverable for a scoring run:
** these abort with a message instead of returning NULL, so that every other
** function can treat allocation as infallible. */
void *af_malloc(size_t n);
void *af_calloc(size_t n, size_t size);
void *af_realloc(void *p, size_t n);
char *af_strdup(const char *s);
char *af_strndup(const char *s, size_t n);
char *af_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *af_vsprintf(const char *fmt, va_list ap);

/* Grow *v (an array of elem-sized items with capacity *cap) to hold need items. */
void af_grow(void *vp, int *cap, int need, size_t elem);

/* One diagnostic: FILE:LINE: message. line 0 means "the file as a whole". */
typedef struct diag {
  char *file;
  int line;
  char *msg;
} diag;

typedef struct diag_list {
  diag *v;
  int n, cap;
} diag_list;

void diag_add(diag_list *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_free(diag_list *d);
/* Sort by (file, line), keeping the insertion order of equal keys. */
void diag_sort(diag_list *d);

/* The candidate closest to name by edit distance, or NULL when none is close
** enough to be a plausible typo. Used for "did you mean" hints. */
const char *af_suggest(const char *name, const char *const *cands, int n);

/* A growable string buffer. */
typedef struct strbuf {
  char *s;
  size_t len, cap;
} strbuf;

void sb_putc(strbuf *b, char c);
void sb_puts(strbuf *b, const char *s);
void sb_putn(strbuf *b, const char *s, size_t n);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(strbuf *b);
/* Take ownership of the buffer's string (never NULL). */
char *sb_take(strbuf *b);

/* Append each line of text (NULL: none), prefix before each. */
void sb_put_lines(strbuf *b, const char *prefix, const char *text);

/* Columns UTF-8 text takes on a terminal: one per character (Cyrillic
** included), none for combining marks, two for East Asian wide ones. */
int af_text_width(const char *s);
/* A share (0..1) for people, in percent with 2 decimals: "28.29 %"; "-"
** when not finite. JSON keeps the fraction. */
void af_fmt_pct(char out[32], double share);
/* Append s as a left-aligned table cell of exactly width columns: escaped
** as one line (af_escape_ctl), padded with spaces, or cut between characters
** and ended with an ellipsis. */
void sb_cell(strbuf *b, const char *s, int width);
/* Text for a terminal: append n bytes of text to o with every control
** character shown as an escape, so that nothing from the data or a script
** can move the cursor, recolour the screen or forge a line: C0 controls and
** DEL as \n, \r, \t or \xHH, C1 controls (U+0080..U+009F) as \u00HH, bytes
** that are not UTF-8 as \xHH. keep_lines keeps newline and tab (the layout of
** a report). af_fail and diag_add pass every message through it. */
void af_escape_ctl(strbuf *o, const char *text, size_t n, int keep_lines);
/* A copy of text (NULL: "") escaped as one line (owned by the caller). */
char *af_escaped(const char *text);
/* printf for human text: each %s argument is a value (from the data, a
** script or a results database) and is shown escaped as one line
** (af_escape_ctl); the format's own text and newlines are kept. Takes the
** conversions d i u x X o c f e g a p s with the length modifiers l, ll, z
** and L. sb_textf appends to b, af_textf prints to f. */
void sb_textf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vtextf(strbuf *b, const char *fmt, va_list ap);
void af_textf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print human text (a report) to f through af_escape_ctl, keeping lines. */
void af_print_text(FILE *f, const char *text);


/* Open path for reading if it is a regular file; anything else is refused
** with a message naming it: "no such file", "is a directory", "is not a
** regular file" (a FIFO would block the open or the read for good, a device
** such as /dev/zero never ends). The open does not wait for a FIFO's writer.
** Returns the descriptor (blocking again), or -1 with e filled. */
int af_open_regular(const char *path, af_err *e);
/* The same check without keeping the file open (for files another library
** opens, such as the SQLite input). 0 or -1 with e filled. */
int af_check_regular(const char *path, af_err *e);

/* msg past its "path: " prefix, if it has one (for callers that report the
** path themselves). */
const char *af_msg_after(const char *msg, const char *path);

/* The largest file af_read_file reads (methodology sources): 16 MiB. */
#define AF_MAX_FILE ((size_t)16 << 20)

/* Read a whole regular file of at most AF_MAX_FILE bytes. Returns 0 or -1
** with e filled (naming the path). */
int af_read_file(const char *path, char **text, size_t *len, af_err *e);

/* Hex SHA-256 of a byte string; out must hold 65 bytes. */
void af_sha256_hex(const void *data, size_t len, char out[65]);
void af_hex(const unsigned char *bytes, size_t n, char *out);

#endif
