/*
** cli_verify.c: `afscore verify`: check recorded runs without their data.
**
** For each run: every row's check and the positions no row holds (an
** edited or added row is named, a deleted one by its position and the units
** on either side), the row count and the rows digest recorded at commit, each recorded methodology file against its sha256, and with
** --trust the run's signature (over store_record_message) and each file's.
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "sign.h"
#include "store.h"

/* The recorded files: each text hashes to its sha256, the first to the run's. */
static int verify_files(const run_record *r, char *why, size_t n) {
  for (int i = 0; i < r->nfiles; i++) {
    char h[65];
    af_sha256_hex(r->files[i].text, r->files[i].len, h);
    if (strcmp(h, r->files[i].sha256) != 0) {
      snprintf(why, n, "methodology file %s: its recorded text does not hash to its recorded "
                       "sha256", r->files[i].name);
      return -1;
    }
  }
  if (r->nfiles == 0 || strcmp(r->files[0].sha256, r->methodology_sha256 ? r->methodology_sha256 : "")) {
    snprintf(why, n, "the methodology's sha256 does not match its recorded file");
    return -1;
  }
  return 0;
}

/* With a trust set: the run and each file signed by a trusted key. */
static int verify_signatures(const run_record *r, const sign_trust *t, char *signer, char *why,
                             size_t n) {
  signer[0] = '\0';
  if (!t) return 0;
  if (!r->sig.present) {
    snprintf(why, n, "the run is not signed");
    return -1;
  }
  size_t len;
  char *msg = store_record_message(r, &len);
  const char *fp = sign_trust_verify(t, msg, len, r->sig.bytes);
  free(msg);
  if (!fp) {
    snprintf(why, n, "the run's signature does not verify with any trusted key (the record "
                     "was changed after signing, or signed by a key not in --trust)");
    return -1;
  }
  snprintf(signer, 65, "%s", fp);
  for (int i = 0; i < r->nfiles; i++) {
    const store_sig *g = &r->file_sigs[i];
    if (g->present && !sign_trust_verify(t, r->files[i].text, r->files[i].len, g->bytes)) {
      snprintf(why, n, "methodology file %s: its recorded signature does not verify with any "
                       "trusted key", r->files[i].name);
      return -1;
    }
  }
  return 0;
}

/* One run; prints its verdict; 0 verified, 1 not, -1 error. */
static int verify_run(store *st, int64_t id, const sign_trust *t) {
  run_record r;
  af_err e = {{0}};
  if (store_load_run(st, id, &r, &e) < 0) {
    cli_fail("%s", e.msg);
    return -1;
  }
  char why[700] = "", signer[65] = "";
  store_verdict v;
  int rc = 0;
  if (!r.rows_sha256) {
    snprintf(why, sizeof why, "recorded by an older afscore (results schema 1): it has no row "
                              "checks; replay it with its data to check it");
    rc = 1;
  } else if (store_verify_rows(st, &r, &v, &e) < 0) {
    cli_fail("%s", e.msg);
    rc = -1;
  } else if (v.changed || v.missing || v.rows != r.units || !v.digest_ok || v.unlinked) {
    snprintf(why, sizeof why, "%lld rows, %lld recorded; %lld changed or added, %lld "
                              "missing%s%s%s%s", (long long)v.rows, (long long)r.units,
             (long long)v.changed, (long long)v.missing,
             v.digest_ok ? "" : "; the rows do not hash to the recorded results digest",
             v.unlinked ? "; the unit lookup table (run_units) does not match the rows" : "",
             v.first[0] ? "; first: " : "", v.first);
    rc = 1;
  } else if (verify_files(&r, why, sizeof why) < 0 ||
             verify_signatures(&r, t, signer, why, sizeof why) < 0) {
    rc = 1;
  }
  if (rc == 0)
    af_textf(stdout, "run %lld: verified: %lld rows match their checks and the results digest; %d "
           "methodology %s; %s%s\n", (long long)r.id, (long long)v.rows, r.nfiles,
           r.nfiles == 1 ? "file matches its sha256" : "files match their sha256",
           !t ? (r.sig.present ? "signed, signature not checked (no --trust)" : "not signed")
              : "signed by trusted key ",
           signer);
  else if (rc == 1) {
    char *w = af_escaped(why);   /* unit ids come from the data */
    af_textf(stderr, "run %lld: NOT verified: %s\n", (long long)r.id, w);
    free(w);
  }
  store_record_free(&r);
  return rc;
}

int cmd_verify(cli_opts *o) {
  if (!o->out || o->npos) return cli_usage_error(o, "needs --out RESULTS.db");
  af_err e = {{0}};
  sign_trust *t = NULL;
  if (o->trust && sign_trust_load(o->trust, &t, &e) < 0) return cli_fail("%s", e.msg);
  store *st = NULL;
  run_record *runs = NULL;
  int n = 0, rc = 0;
  if (store_open_readonly(o->out, &st, &e) < 0 || store_list_runs(st, &runs, &n, &e) < 0) {
    rc = cli_fail("%s", e.msg);
  } else if (o->run_id > 0) {
    rc = verify_run(st, o->run_id, t) != 0;
  } else {
    if (n == 0) af_textf(stdout, "%s: no runs recorded\n", o->out);
    for (int i = 0; i < n; i++)
      if (verify_run(st, runs[i].id, t) != 0) rc = 1;
  }
  store_free_runs(runs, n);
  store_close(st);
  sign_trust_free(t);
  return rc;
}
