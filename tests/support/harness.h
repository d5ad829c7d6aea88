/*
** harness.h: helpers for end-to-end tests that run the real afscore binary
** (AFSCORE_BIN) on real SQLite files in a scratch directory (AFSCORE_TMP).
*/
#ifndef AF_HARNESS_H
#define AF_HARNESS_H

#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#include "jpath.h"

typedef struct h_result {
  int status;          /* exit status, or 128+signal */
  char *out, *err;     /* captured stdout and stderr (owned) */
} h_result;

/* Run afscore with the NULL-terminated argument list; captures its output. */
h_result h_run(const char *const *args);
/* `afscore generate --families N --seed S --out PATH`: 0 on success. */
int h_generate(int families, int seed, const char *out);

/* Limits and identity for a child afscore. */
typedef struct h_opts {
  long cpu_seconds;    /* RLIMIT_CPU; 0: none */
  long fsize;          /* RLIMIT_FSIZE in bytes, SIGXFSZ ignored; 0: none */
  int as_nobody;       /* drop to uid and gid 65534 when running as root */
} h_opts;
/* Start afscore (o may be NULL) with stdout and stderr going to the files
** outp and errp (created; NULL: /dev/null); returns its pid. */
pid_t h_spawn(const char *const *args, const h_opts *o, const char *outp, const char *errp);
/* Wait for a child; its exit status, or 128 + the signal that ended it. */
int h_wait(pid_t pid);
/* h_run with limits. */
h_result h_run_with(const char *const *args, const h_opts *o);
/* h_run under a CPU limit of 60 s: a runaway child fails the test (status
** 128+SIGXCPU/SIGKILL) instead of hanging it. */
h_result h_run_bounded(const char *const *args);
/* Write src to the scratch file name, run `afscore check` on it
** (h_run_bounded) and assert exit 1, on stdout nothing but the file's
** signature status (once it could be read: "signature: PATH: unsigned") and
** exactly
** "PATH:LINE: msg\n" on stderr (line 0: "PATH: msg\n"). Returns the script's
** path (a static buffer, valid until the next call). */
const char *h_expect_refused(const char *name, const char *src, int line, const char *msg);
void h_result_free(h_result *r);
/* A path in the scratch directory (static buffer, rotating among 8). */
const char *h_path(const char *name);
/* Repository path of a file (AFSCORE_ROOT/name), rotating buffer too. */
const char *h_root(const char *name);
/* h_path and h_root rotate among a few buffers: these return a copy to keep. */
typedef struct h_pathbuf {
  char s[1100];
} h_pathbuf;
h_pathbuf h_path_copy(const char *name);
h_pathbuf h_root_copy(const char *name);
void h_write(const char *path, const char *text);
/* A fresh file / database (removed first) named name in the scratch
** directory, holding text / built by sql; returns its path (h_path's). */
const char *h_new_file(const char *name, const char *text);
const char *h_new_db(const char *name, const char *sql);
/* A file's whole text (owned), or "" when it cannot be read. */
char *h_slurp(const char *path);
/* Run a shell command (printf-style: quote paths in it); its exit status,
** or 128 + the signal that ended it. For tools such as openssl and cp. */
int h_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run SQL on a database file (created if absent); fails the test on error. */
void h_sql(const char *db, const char *sql);
/* The first column of the first row of a query as a double / as text (owned). */
double h_sql_double(const char *db, const char *sql);
char *h_sql_text(const char *db, const char *sql);
/* Does text contain needle? */
int h_has(const char *text, const char *needle);
/* Split one CSV line (RFC 4180 quoting, no newline inside a field) into at
** most max fields of up to 255 bytes; returns the number of fields. */
int h_split_csv(const char *line, char out[][256], int max);
/* Fail the test, showing the whole text, unless it contains (assert_has) or
** lacks (assert_lacks) needle. Needles are whole phrases of the message. */
void h_assert_has(const char *text, const char *needle, int want, const char *file, int line);
#define assert_has(text, needle) h_assert_has((text), (needle), 1, __FILE__, __LINE__)
#define assert_lacks(text, needle) h_assert_has((text), (needle), 0, __FILE__, __LINE__)
/* SHA-256 hex of a file's bytes (out: 65 bytes). */
void h_file_sha256(const char *path, char *out);

/* cmocka 1.1 compares floats only as float: doubles need their own check.
** eps 0 asks for exact equality. */
void h_assert_double(double a, double b, double eps, const char *expr, const char *file, int line);
#ifndef assert_double_equal
#define assert_double_equal(a, b, eps) \
  h_assert_double((a), (b), (eps), #a, __FILE__, __LINE__)
#endif

#endif
