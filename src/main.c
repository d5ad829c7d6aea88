/*
** main.c: the afscore program: the command table with each command's help
** and the options it takes, option parsing, and dispatch. The commands are
** cli_*.c; what they share is cli.c.
*/
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct command {
  const char *name;
  int (*fn)(cli_opts *);
  const char *options;    /* the options it takes, space-separated (--help: all) */
  const char *synopsis;
  const char *help;
} command;

static const command commands[] = {
  {"check", cmd_check, "--db --json --strict --require-signed --trust",
   "check METHOD.lua [--db DATA.db] [--json] [--strict] [--require-signed --trust KEYS]",
   "Load and validate a methodology. With --db, also check its tables, columns and\n"
   "rule types against the database schema. Prints FILE:LINE: message per error\n"
   "and exits 1 when there is any. Warnings (FILE:LINE: warning: ...) flag what is\n"
   "legal but probably a mistake; --strict counts them as errors. --json always\n"
   "prints one JSON document: ok, errors and warnings as {file, line, message}."},
  {"score", cmd_score,
   "--db --method --out --json --level --require-signed --trust --sign-with --partition",
   "score --db DATA.db --method METHOD.lua [--out RESULTS.db] [--json] [--level 0.95]\n"
   "        [--require-signed --trust KEYS] [--sign-with KEY.pem] [--partition I/N]",
   "Score every unit of DATA.db and print the measure. With --out, record the run\n"
   "(methodology sources, data fingerprint, summary, one row per unit) in RESULTS.db\n"
   "in one transaction. --json prints the summary as one JSON document.\n"
   "--require-signed refuses a methodology file not signed by a key in --trust;\n"
   "--sign-with signs the recorded run (afscore verify --trust checks it). A survey\n"
   "design (unit.strata, psu, round) adds standard errors, intervals at --level and\n"
   "changes between rounds (docs/inference.md). --partition I/N records only the\n"
   "units of partition I of N (by a hash of the unit id; afscore merge combines the\n"
   "N partial runs into the run one machine would record; docs/scale.md)."},
  {"compare", cmd_compare,
   "--db --method --changes --out --run --run --json --force --require-signed --trust",
   "compare --db DATA.db --method BASE.lua --method VARIANT.lua [...] [--changes FILE.csv]\n"
   "        [--force] [--json] [--require-signed --trust KEYS]\n"
   "       afscore compare --out RESULTS.db --run A --run B [--db NEWER_DATA.db] [--json]",
   "Score several methodologies over one read of the data and show what changes\n"
   "against the first: H, A, M0, category shares, the transition matrix, groups,\n"
   "indicators and measures. --changes writes every unit whose category, poor\n"
   "status or measures changed, with the reasons. With --out and two --run, two\n"
   "recorded runs are compared from their recorded rows; with --db (the newer\n"
   "data) each mover is put down to the rules or to its data."},
  {"replay", cmd_replay,
   "--out --db --method --changes --json --force --recompute-base --require-signed --trust",
   "replay RUN_ID --out RESULTS.db --db DATA.db [--method PROPOSED.lua [--recompute-base]]\n"
   "        [--changes FILE.csv] [--force] [--json] [--require-signed --trust KEYS]",
   "Re-run a recorded run from its recorded sources and check every recorded row\n"
   "(score, poor, category, eligibility; rows missing and extra) and the summary\n"
   "(exit 0, \"reproduced\"; exit 1 naming the counts and the first differing\n"
   "units). With --method, compare PROPOSED against the recorded methodology;\n"
   "on data changed since the run that needs --recompute-base."},
  {"explain", cmd_explain, "--out --db --run --method --json",
   "explain (--out RESULTS.db --run RUN_ID | --method METHOD.lua) --db DATA.db UNIT_ID [--json]",
   "Why a unit got its category: each indicator with its rule, the values it used,\n"
   "the case that held and its amount; the score as a sum; the band and what the\n"
   "nearest change of category would take; the measures the unit may claim.\n"
   "With --method instead of --out and --run, a draft is explained without a\n"
   "recorded run."},
  {"sweep", cmd_sweep, "--db --method --json --level",
   "sweep --db DATA.db --method METHOD.lua [--json] [--level 0.95]",
   "AF: H, A, M0 for every achievable k (each distinct score), from one pass.\n"
   "Points: category shares as each band bound moves over the achievable totals.\n"
   "With a survey design (docs/inference.md): standard errors and intervals at\n"
   "every k, and each group column's values ranked by M0 with the pairs whose\n"
   "order is significant at --level."},
  {"describe", cmd_describe, "--format --json", "describe METHOD.lua [--format text|markdown|json]",
   "The methodology as it will be applied, after imports and variant edits:\n"
   "dimensions, indicators with their rules, resolved weights (exact fraction and\n"
   "decimal), missing policies, k, categories and measures with their languages."},
  {"diff", cmd_diff, "", "diff A.lua B.lua",
   "What changed in the rules from A to B, one line per change in the terms of\n"
   "describe: '~ what: old -> new', '+ added', '- removed'."},
  {"test", cmd_test, "", "test METHOD.lua",
   "Run the cases file beside the methodology (METHOD.test.lua): each case is a\n"
   "small family (unit row, member rows) with the category, score, poor status\n"
   "and measures it should get. Prints each failing case at its FILE:LINE with\n"
   "expected and actual, and exits 1 when any fails."},
  {"runs", cmd_runs, "--out --json", "runs --out RESULTS.db [--json]", "List the recorded runs."},
  {"notices", cmd_notices, "--out --run --lang --format",
   "notices --out RESULTS.db --run RUN_ID [--lang kk|ru] [--format csv|json]",
   "Write the notice queue of a recorded run: one row per unit and measure it is\n"
   "eligible for, with the measure's notice text filled in. Nothing is sent."},
  {"report", cmd_report, "--out --run --run --html --lang --csv --force",
   "report --out RESULTS.db --run N [--run M] --html FILE.html [--lang ru|kk|en] [--csv DIR] "
   "[--force]",
   "The decision report of recorded run N as one self-contained HTML page: headline\n"
   "figures, categories, groups, indicators, support measures and the record. With\n"
   "a second --run, what changes from run N to run M. --csv writes every table as\n"
   "CSV into DIR. An existing file is replaced only with --force."},
  {"generate", cmd_generate, "--out --families --seed --layout --no-index --force",
   "generate --out DATA.db [--families N] [--seed S] [--layout key|registry|shuffled] [--force]",
   "Generate a synthetic Kazakhstan population (families and persons) for demos,\n"
   "tests and benchmarks. The same N and seed always give the same data. --layout\n"
   "says how the rows are stored: key (families in key order, each one's persons\n"
   "after it; the default), registry (families in registration order, which is\n"
   "not key order, persons grouped in the same order) or shuffled (persons in\n"
   "random order). An existing file is replaced only with --force."},
  {"sign", cmd_sign, "--key --force", "sign FILE.lua --key KEY.pem [--force]",
   "Write FILE.lua.sig: the 64-byte Ed25519 signature of the file's exact bytes\n"
   "(the same as openssl pkeyutl -sign -rawin). Sign every imported file too."},
  {"verify", cmd_verify, "--out --run --trust", "verify --out RESULTS.db [--run N] [--trust KEYS]",
   "Without the data: check that each run's rows match their checks and the\n"
   "recorded results digest, that the recorded methodology files match their\n"
   "sha256, and with --trust that the run and its files are signed by a trusted\n"
   "key. Exit 1 naming the run and the first bad unit."},
  {"merge", cmd_merge, "--out --json --force",
   "merge --out RESULTS.db PART.db... [--json] [--force]",
   "Combine the partial runs of score --partition I/N (one per file, every\n"
   "partition once, all of one methodology, data and engine version) into one run\n"
   "in RESULTS.db, with the rows, row checks, results digest and summary the run\n"
   "scored on one machine has. --json prints the merged run's summary. An existing\n"
   "RESULTS.db is replaced only with --force."},
  {"show", cmd_show, "--out --extract --force --trust",
   "show RUN_ID --out RESULTS.db [--extract DIR] [--force] [--trust KEYS]",
   "Print a run's record: each methodology file with its sha256 and signature,\n"
   "the data path and fingerprint, engine version and parameters. --extract\n"
   "writes the recorded files (and their signatures) into DIR."},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

/* Every option of any command: how its value is read and where it goes. */
typedef enum { OPT_FLAG, OPT_TEXT, OPT_METHOD, OPT_NUM, OPT_RUN, OPT_LEVEL } opt_kind;

typedef struct option {
  const char *name;
  opt_kind kind;
  size_t off;             /* of the field in cli_opts */
  long long min;          /* OPT_NUM: the smallest value allowed */
} option;

static const option options[] = {
  {"--db", OPT_TEXT, offsetof(cli_opts, db), 0},
  {"--out", OPT_TEXT, offsetof(cli_opts, out), 0},
  {"--changes", OPT_TEXT, offsetof(cli_opts, changes), 0},
  {"--lang", OPT_TEXT, offsetof(cli_opts, lang), 0},
  {"--format", OPT_TEXT, offsetof(cli_opts, format), 0},
  {"--method", OPT_METHOD, 0, 0},
  {"--run", OPT_RUN, 0, 1},
  {"--html", OPT_TEXT, offsetof(cli_opts, html), 0},
  {"--csv", OPT_TEXT, offsetof(cli_opts, csv), 0},
  {"--families", OPT_NUM, offsetof(cli_opts, families), 0},
  {"--seed", OPT_NUM, offsetof(cli_opts, seed), 0},
  {"--json", OPT_FLAG, offsetof(cli_opts, json), 0},
  {"--layout", OPT_TEXT, offsetof(cli_opts, layout), 0},
  {"--no-index", OPT_FLAG, offsetof(cli_opts, no_index), 0},
  {"--strict", OPT_FLAG, offsetof(cli_opts, strict), 0},
  {"--force", OPT_FLAG, offsetof(cli_opts, force), 0},
  {"--require-signed", OPT_FLAG, offsetof(cli_opts, require_signed), 0},
  {"--recompute-base", OPT_FLAG, offsetof(cli_opts, recompute_base), 0},
  {"--key", OPT_TEXT, offsetof(cli_opts, key), 0},
  {"--trust", OPT_TEXT, offsetof(cli_opts, trust), 0},
  {"--sign-with", OPT_TEXT, offsetof(cli_opts, sign_with), 0},
  {"--extract", OPT_TEXT, offsetof(cli_opts, extract), 0},
  {"--level", OPT_LEVEL, offsetof(cli_opts, level), 0},
  {"--partition", OPT_TEXT, offsetof(cli_opts, partition), 0},
};
#define NOPTIONS ((int)(sizeof options / sizeof options[0]))

static const command *find_command(const char *name) {
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

static const option *find_option(const char *name) {
  for (int i = 0; i < NOPTIONS; i++)
    if (strcmp(options[i].name, name) == 0) return &options[i];
  return NULL;
}

/* How many times c's option list has the word name (a --run listed twice
** may be given twice). */
static int takes(const command *c, const char *name) {
  size_t n = strlen(name);
  int k = 0;
  for (const char *p = strstr(c->options, name); p; p = strstr(p + 1, name))
    k += (p == c->options || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0');
  return k;
}

static void usage(FILE *f, const command *c) {
  if (c) {
    fprintf(f, "usage: afscore %s\n\n%s\n", c->synopsis, c->help);
    return;
  }
  fprintf(f, "usage: afscore COMMAND [options]\n\ncommands:\n");
  for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  afscore %s\n", commands[i].synopsis);
  fprintf(f, "\n'afscore help COMMAND' or 'afscore COMMAND --help' describes a command.\n"
             "environment: AFSCORE_PATH  directories import() searches after the importing\n"
             "                           file's own (colon-separated; default ./methodology)\n"
             "             AFSCORE_THREADS  1 to read, score and merge on one thread (default and\n"
             "                           most: 2)\n"
             "             AFSCORE_TIME_LIMIT  seconds a methodology script may run (default 1.5)\n"
             "             AFSCORE_BUSY_TIMEOUT  milliseconds to wait for another writer of the\n"
             "                           results database (default 5000)\n");
}

/* The value of option op (argv[i] is the option itself) into o. */
static int parse_value(const option *op, const char *v, cli_opts *o) {
  char *field = (char *)o + op->off;
  if (op->kind == OPT_TEXT) {
    *(const char **)(void *)field = v;
  } else if (op->kind == OPT_METHOD) {
    if (o->nmethods == CLI_MAX_METHODS)
      return cli_usage_error(o, "too many --method options (at most %d)", CLI_MAX_METHODS);
    o->methods[o->nmethods++] = v;
  } else if (op->kind == OPT_LEVEL) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x > 0 && x < 1))
      return cli_usage_error(o, "%s needs a confidence level between 0 and 1, such as 0.95, "
                                "got '%s'", op->name, v);
    *(double *)(void *)field = x;
  } else {
    long long n;
    int rc = cli_number(o, op->name, v, op->min, &n);
    if (rc) return rc;
    /* The first --run is run_id, a second (compare, report: run B) run_id2. */
    if (op->kind == OPT_RUN) field = (char *)(o->nruns++ ? &o->run_id2 : &o->run_id);
    *(long long *)(void *)field = n;
  }
  return 0;
}

/* Parse argv[from..] for command c into o: 0, or 2 after printing a usage
** error. An option c does not take is an error, not silently ignored. */
static int parse(int argc, char **argv, int from, const command *c, cli_opts *o) {
  memset(o, 0, sizeof *o);
  o->cmd = c->name;
  o->synopsis = c->synopsis;
  o->families = 20000;
  o->seed = 1;
  o->level = 0.95;
  for (int i = from; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      o->help = 1;
      continue;
    }
    if (a[0] != '-' || a[1] != '-') {
      if (o->npos == CLI_MAX_POS) return cli_usage_error(o, "unexpected argument '%s'", a);
      o->pos[o->npos++] = a;
      continue;
    }
    const option *op = find_option(a);
    if (!op) return cli_usage_error(o, "unknown option '%s'", a);
    if (!takes(c, a)) return cli_usage_error(o, "takes no option %s", a);
    if (op->kind == OPT_RUN && o->nruns == takes(c, a))
      return cli_usage_error(o, "too many --run options (at most %d)", takes(c, a));
    if (op->kind == OPT_FLAG) {
      *(int *)(void *)((char *)o + op->off) = 1;
      continue;
    }
    if (i + 1 >= argc) return cli_usage_error(o, "option %s needs a value", a);
    int rc = parse_value(op, argv[++i], o);
    if (rc) return rc;
  }
  return 0;
}

/* AFSCORE_THREADS, read here and passed down: 0 when unset (the default). */
static int parse_threads(cli_opts *o) {
  const char *env = getenv("AFSCORE_THREADS");
  if (!env || !*env) return 0;
  char *end;
  long n = strtol(env, &end, 10);
  if (end == env || *end || n < 1) {
    fprintf(stderr, "afscore: AFSCORE_THREADS must be a whole number of at least 1 (afscore "
                    "uses at most 2), got '%s'\n", env);
    return 2;
  }
  /* The work splits in two (two readers, or a reader and the scorer), so a
  ** larger count is taken as 2: the same run as 2 gives. */
  o->threads = n > 2 ? 2 : (int)n;
  return 0;
}

static int dispatch(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr, NULL);
    return 2;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    if (argc > 2 && !find_command(argv[2])) {
      fprintf(stderr, "afscore: no command '%s'\n", argv[2]);
      return 2;
    }
    usage(stdout, argc > 2 ? find_command(argv[2]) : NULL);
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
    usage(stderr, NULL);
    return 2;
  }
  cli_opts o;
  int rc = parse(argc, argv, 2, c, &o);
  if (rc) return rc;
  if (o.help) {
    usage(stdout, c);
    return 0;
  }
  if ((rc = parse_threads(&o)) != 0) return rc;
  rc = c->fn(&o);
  assert(rc >= 0 && rc <= 2);
  return rc;
}

int main(int argc, char **argv) { return dispatch(argc, argv); }
