/*
** cli.c: what every afscore command shares (cli.h): usage errors and
** failures, strict numbers, diagnostics, loading a methodology from disk or
** from a recorded run, opening a run, and progress.
*/
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "method.h"

int cli_usage_error(const cli_opts *o, const char *fmt, ...) {
  strbuf msg = {0};
  va_list ap;
  va_start(ap, fmt);
  sb_vtextf(&msg, fmt, ap);   /* the arguments may come from a methodology */
  va_end(ap);
  fprintf(stderr, "afscore %s: %s\nusage: afscore %s\n", o->cmd, msg.s ? msg.s : "", o->synopsis);
  sb_free(&msg);
  return 2;
}

int cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = af_vsprintf(fmt, ap);
  va_end(ap);
  /* One line, whatever the data or a script put in it (af_escape_ctl). */
  char *line = af_escaped(msg);
  fprintf(stderr, "afscore: %s\n", line);
  free(line);
  free(msg);
  return 1;
}

int cli_number(const cli_opts *o, const char *what, const char *text, long long min,
               long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end)
    return cli_usage_error(o, "%s needs a whole number, got '%s'", what, text);
  if (errno == ERANGE) return cli_usage_error(o, "%s: '%s' is out of range", what, text);
  if (v < min) return cli_usage_error(o, "%s must be at least %lld, got %lld", what, min, v);
  *out = v;
  return 0;
}

void cli_print_diags(diag_list *d) {
  for (int i = 0; i < d->n; i++) {
    if (d->v[i].line > 0) af_textf(stderr, "%s:%d: %s\n", d->v[i].file, d->v[i].line, d->v[i].msg);
    else af_textf(stderr, "%s: %s\n", d->v[i].file, d->v[i].msg);
  }
}

/* import() searches beside the importing file, then each directory of
** AFSCORE_PATH (colon-separated; default: ./methodology). Returns the
** directories (n of them) pointing into *buf; the caller frees both. */
static const char **search_path(int *n, char **buf) {
  const char *env = getenv("AFSCORE_PATH");
  *buf = af_strdup(env && *env ? env : "methodology");
  int cap = 1;
  for (const char *p = *buf; *p; p++) cap += *p == ':';
  const char **dirs = af_calloc((size_t)cap, sizeof *dirs);
  *n = 0;
  for (char *p = *buf; p && *p;) {
    assert(*n < cap);
    dirs[(*n)++] = p;
    p = strchr(p, ':');
    if (p) *p++ = '\0';
  }
  return dirs;
}

/* The number in environment variable name, within [lo, hi]: 1; unset or
** empty: 0 (*out untouched); anything else: -1 with e filled. */
static int env_number(const char *name, double lo, double hi, double *out, af_err *e) {
  const char *env = getenv(name);
  if (!env || !*env) return 0;
  char *end;
  errno = 0;
  double v = strtod(env, &end);
  if (errno || *end || !(v >= lo && v <= hi))
    return af_fail(e, "%s must be a number from %g to %g, got '%s'", name, lo, hi, env);
  *out = v;
  return 1;
}

int cli_script_env_init(cli_script_env *se, af_err *e) {
  memset(se, 0, sizeof *se);
  /* AFSCORE_TIME_LIMIT: the CPU seconds a script may run (0: the sandbox's
  ** default); AFSCORE_WALL_LIMIT, for tests: the wall-clock seconds of its
  ** process (0: method.c's default, from the CPU limit) */
  if (env_number("AFSCORE_TIME_LIMIT", 0.01, 3600, &se->mo.max_seconds, e) < 0 ||
      env_number("AFSCORE_WALL_LIMIT", 0.01, 3600, &se->mo.max_wall_seconds, e) < 0)
    return -1;
  se->mo.search_path = search_path(&se->mo.nsearch, &se->buf);
  return 0;
}

void cli_script_env_free(cli_script_env *se) {
  free((void *)se->mo.search_path);
  free(se->buf);
}

model *cli_load_method_diags(const char *path, diag_list *d) {
  cli_script_env se;
  af_err e;
  if (cli_script_env_init(&se, &e) < 0) {
    diag_add(d, path, 0, "%s", e.msg);
    return NULL;
  }
  model *m = NULL;
  if (method_load(path, &se.mo, &m, d) < 0) m = NULL;
  cli_script_env_free(&se);
  return m;
}

model *cli_load_method(const char *path) {
  diag_list d = {0};
  model *m = cli_load_method_diags(path, &d);
  if (!m) {
    diag_sort(&d);
    cli_print_diags(&d);
    if (d.n == 0) af_textf(stderr, "%s: could not be loaded\n", path);
  }
  diag_free(&d);
  return m;
}

/* ---- recorded methodologies ---- */

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Same file name, ignoring directories and a ".lua" suffix. */
static int same_file(const char *a, const char *b) {
  a = base_name(a);
  b = base_name(b);
  size_t la = strlen(a), lb = strlen(b);
  if (la > 4 && strcmp(a + la - 4, ".lua") == 0) la -= 4;
  if (lb > 4 && strcmp(b + lb - 4, ".lua") == 0) lb -= 4;
  return la == lb && memcmp(a, b, la) == 0;
}

/* method_reader serving a recorded run's sources: no file is read from disk. */
static int read_recorded(void *ctx, const char *name, char **text, size_t *len, char **path) {
  const run_record *r = ctx;
  for (int i = 0; i < r->nfiles; i++) {
    const model_file *f = &r->files[i];
    if (strcmp(f->name, name) == 0 || (f->path && strcmp(f->path, name) == 0) ||
        same_file(f->name, name)) {
      *text = af_strndup(f->text, f->len);
      *len = f->len;
      *path = af_strdup(f->path && *f->path ? f->path : f->name);
      return 0;
    }
  }
  return -1;
}

model *cli_load_recorded(const run_record *rec) {
  cli_script_env se;
  af_err e;
  if (cli_script_env_init(&se, &e) < 0) {
    cli_fail("%s", e.msg);
    return NULL;
  }
  method_opts mo = se.mo;      /* the limits; the reader serves every file */
  cli_script_env_free(&se);
  mo.search_path = NULL;
  mo.nsearch = 0;
  mo.reader = read_recorded;
  mo.reader_ctx = (void *)rec;
  model *m = NULL;
  diag_list d = {0};
  if (rec->nfiles == 0 || method_load(rec->files[0].name, &mo, &m, &d) < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    af_textf(stderr, "afscore: the methodology recorded with run %lld could not be loaded\n",
            (long long)rec->id);
    m = NULL;
  }
  diag_free(&d);
  return m;
}

int cli_store_open(const char *path, store **st) {
  double ms = STORE_BUSY_TIMEOUT_MS;
  af_err e;
  *st = NULL;
  if (env_number("AFSCORE_BUSY_TIMEOUT", 0, 600000, &ms, &e) < 0 ||
      store_open_wait(path, (int)ms, st, &e) < 0)
    return cli_fail("%s", e.msg);
  return 0;
}

/* Read-only: the commands on recorded runs never write the results database
** nor create one where the path is mistyped. */
int cli_open_record(const char *out, long long id, store **st, run_record *rec) {
  af_err e;
  memset(rec, 0, sizeof *rec);
  if (store_open_readonly(out, st, &e) < 0) return cli_fail("%s", e.msg);
  if (store_load_run(*st, id, rec, &e) < 0) {
    store_close(*st);
    *st = NULL;
    return cli_fail("%s", e.msg);
  }
  return 0;
}

int cli_open_run_arg(const cli_opts *o, store **st, run_record *rec) {
  long long id;
  memset(rec, 0, sizeof *rec);
  *st = NULL;
  if (o->npos != 1 || !o->out) return cli_usage_error(o, "needs RUN_ID and --out RESULTS.db");
  int rc = cli_number(o, "RUN_ID", o->pos[0], 1, &id);
  return rc ? rc : cli_open_record(o->out, id, st, rec);
}

/* ---- runs ---- */

/* The run's hooks: the command's, with the progress line's count. */
static int cli_run_begin(void *ctx, const run *rn, af_err *e) {
  cli_run *cr = ctx;
  cr->done = 0;
  return cr->hooks.begin_pass ? cr->hooks.begin_pass(cr->hooks.ctx, rn, e) : 0;
}

static void cli_progress(cli_run *cr);

static int cli_run_batch(void *ctx, const run *rn, const batch *b, const char *const *ids,
                         af_err *e) {
  cli_run *cr = ctx;
  if (cr->hooks.batch && cr->hooks.batch(cr->hooks.ctx, rn, b, ids, e) < 0) return -1;
  cr->done += b->nunits;
  if (cr->total > 0) cli_progress(cr);
  return 0;
}

int cli_open_run(const cli_opts *o, cli_run *cr, const char *db, const model **ms, int n,
                 const run_options *ro) {
  memset(cr, 0, sizeof *cr);
  if (ro) cr->hooks = *ro;
  run_options opt = cr->hooks;
  if (!opt.threads) opt.threads = o->threads;   /* a command that needs one thread says so */
  opt.begin_pass = cli_run_begin;
  opt.batch = cli_run_batch;
  opt.ctx = cr;
  diag_list d = {0};
  af_err e = {{0}};
  int rc = run_open(&cr->rn, db, ms, n, &opt, &d, &e);
  if (rc < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    if (d.n == 0) cli_fail("%s", e.msg);
  }
  diag_free(&d);
  return rc < 0 ? 1 : 0;
}

/* ---- progress ---- */

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One line on a terminal, redrawn at most five times a second: units done
** of the total, rate and time left; ended when the pass ends. Nothing when
** stderr is not a terminal (the total is only counted for a watched line:
** counting costs a scan). */
static void cli_progress(cli_run *p) {
  double now = cli_now();
  if (p->done < p->total && now - p->last < 0.2) return;
  p->last = now;
  double rate = p->done / (now - p->started + 1e-9);
  double left = rate > 0 && p->done < p->total ? (double)(p->total - p->done) / rate : 0;
  fprintf(stderr, "\r%lld / %lld units (%3.0f%%), %.0f units/s, %.0f s left   ", p->done,
          p->total, 100.0 * (double)p->done / (double)p->total, rate, left);
  p->open = p->done < p->total;
  if (!p->open) fprintf(stderr, "\n");
}

int cli_execute(cli_run *cr, af_err *e) {
  cr->total = isatty(2) ? run_count_units(cr->rn) : 0;
  cr->started = cli_now();
  int rc = run_execute(cr->rn, e);
  if (cr->open) fprintf(stderr, "\n");
  cr->open = 0;
  return rc;
}
