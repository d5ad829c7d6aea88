/*
** cli_sign.c: `afscore sign`, and the signature status of methodology files
** that check, score, compare and replay print and --require-signed enforces.
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "sign.h"

/* ---- sign ---- */

int cmd_sign(cli_opts *o) {
  if (o->npos != 1 || !o->key) return cli_usage_error(o, "needs FILE.lua --key KEY.pem");
  const char *file = o->pos[0];
  af_err e = {{0}};
  sign_key *k = NULL;
  char *text = NULL, *sigpath = af_sprintf("%s.sig", file);
  size_t len = 0;
  unsigned char sig[SIGN_BYTES];
  outfile *of = NULL;
  const char *keep[] = {file, o->key};
  int rc = sign_key_load_private(o->key, &k, &e) < 0 || af_read_file(file, &text, &len, &e) < 0 ||
           outfile_check(sigpath, keep, 2, o->force, &e) < 0 ||
           sign_bytes(k, text, len, sig, &e) < 0 || outfile_open(sigpath, &of, &e) < 0;
  if (!rc) {
    fwrite(sig, 1, SIGN_BYTES, outfile_fp(of));
    rc = outfile_commit(of, &e) < 0;
  }
  if (rc) cli_fail("%s", e.msg);
  else printf("%s: signed by key %s\n", sigpath, sign_key_fingerprint(k));
  sign_key_free(k);
  free(text);
  free(sigpath);
  return rc;
}

/* ---- status of a methodology's files ---- */

/* A file's detached signature from disk (path + ".sig"); -1 on a bad one. */
static int sig_from_disk(const model_file *f, store_sig *g, af_err *e) {
  memset(g, 0, sizeof *g);
  if (!f->path || !*f->path) return 0;
  char *p = af_sprintf("%s.sig", f->path);
  int rc = sign_read_sig(p, g->bytes, e);
  free(p);
  if (rc < 0) return -1;
  g->present = rc == 1;
  return 0;
}

static const char *sig_status(const store_sig *g, const sign_trust *t) {
  if (!g->present) return "unsigned";
  if (!t) return "signed, not checked (no --trust)";
  return g->signer[0] ? "signed by a trusted key" : "NOT VALID: changed after signing, or "
                                                     "signed by a key not in --trust";
}

int cli_signatures(const cli_opts *o, const model_file *files, int nfiles,
                   const store_sig *recorded, store_sig **out) {
  if (out) *out = NULL;
  if (o->require_signed && !o->trust)
    return cli_usage_error(o, "--require-signed needs --trust KEYS (a public key or a directory "
                              "of them)");
  af_err e = {{0}};
  sign_trust *t = NULL;
  if (o->trust && sign_trust_load(o->trust, &t, &e) < 0) return cli_fail("%s", e.msg);
  store_sig *g = af_calloc((size_t)(nfiles ? nfiles : 1), sizeof *g);
  int any = t != NULL, rc = 0;
  for (int i = 0; i < nfiles && rc == 0; i++) {
    if (recorded) g[i] = recorded[i];
    else if (sig_from_disk(&files[i], &g[i], &e) < 0) rc = cli_fail("%s", e.msg);
    g[i].signer[0] = '\0';
    const char *fp = g[i].present ? sign_trust_verify(t, files[i].text, files[i].len, g[i].bytes)
                                  : NULL;
    if (fp) snprintf(g[i].signer, sizeof g[i].signer, "%s", fp);
    any |= g[i].present;
  }
  for (int i = 0; i < nfiles && rc == 0 && any; i++) {
    const char *who = files[i].path && *files[i].path ? files[i].path : files[i].name;
    fprintf(stderr, "signature: %s: %s%s%.16s\n", who, sig_status(&g[i], t),
            g[i].signer[0] ? " " : "", g[i].signer);
  }
  for (int i = 0; i < nfiles && rc == 0 && o->require_signed; i++)
    if (!g[i].signer[0]) {
      const char *who = files[i].path && *files[i].path ? files[i].path : files[i].name;
      fprintf(stderr, "afscore: %s: %s; --require-signed refuses it\n", who,
              g[i].present ? "its signature does not verify with any trusted key"
                           : "not signed");
      rc = 1;
    }
  sign_trust_free(t);
  if (rc == 0 && out) *out = g;
  else free(g);
  return rc;
}
