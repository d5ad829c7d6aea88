/*
** harness.c: run the afscore binary and inspect SQLite files from tests.
*/
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int h_sh(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *cmd = af_vsprintf(fmt, ap);
  va_end(ap);
  int st = system(cmd);
  free(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *h_slurp(const char *path) {
  char *text = NULL;
  size_t len;
  af_err e;
  if (af_read_file(path, &text, &len, &e) < 0) return af_strdup("");
  return text;
}

static const char *tmpdir(void) {
  static char dir[1024];
  if (!dir[0]) {
    const char *t = getenv("AFSCORE_TMP");
    snprintf(dir, sizeof dir, "%s", t && *t ? t : "/tmp/afscore-test");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0) fail_msg("cannot create %s", dir);
  }
  return dir;
}

const char *h_path(const char *name) {
  static char buf[8][1024];
  static int i;
  char *b = buf[i++ & 7];
  int n = snprintf(b, 1024, "%s/%s", tmpdir(), name);
  if (n >= 1024) fail_msg("path too long: %s", name);
  return b;
}

const char *h_root(const char *name) {
  static char buf[8][1024];
  static int i;
  const char *r = getenv("AFSCORE_ROOT");
  char *b = buf[i++ & 7];
  int n = snprintf(b, 1024, "%s/%s", r && *r ? r : ".", name);
  if (n >= 1024) fail_msg("path too long: %s", name);
  return b;
}

pid_t h_spawn(const char *const *args, const h_opts *o, const char *outp, const char *errp) {
  const char *bin = getenv("AFSCORE_BIN");
  if (!bin) bin = "build/afscore";
  int n = 0;
  while (args[n]) n++;
  char **argv = af_calloc((size_t)n + 2, sizeof *argv);
  argv[0] = (char *)bin;
  for (int i = 0; i < n; i++) argv[i + 1] = (char *)args[i];
  pid_t pid = fork();
  if (pid == 0) {
    /* 0666: a child that drops to nobody can still write them. */
    int fo = open(outp ? outp : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int fe = open(errp ? errp : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int fi = open("/dev/null", O_RDONLY);
    if (fo < 0 || fe < 0 || fi < 0) _exit(127);
    dup2(fo, 1);
    dup2(fe, 2);
    dup2(fi, 0);
    if (o && o->cpu_seconds > 0) {
      struct rlimit cpu = {(rlim_t)o->cpu_seconds, (rlim_t)o->cpu_seconds};
      setrlimit(RLIMIT_CPU, &cpu);
    }
    if (o && o->fsize > 0) {
      struct rlimit fs = {(rlim_t)o->fsize, (rlim_t)o->fsize};
      signal(SIGXFSZ, SIG_IGN);   /* a refused write returns EFBIG instead */
      setrlimit(RLIMIT_FSIZE, &fs);
    }
    if (o && o->as_nobody && geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
      _exit(126);
    execv(bin, argv);
    _exit(127);
  }
  free(argv);
  return pid;
}

int h_wait(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

h_result h_run_with(const char *const *args, const h_opts *o) {
  h_result r = {0};
  char outp[1200], errp[1200];
  snprintf(outp, sizeof outp, "%s/.out.%d", tmpdir(), (int)getpid());
  snprintf(errp, sizeof errp, "%s/.err.%d", tmpdir(), (int)getpid());
  r.status = h_wait(h_spawn(args, o, outp, errp));
  r.out = h_slurp(outp);
  r.err = h_slurp(errp);
  unlink(outp);
  unlink(errp);
  return r;
}

h_result h_run(const char *const *args) { return h_run_with(args, NULL); }

int h_generate(int families, int seed, const char *out) {
  char n[32], s[32];
  snprintf(n, sizeof n, "%d", families);
  snprintf(s, sizeof s, "%d", seed);
  const char *args[] = {"generate", "--families", n, "--seed", s, "--out", out, NULL};
  h_result r = h_run(args);
  int status = r.status;
  h_result_free(&r);
  return status == 0 ? 0 : -1;
}

h_result h_run_bounded(const char *const *args) {
  h_opts o = {.cpu_seconds = 60};
  return h_run_with(args, &o);
}

const char *h_expect_refused(const char *name, const char *src, int line, const char *msg) {
  static char path[1100];
  snprintf(path, sizeof path, "%s", h_path(name));
  h_write(path, src);
  const char *args[] = {"check", path, NULL};
  h_result r = h_run_bounded(args);
  char *want = line > 0 ? af_sprintf("%s:%d: %s\n", path, line, msg)
                        : af_sprintf("%s: %s\n", path, msg);
  if (r.status != 1) fail_msg("%s: status %d, stderr: %s", name, r.status, r.err);
  /* nothing on stdout but the file's signature status, once it was read */
  char *sig = af_sprintf("signature: %s: unsigned\n", path);
  if (*r.out) assert_string_equal(r.out, sig);
  assert_string_equal(r.err, want);
  free(sig);
  free(want);
  h_result_free(&r);
  return path;
}

void h_result_free(h_result *r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}

void h_write(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) fail_msg("cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

void h_sql(const char *db, const char *sql) {
  sqlite3 *h;
  char *err = NULL;
  if (sqlite3_open(db, &h) != SQLITE_OK) fail_msg("cannot open %s", db);
  if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(h);
    fail_msg("SQL error on %s: %s", db, msg);
  }
  sqlite3_close(h);
}

static sqlite3_stmt *query(const char *db, const char *sql, sqlite3 **h) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_open_v2(db, h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(*h, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
    fail_msg("query failed on %s: %s (%s)", db, sql, sqlite3_errmsg(*h));
  return st;
}

double h_sql_double(const char *db, const char *sql) {
  sqlite3 *h;
  sqlite3_stmt *st = query(db, sql, &h);
  double v = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

char *h_sql_text(const char *db, const char *sql) {
  sqlite3 *h;
  sqlite3_stmt *st = query(db, sql, &h);
  const unsigned char *t = sqlite3_column_text(st, 0);
  char *v = af_strdup(t ? (const char *)t : "(null)");
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

int h_has(const char *text, const char *needle) { return text && strstr(text, needle) != NULL; }

/* The fields of one CSV line (quoted fields without newlines); their count. */
int h_split_csv(const char *line, char out[][256], int max) {
  int n = 0;
  const char *p = line;
  while (n < max) {
    size_t k = 0;
    if (*p == '"') {
      for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
        if (*p == '"') p++;
        if (k < 255) out[n][k++] = *p;
      }
      if (*p == '"') p++;
    } else {
      for (; *p && *p != ',' && *p != '\n'; p++)
        if (k < 255) out[n][k++] = *p;
    }
    out[n++][k] = '\0';
    if (*p != ',') break;
    p++;
  }
  return n;
}

void h_assert_has(const char *text, const char *needle, int want, const char *file, int line) {
  if (h_has(text, needle) == want) return;
  print_error("expected %s [%s] in:\n%s\n", want ? "to find" : "not to find", needle,
              text ? text : "(null)");
  _fail(file, line);
}

void h_file_sha256(const char *path, char *out) {
  char *text = NULL;
  size_t len = 0;
  af_err e;
  if (af_read_file(path, &text, &len, &e) < 0) fail_msg("%s", e.msg);
  af_sha256_hex(text, len, out);
  free(text);
}

void h_assert_double(double a, double b, double eps, const char *expr, const char *file, int line) {
  if (a == b || fabs(a - b) <= eps) return;
  print_error("%s = %.17g, expected %.17g (within %g)\n", expr, a, b, eps);
  _fail(file, line);
}

const char *h_new_file(const char *name, const char *text) {
  const char *p = h_path(name);
  h_write(p, text);
  return p;
}

const char *h_new_db(const char *name, const char *sql) {
  const char *p = h_path(name);
  unlink(p);
  h_sql(p, sql);
  return p;
}

h_pathbuf h_path_copy(const char *name) {
  h_pathbuf b;
  snprintf(b.s, sizeof b.s, "%s", h_path(name));
  return b;
}

h_pathbuf h_root_copy(const char *name) {
  h_pathbuf b;
  snprintf(b.s, sizeof b.s, "%s", h_root(name));
  return b;
}
