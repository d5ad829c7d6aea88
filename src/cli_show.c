/*
** cli_show.c: `afscore show`: a run's record in words, and its recorded
** methodology files written back out (--extract DIR) for a reviewer to
** re-run or diff.
*/
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "outfile.h"
#include "store.h"

/* One recorded byte string to DIR/NAME, refusing to replace anything. */
static int show_write(const char *dir, const char *name, const void *data, size_t len,
                      const cli_opts *o) {
  char *path = af_sprintf("%s/%s", dir, name);
  af_err e;
  outfile *of = NULL;
  int rc = cli_check_output(o, path);
  if (rc == 0 && outfile_open(path, &of, &e) < 0) rc = cli_fail("%s", e.msg);
  if (rc == 0) {
    fwrite(data, 1, len, outfile_fp(of));
    if (outfile_commit(of, &e) < 0) rc = cli_fail("%s", e.msg);
    else af_textf(stdout, "wrote %s\n", path);
  }
  free(path);
  return rc;
}

/* The file name a recorded file is written under: its base name, ".lua"
** added to an import name; never a path. */
static char *show_name(const model_file *f) {
  const char *b = strrchr(f->name, '/');
  b = b ? b + 1 : f->name;
  size_t n = strlen(b);
  if (n > 4 && strcmp(b + n - 4, ".lua") == 0) return af_strdup(b);
  return af_sprintf("%s.lua", b);
}

static int show_extract(const run_record *r, const cli_opts *o) {
  if (mkdir(o->extract, 0777) != 0 && errno != EEXIST) {
    af_textf(stderr, "afscore: %s: cannot create: %s\n", o->extract, strerror(errno));
    return 1;
  }
  int rc = 0;
  for (int i = 0; i < r->nfiles && rc == 0; i++) {
    char *name = show_name(&r->files[i]);
    if (!*name || name[0] == '.') {
      af_textf(stderr, "afscore: recorded file name '%s' is not a plain file name\n", name);
      rc = 1;
    }
    if (rc == 0) rc = show_write(o->extract, name, r->files[i].text, r->files[i].len, o);
    if (rc == 0 && r->file_sigs[i].present) {
      char *sig = af_sprintf("%s.sig", name);
      rc = show_write(o->extract, sig, r->file_sigs[i].bytes, 64, o);
      free(sig);
    }
    free(name);
  }
  return rc;
}

int cmd_show(cli_opts *o) {
  store *st = NULL;
  run_record r;
  int orc = cli_open_run_arg(o, &st, &r);
  if (orc) return orc;
  /* each file's signature status, checked against --trust if given */
  cli_sigs sigs = {0};
  int rc = cli_signatures(o, r.files, r.nfiles, r.file_sigs, NULL, &sigs);
  if (rc == 2 || sigs.n != r.nfiles) {
    cli_sigs_free(&sigs);
    store_record_free(&r);
    store_close(st);
    return rc ? rc : 1;
  }
  af_textf(stdout, "run %lld, recorded %s by %s\n", (long long)r.id, r.time, r.engine_version);
  af_textf(stdout, "methodology: %s, version %s (%s scoring), sha256 %s\n", r.methodology_name,
         r.methodology_version, r.scoring, r.methodology_sha256);
  strbuf words = {0};
  for (int i = 0; i < r.nfiles; i++) {
    words.len = 0;
    cli_sig_words(&words, &sigs.v[i]);
    af_textf(stdout, "  file %d: %s (read from %s), %zu bytes, sha256 %s, %s\n", i, r.files[i].name,
           r.files[i].path && *r.files[i].path ? r.files[i].path : "-", r.files[i].len,
           r.files[i].sha256, words.s);
  }
  sb_free(&words);
  cli_sigs_free(&sigs);
  af_textf(stdout, "data: %s, fingerprint %s\n", r.data_path, r.data_sha256);
  af_textf(stdout, "parameters: %s\n", r.params_json ? r.params_json : "{}");
  af_textf(stdout, "units: %lld, results digest %s\n", (long long)r.units,
         r.rows_sha256 ? r.rows_sha256 : "(none: recorded by an older afscore)");
  af_textf(stdout, "run signature: %s%s\n", !r.sig.present ? "none" : "by key ", r.sig.present ? r.sig.signer : "");
  if (rc == 0 && o->extract) rc = show_extract(&r, o);
  store_record_free(&r);
  store_close(st);
  return rc;
}
