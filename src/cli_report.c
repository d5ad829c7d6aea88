/*
** cli_report.c: `afscore report`: the decision report of one recorded run,
** or of run B against run A, as one HTML page (and every table as CSV).
** Everything is read from the results database; nothing is scored again.
** All output is built in memory first, so a bad input writes no file.
*/
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulletin.h"
#include "jdoc.h"
#include "outfile.h"
#include "store.h"
#include "runcmp.h"

/* One recorded run, loaded for the report (owned). */
typedef struct rep_run {
  run_record rec;
  model *m;
  jdoc *sum;
} rep_run;

static void rep_run_free(rep_run *r) {
  store_record_free(&r->rec);
  model_free(r->m);
  jdoc_free(r->sum);
}

static int rep_load(store *st, const char *out, long long id, rep_run *r) {
  af_err e;
  memset(r, 0, sizeof *r);
  if (store_load_run(st, id, &r->rec, &e) < 0) return cli_fail("%s", e.msg);
  if (jdoc_parse(r->rec.summary_json, &r->sum, &e) < 0) {
    af_textf(stderr, "afscore: %s: run %lld: the recorded summary cannot be read: %s\n", out, id,
            e.msg);
    return 1;
  }
  r->m = cli_load_recorded(&r->rec);
  return r->m ? 0 : 1;
}

/* Two runs can be compared unit by unit only over the same kind of
** population: the same unit table, units or members, weighted or not. */
static int rep_same_population(const rep_run *a, const rep_run *b) {
  const char *pa = jdoc_str(jdoc_get(a->sum, "population"));
  const char *pb = jdoc_str(jdoc_get(b->sum, "population"));
  const char *why = NULL;
  if (strcmp(a->m->unit_table, b->m->unit_table) != 0) why = "they score different unit tables";
  else if (pa && pb && strcmp(pa, pb) != 0) why = "one counts units, the other members";
  else if ((a->m->unit_weight == NULL) != (b->m->unit_weight == NULL))
    why = "one is weighted, the other is not";
  if (!why) return 0;
  af_textf(stderr, "afscore: runs %lld and %lld are on different populations (%s): "
                  "they cannot be compared\n", (long long)a->rec.id, (long long)b->rec.id, why);
  return 1;
}

/* ---- output files ---- */

/* Refuse to replace a file unless forced. */
static int rep_check_target(const char *path, int force) {
  struct stat sb;
  if (lstat(path, &sb) != 0) return 0;
  if (S_ISDIR(sb.st_mode)) {
    af_textf(stderr, "afscore: %s is a directory\n", path);
    return 1;
  }
  if (!force) {
    af_textf(stderr, "afscore: %s exists: use --force to replace it\n", path);
    return 1;
  }
  return 0;
}

/* Write data to path whole or not at all (outfile.h), so a reader never
** sees half a report. 0, or 1 after saying why. */
static int rep_write(const char *path, const char *data, size_t len) {
  outfile *of;
  af_err e;
  int rc = outfile_open(path, &of, &e);
  if (rc == 0) {
    if (fwrite(data, 1, len, outfile_fp(of)) == len) {
      rc = outfile_commit(of, &e);
    } else {
      rc = af_fail(&e, "%s: cannot write: %s", path, strerror(errno));
      outfile_abort(of);
    }
  }
  if (rc != 0) af_textf(stderr, "afscore: %s\n", e.msg);
  return rc != 0;
}

/* DIR/slug.csv, with anything but letters, digits, '-' and '_' made '_'. */
static char *rep_csv_path(const char *dir, const char *slug) {
  char *s = af_strdup(slug);
  for (char *p = s; *p; p++)
    if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
        *p != '-' && *p != '_')
      *p = '_';
  char *path = af_sprintf("%s/%s.csv", dir, s);
  free(s);
  return path;
}

/* Check every target first, then write: a refusal writes nothing. */
static int rep_save(const bulletin *b, const cli_opts *o) {
  if (o->html && rep_check_target(o->html, o->force)) return 1;
  if (o->csv) {
    struct stat sb;
    if (stat(o->csv, &sb) != 0 && mkdir(o->csv, 0755) != 0) {
      af_textf(stderr, "afscore: %s: cannot create the directory: %s\n", o->csv, strerror(errno));
      return 1;
    }
    for (int i = 0; i < b->ntables; i++) {
      char *p = rep_csv_path(o->csv, b->tables[i]->slug);
      int rc = rep_check_target(p, o->force);
      free(p);
      if (rc) return 1;
    }
    for (int i = 0; i < b->ntables; i++) {
      strbuf csv = {0};
      rtable_csv(&csv, b->tables[i]);
      char *p = rep_csv_path(o->csv, b->tables[i]->slug);
      int rc = rep_write(p, csv.s ? csv.s : "", csv.len);
      free(p);
      sb_free(&csv);
      if (rc) return 1;
    }
  }
  if (o->html && rep_write(o->html, b->html.s, b->html.len)) return 1;
  return 0;
}

/* ---- the command ---- */

/* Open the results database and check that it holds runs. */
static int rep_open(const char *out, store **st) {
  af_err e;
  run_record *v = NULL;
  int n = 0;
  *st = NULL;
  if (access(out, F_OK) != 0) {
    af_textf(stderr, "afscore: %s: no such results database\n", out);
    return 1;
  }
  /* read-only: a report never writes the results database */
  if (store_open_readonly(out, st, &e) < 0 || store_list_runs(*st, &v, &n, &e) < 0) {
    store_close(*st);
    *st = NULL;
    return cli_fail("%s", e.msg);
  }
  store_free_runs(v, n);
  if (n == 0) {
    af_textf(stderr, "afscore: %s holds no recorded runs: score with --out first\n", out);
    store_close(*st);
    *st = NULL;
    return 1;
  }
  return 0;
}

int cmd_report(cli_opts *o) {
  int lang = labels_parse(o->lang);
  assert(o->nruns <= 2);     /* main.c refuses a third --run */
  if (!o->out || o->nruns < 1 || o->npos)
    return cli_usage_error(o, "needs --out RESULTS.db and --run N");
  if (!o->html && !o->csv) return cli_usage_error(o, "needs --html FILE.html or --csv DIR");
  if (lang < 0) return cli_usage_error(o, "--lang must be ru, kk or en");
  store *st = NULL;
  rep_run r[2];
  memset(r, 0, sizeof r);
  bulletin b;
  memset(&b, 0, sizeof b);
  b.lang = (labels_lang)lang;
  runcmp t;
  memset(&t, 0, sizeof t);
  int rc = rep_open(o->out, &st);
  long long ids[2] = {o->run_id, o->run_id2};
  for (int i = 0; !rc && i < o->nruns; i++) rc = rep_load(st, o->out, ids[i], &r[i]);
  if (!rc && o->nruns == 2) rc = rep_same_population(&r[0], &r[1]);
  if (!rc && o->nruns == 2) {
    af_err e;
    if (runcmp_runs(st, &r[0].rec, &r[1].rec, r[0].m, r[1].m, NULL, NULL, &t, &e) < 0)
      rc = cli_fail("%s", e.msg);
  }
  if (!rc) {
    bulletin_run br[2];
    for (int i = 0; i < o->nruns; i++) br[i] = (bulletin_run){&r[i].rec, r[i].m, r[i].sum};
    if (o->nruns == 1) bulletin_one(&b, &br[0]);
    else bulletin_two(&b, &br[0], &br[1], &t);
    rc = rep_save(&b, o);
  }
  bulletin_free(&b);
  runcmp_free(&t);
  for (int i = 0; i < 2; i++) rep_run_free(&r[i]);
  store_close(st);
  return rc;
}
