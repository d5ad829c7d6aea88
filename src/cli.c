/*
** cli.c: the command line: dispatch, options, help texts, diagnostics and
** progress, and the commands check, score, runs and generate.
*/
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "method.h"
#include "report.h"
#include "rules.h"
#include "run.h"
#include "store.h"

typedef struct command {
  const char *name;
  int (*fn)(cli_opts *);
  const char *synopsis;
  const char *help;
} command;

static const command commands[] = {
  {"check", cmd_check, "check METHOD.lua [--db DATA.db] [--json] [--strict]",
   "Load and validate a methodology. With --db, also check its tables, columns and\n"
   "rule types against the database schema. Prints FILE:LINE: message per error\n"
   "and exits 1 when there is any. Warnings (FILE:LINE: warning: ...) flag what is\n"
   "legal but probably a mistake; --strict counts them as errors. --json always\n"
   "prints one JSON document: ok, errors and warnings as {file, line, message}."},
  {"score", cmd_score, "score --db DATA.db --method METHOD.lua [--out RESULTS.db] [--json]",
   "Score every unit of DATA.db and print the measure. With --out, record the run\n"
   "(methodology sources, data fingerprint, summary, one row per unit) in RESULTS.db\n"
   "in one transaction. --json prints the summary as one JSON document."},
  {"compare", cmd_compare,
   "compare --db DATA.db --method BASE.lua --method VARIANT.lua [...] [--changes FILE.csv] [--json]",
   "Score several methodologies over one read of the data and show what changes\n"
   "against the first: H, A, M0, category shares, the transition matrix, groups,\n"
   "indicators and measures. --changes writes every unit that changed category."},
  {"replay", cmd_replay,
   "replay RUN_ID --out RESULTS.db --db DATA.db [--method PROPOSED.lua] [--json]",
   "Re-run a recorded run from its recorded sources and verify that every unit's\n"
   "score and category and the summary are reproduced bit for bit (exit 0,\n"
   "\"reproduced\"; exit 1 naming what differs). With --method, compare PROPOSED\n"
   "against the recorded methodology on the same data."},
  {"explain", cmd_explain, "explain --out RESULTS.db --db DATA.db --run RUN_ID UNIT_ID [--json]",
   "Why a unit got its category: each indicator with its rule, the values it used,\n"
   "the case that held and its amount; the score as a sum; the band and what the\n"
   "nearest change of category would take; the measures the unit may claim."},
  {"sweep", cmd_sweep, "sweep --db DATA.db --method METHOD.lua [--json]",
   "AF: H, A, M0 for every achievable k (each distinct score), from one pass.\n"
   "Points: category shares as each band bound moves over the achievable totals."},
  {"describe", cmd_describe, "describe METHOD.lua [--format text|markdown|json]",
   "The methodology as it will be applied, after imports and variant edits:\n"
   "dimensions, indicators with their rules, resolved weights (exact fraction and\n"
   "decimal), missing policies, k, categories and measures with their languages."},
  {"diff", cmd_diff, "diff A.lua B.lua",
   "What changed in the rules from A to B, one line per change in the terms of\n"
   "describe: '~ what: old -> new', '+ added', '- removed'."},
  {"test", cmd_test, "test METHOD.lua",
   "Run the cases file beside the methodology (METHOD.test.lua): each case is a\n"
   "small family (unit row, member rows) with the category, score, poor status\n"
   "and measures it should get. Prints each failing case at its FILE:LINE with\n"
   "expected and actual, and exits 1 when any fails."},
  {"runs", cmd_runs, "runs --out RESULTS.db [--json]", "List the recorded runs."},
  {"notices", cmd_notices,
   "notices --out RESULTS.db --run RUN_ID [--lang kk|ru] [--format csv|json]",
   "Write the notice queue of a recorded run: one row per unit and measure it is\n"
   "eligible for, with the measure's notice text filled in. Nothing is sent."},
  {"generate", cmd_generate, "generate --out DATA.db [--families N] [--seed S] [--shuffled]",
   "Generate a synthetic Kazakhstan population (families and persons) for demos,\n"
   "tests and benchmarks. The same N and seed always give the same data."},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static const command *find_command(const char *name) {
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

void cli_usage(FILE *f, const char *cmd) {
  const command *c = cmd ? find_command(cmd) : NULL;
  if (c) {
    fprintf(f, "usage: afscore %s\n\n%s\n", c->synopsis, c->help);
    return;
  }
  fprintf(f, "usage: afscore COMMAND [options]\n\ncommands:\n");
  for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  afscore %s\n", commands[i].synopsis);
  fprintf(f, "\n'afscore help COMMAND' or 'afscore COMMAND --help' describes a command.\n"
             "environment: AFSCORE_PATH  directories import() searches after the importing\n"
             "                           file's own (colon-separated; default ./methodology)\n"
             "             AFSCORE_THREADS  1 to read and score on one thread (default 2)\n");
}

static int usage_error(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "afscore %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  const command *c = find_command(cmd);
  if (c) fprintf(stderr, "usage: afscore %s\n", c->synopsis);
  return -1;
}

static int parse_int(const char *s, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end) return -1;
  *out = v;
  return 0;
}

int cli_parse(int argc, char **argv, int from, const char *cmd, cli_opts *o) {
  memset(o, 0, sizeof *o);
  o->families = 20000;
  o->seed = 1;
  for (int i = from; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    long long *num = NULL;
    if (strcmp(a, "--json") == 0) o->json = 1;
    else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) o->help = 1;
    else if (strcmp(a, "--shuffled") == 0) o->shuffled = 1;
    else if (strcmp(a, "--no-index") == 0) o->no_index = 1;
    else if (strcmp(a, "--strict") == 0) o->strict = 1;
    else if (strcmp(a, "--db") == 0) slot = &o->db;
    else if (strcmp(a, "--out") == 0) slot = &o->out;
    else if (strcmp(a, "--changes") == 0) slot = &o->changes;
    else if (strcmp(a, "--lang") == 0) slot = &o->lang;
    else if (strcmp(a, "--format") == 0) slot = &o->format;
    else if (strcmp(a, "--method") == 0) {
      if (o->nmethods == 16) return usage_error(cmd, "too many --method options (at most %s)", "16");
      slot = &o->methods[o->nmethods++];
    } else if (strcmp(a, "--run") == 0) num = &o->run_id;
    else if (strcmp(a, "--families") == 0) num = &o->families;
    else if (strcmp(a, "--seed") == 0) num = &o->seed;
    else if (a[0] == '-' && a[1] == '-') return usage_error(cmd, "unknown option '%s'", a);
    else if (o->npos < 4) o->pos[o->npos++] = a;
    else return usage_error(cmd, "unexpected argument '%s'", a);
    if (slot || num) {
      if (i + 1 >= argc) return usage_error(cmd, "option %s needs a value", a);
      if (slot) *slot = argv[++i];
      else if (parse_int(argv[++i], num) < 0)
        return usage_error(cmd, "option needs a whole number, got '%s'", argv[i]);
    }
  }
  return 0;
}

void cli_print_diags(diag_list *d) {
  for (int i = 0; i < d->n; i++) {
    if (d->v[i].line > 0) fprintf(stderr, "%s:%d: %s\n", d->v[i].file, d->v[i].line, d->v[i].msg);
    else fprintf(stderr, "%s: %s\n", d->v[i].file, d->v[i].msg);
  }
}

/* import() searches beside the importing file, then each directory of
** AFSCORE_PATH (colon-separated; default: ./methodology). */
static void search_path(const char **dirs, int *n, char *buf, size_t cap) {
  const char *env = getenv("AFSCORE_PATH");
  snprintf(buf, cap, "%s", env && *env ? env : "methodology");
  *n = 0;
  for (char *p = buf; p && *p && *n < 8;) {
    dirs[(*n)++] = p;
    p = strchr(p, ':');
    if (p) *p++ = '\0';
  }
}

model *cli_load_method_diags(const char *path, diag_list *d) {
  const char *dirs[8];
  char buf[4096];
  method_opts mo;
  memset(&mo, 0, sizeof mo);
  search_path(dirs, &mo.nsearch, buf, sizeof buf);
  mo.search_path = dirs;
  model *m = NULL;
  if (method_load(path, &mo, &m, d) < 0) return NULL;
  return m;
}

model *cli_load_method(const char *path) {
  diag_list d = {0};
  model *m = cli_load_method_diags(path, &d);
  if (!m) {
    diag_sort(&d);
    cli_print_diags(&d);
    if (d.n == 0) fprintf(stderr, "%s: could not be loaded\n", path);
  }
  diag_free(&d);
  return m;
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_progress(long long done, long long total, double started) {
  static double last;
  static int tty = -1;
  if (tty < 0) tty = isatty(2);
  if (!tty) return;
  double now = cli_now();
  if (done < total && now - last < 0.2) return;
  last = now;
  double rate = done / (now - started + 1e-9);
  if (total > 0) {
    double left = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r%lld / %lld units (%3.0f%%), %.0f units/s, %.0f s left   ", done, total,
            100.0 * (double)done / (double)total, rate, left);
  } else {
    fprintf(stderr, "\r%lld units, %.0f units/s   ", done, rate);
  }
  if (done >= total) fprintf(stderr, "\n");
}

/* ---- score ---- */

typedef struct score_ctx {
  store *st;
  const run *rn;
  const char *db;
  int64_t *run_id;
  long long done, total;
  double started;
} score_ctx;

static int record_run(store *st, const run *rn, const char *db, int64_t *run_id, af_err *e);

/* The source starts again in key order: drop the run's rows and begin anew. */
static int score_restart(void *ctx, af_err *e) {
  score_ctx *sc = ctx;
  sc->done = 0;
  if (!sc->st) return 0;
  store_run_abort(sc->st);
  return record_run(sc->st, sc->rn, sc->db, sc->run_id, e);
}

/* Record the unit results of a scored batch. */
static int store_batch(void *ctx, const run *rn, const batch *b, const char *const *ids,
                       af_err *e) {
  score_ctx *sc = ctx;
  const scorer *s = rn->scorers[0];
  const model *m = rn->models[0];
  for (int u = 0; sc->st && u < b->nunits; u++) {
    int ex = s->excluded[u];
    int poor = ex || m->scoring != SCORING_AF ? -1 : s->poor[u];
    const char *cat = ex ? NULL : m->bands[s->band[u]].id;
    if (store_run_unit(sc->st, ids[u], s->score[u], poor, cat, (int64_t)s->eligible[u], e) < 0)
      return -1;
  }
  sc->done += b->nunits;
  cli_progress(sc->done, sc->total, sc->started);
  return 0;
}

/* The params of a model as a JSON object (recorded with each run). */
static char *params_json(const model *m) {
  json j = {0};
  j.compact = 1;
  json_obj(&j);
  for (int i = 0; i < m->nparams; i++) {
    json_key(&j, m->params[i].name);
    if (m->params[i].is_text) json_str(&j, m->params[i].text);
    else json_num(&j, m->params[i].num);
  }
  json_obj_end(&j);
  return sb_take(&j.out);
}

/* Begin the run in the results store with everything needed to replay it:
** the methodology's sources, params and the engine version. */
static int record_run(store *st, const run *rn, const char *db, int64_t *run_id, af_err *e) {
  const model *m = rn->models[0];
  char *pj = params_json(m);
  run_info ri;
  memset(&ri, 0, sizeof ri);
  ri.methodology_name = m->name;
  ri.methodology_version = m->version;
  ri.methodology_sha256 = m->files[0].sha256;
  ri.scoring = m->scoring == SCORING_AF ? "af" : "points";
  ri.data_path = db;
  ri.data_sha256 = "";       /* known at the end of the pass; set at commit */
  ri.engine_version = AFSCORE_VERSION;
  ri.params_json = pj;
  ri.files = m->files;
  ri.nfiles = m->nfiles;
  int rc = store_run_begin(st, &ri, run_id, e);
  free(pj);
  return rc;
}

int cmd_score(cli_opts *o) {
  if (!o->db || o->nmethods != 1 || o->npos) {
    usage_error("score", "needs --db DATA.db and one --method METHOD.lua%s", "");
    return 2;
  }
  model *m = cli_load_method(o->methods[0]);
  if (!m) return 1;
  run rn;
  diag_list d = {0};
  af_err e = {{0}};
  score_ctx sc = {0};
  int64_t run_id = 0;
  int rc = 1;
  const model *ms[1] = {m};
  if (run_open(&rn, o->db, ms, 1, &d, &e) < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    if (d.n == 0) fprintf(stderr, "afscore: %s\n", e.msg);
    goto done;
  }
  if (o->out && (store_open(o->out, &sc.st, &e) < 0 ||
                 record_run(sc.st, &rn, o->db, &run_id, &e) < 0)) {
    fprintf(stderr, "afscore: %s\n", e.msg);
    goto done;
  }
  sc.rn = &rn;
  sc.db = o->db;
  sc.run_id = &run_id;
  rn.on_restart = score_restart;
  /* Counting costs a scan: only for a progress bar someone watches. */
  sc.total = isatty(2) ? source_count_rows(rn.src, m->unit_table) : 0;
  sc.started = cli_now();
  if (run_execute(&rn, store_batch, &sc, &e) < 0) {
    fprintf(stderr, "afscore: %s\n", e.msg);
    if (sc.st) store_run_abort(sc.st);
    goto done;
  }
  report_meta meta = {run_id, AFSCORE_VERSION};
  json j = {0};
  report_summary_json(&j, &rn, 0, &meta);
  if (sc.st && (store_run_set_data(sc.st, rn.stats.sha256, &e) < 0 ||
                store_run_commit(sc.st, j.out.s, &e) < 0)) {
    fprintf(stderr, "afscore: %s\n", e.msg);
    sb_free(&j.out);
    goto done;
  }
  if (o->json) {
    printf("%s\n", j.out.s);
  } else {
    strbuf t = {0};
    report_summary_text(&t, &rn, 0, &meta);
    fputs(t.s, stdout);
    sb_free(&t);
  }
  sb_free(&j.out);
  rc = 0;
done:
  store_close(sc.st);
  run_close(&rn);
  diag_free(&d);
  model_free(m);
  return rc;
}

/* ---- runs ---- */

int cmd_runs(cli_opts *o) {
  if (!o->out) {
    usage_error("runs", "needs --out RESULTS.db%s", "");
    return 2;
  }
  store *st;
  af_err e;
  run_record *v = NULL;
  int n = 0;
  if (access(o->out, F_OK) != 0) {
    fprintf(stderr, "afscore: %s: no such results database\n", o->out);
    return 1;
  }
  if (store_open(o->out, &st, &e) < 0 || store_list_runs(st, &v, &n, &e) < 0) {
    fprintf(stderr, "afscore: %s\n", e.msg);
    return 1;
  }
  json j = {0};
  if (o->json) json_arr(&j);
  else printf("%4s  %-20s  %-40s %-18s %-12s %10s %8s %8s\n", "id", "time", "methodology",
              "version", "sha256", "units", "H", "M0");
  for (int i = 0; i < n; i++) {
    struct { double units, H, M0; } s = {0, NAN, NAN};
    s.units = (double)v[i].units;
    json_find_number(v[i].summary_json, "H", &s.H);
    json_find_number(v[i].summary_json, "M0", &s.M0);
    if (o->json) {
      json_obj(&j);
      json_kv_int(&j, "id", v[i].id);
      json_kv_str(&j, "time", v[i].time);
      json_kv_str(&j, "methodology", v[i].methodology_name);
      json_kv_str(&j, "version", v[i].methodology_version);
      json_kv_str(&j, "sha256", v[i].methodology_sha256);
      json_kv_str(&j, "scoring", v[i].scoring);
      json_kv_str(&j, "data_sha256", v[i].data_sha256);
      json_kv_int(&j, "units", (int64_t)s.units);
      json_kv_num(&j, "H", s.H);
      json_kv_num(&j, "M0", s.M0);
      json_obj_end(&j);
    } else {
      char h[16] = "-", m0[16] = "-";
      if (!isnan(s.H)) snprintf(h, sizeof h, "%.4f", s.H);
      if (!isnan(s.M0)) snprintf(m0, sizeof m0, "%.4f", s.M0);
      printf("%4lld  %-20s  %-40.40s %-18.18s %-12.12s %10lld %8s %8s\n", (long long)v[i].id,
             v[i].time, v[i].methodology_name, v[i].methodology_version,
             v[i].methodology_sha256, (long long)s.units, h, m0);
    }
  }
  if (o->json) {
    json_arr_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  }
  store_free_runs(v, n);
  store_close(st);
  return 0;
}

/* ---- generate ---- */

int cmd_generate(cli_opts *o) {
  if (!o->out || o->families < 0) {
    usage_error("generate", "needs --out DATA.db%s", "");
    return 2;
  }
  gen_opts g = {o->families, (uint64_t)o->seed, o->shuffled, o->no_index};
  af_err e;
  double t0 = cli_now();
  if (gen_population(o->out, &g, &e) < 0) {
    fprintf(stderr, "afscore: %s\n", e.msg);
    return 1;
  }
  fprintf(stderr, "generated %lld families into %s in %.1f s\n", o->families, o->out,
          cli_now() - t0);
  return 0;
}

/* ---- dispatch ---- */

int cli_main(int argc, char **argv) {
  if (argc < 2) {
    cli_usage(stderr, NULL);
    return 2;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    if (argc > 2 && !find_command(argv[2])) {
      fprintf(stderr, "afscore: no command '%s'\n", argv[2]);
      return 2;
    }
    cli_usage(stdout, argc > 2 ? argv[2] : NULL);
    return 0;
  }
  if (strcmp(name, "--version") == 0) {
    printf("%s\n", AFSCORE_VERSION);
    return 0;
  }
  const command *c = find_command(name);
  if (!c) {
    const char *names[NCOMMANDS];
    for (int i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
    const char *s = af_suggest(name, names, NCOMMANDS);
    fprintf(stderr, "afscore: no command '%s'%s%s%s\n", name, s ? " (did you mean '" : "",
            s ? s : "", s ? "'?)" : "");
    cli_usage(stderr, NULL);
    return 2;
  }
  cli_opts o;
  if (cli_parse(argc, argv, 2, name, &o) < 0) return 2;
  if (o.help) {
    cli_usage(stdout, name);
    return 0;
  }
  return c->fn(&o);
}
