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
  else af_textf(stdout, "%s: signed by key %s\n", sigpath, sign_key_fingerprint(k));
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

static const char *const SIG_STATE_NAMES[] = {"unsigned", "not_checked", "trusted",
                                              "not_trusted"};

void cli_sig_words(strbuf *b, const cli_sig_file *f) {
  switch (f->state) {
  case CLI_SIG_UNSIGNED:
    sb_puts(b, "unsigned");
    break;
  case CLI_SIG_UNCHECKED:
    sb_puts(b, "signed, not checked (no --trust)");
    if (f->recorded[0]) sb_printf(b, "; the run recorded it as signed by key %s", f->recorded);
    break;
  case CLI_SIG_TRUSTED:
    sb_printf(b, "signed by trusted key %s", f->signer);
    break;
  case CLI_SIG_UNTRUSTED:
    sb_puts(b, "signed, NOT TRUSTED: the signature does not verify with any trusted key "
               "(the file changed after signing, or a key not in --trust signed it)");
    break;
  }
}

/* The name a file is shown under: where it was read from, else its name. */
static const char *sig_who(const model_file *f) {
  return f->path && *f->path ? f->path : f->name;
}

static void sig_list_add(cli_sigs *list, int method, const model_file *f, const store_sig *g,
                         const char *recorded, const sign_trust *t) {
  af_grow(&list->v, &list->cap, list->n + 1, sizeof *list->v);
  cli_sig_file *x = &list->v[list->n++];
  memset(x, 0, sizeof *x);
  x->file = af_strdup(sig_who(f));
  x->sha256 = af_strdup(f->sha256);
  x->method = method;
  x->state = !g->present ? CLI_SIG_UNSIGNED : !t ? CLI_SIG_UNCHECKED
             : g->signer[0] ? CLI_SIG_TRUSTED : CLI_SIG_UNTRUSTED;
  snprintf(x->signer, sizeof x->signer, "%s", g->signer);
  x->from_record = recorded != NULL;
  snprintf(x->recorded, sizeof x->recorded, "%s", recorded ? recorded : "");
}

void cli_sigs_print(FILE *f, const cli_sigs *list) {
  strbuf line = {0};
  for (int i = 0; list && i < list->n; i++) {
    line.len = 0;
    sb_textf(&line, "signature: %s%s: ", list->v[i].file,
              list->v[i].from_record ? " (recorded)" : "");
    cli_sig_words(&line, &list->v[i]);
    sb_putc(&line, '\n');
    af_print_text(f, line.s);
  }
  sb_free(&line);
}

void cli_sigs_json(json *j, const cli_sigs *list) {
  json_key(j, "signatures");
  json_arr(j);
  for (int i = 0; list && i < list->n; i++) {
    const cli_sig_file *x = &list->v[i];
    json_obj(j);
    json_kv_int(j, "methodology", x->method);
    json_kv_str(j, "file", x->file);
    json_kv_str(j, "sha256", x->sha256);
    json_kv_str(j, "status", SIG_STATE_NAMES[x->state]);
    json_kv_str(j, "signer", x->signer[0] ? x->signer : NULL);
    json_kv_bool(j, "recorded", x->from_record);
    if (x->from_record) json_kv_str(j, "recorded_signer", x->recorded[0] ? x->recorded : NULL);
    json_obj_end(j);
  }
  json_arr_end(j);
}

void cli_sigs_free(cli_sigs *list) {
  for (int i = 0; i < list->n; i++) {
    free(list->v[i].file);
    free(list->v[i].sha256);
  }
  free(list->v);
  memset(list, 0, sizeof *list);
}

/* Each file's signature (recorded, or from disk) checked against t: g[i]
** gets the trusted signer or "", and list one entry per file. */
static int sig_evaluate(const model_file *files, int nfiles, const store_sig *recorded,
                        const sign_trust *t, store_sig *g, cli_sigs *list) {
  af_err e = {{0}};
  int method = list->nmethods++;
  for (int i = 0; i < nfiles; i++) {
    if (recorded) g[i] = recorded[i];
    else if (sig_from_disk(&files[i], &g[i], &e) < 0) return cli_fail("%s", e.msg);
    g[i].signer[0] = '\0';
    const char *fp = g[i].present ? sign_trust_verify(t, files[i].text, files[i].len, g[i].bytes)
                                  : NULL;
    if (fp) snprintf(g[i].signer, sizeof g[i].signer, "%s", fp);
    sig_list_add(list, method, &files[i], &g[i], recorded ? recorded[i].signer : NULL, t);
  }
  return 0;
}

int cli_signatures(const cli_opts *o, const model_file *files, int nfiles,
                   const store_sig *recorded, store_sig **out, cli_sigs *list) {
  if (out) *out = NULL;
  if (o->require_signed && !o->trust)
    return cli_usage_error(o, "--require-signed needs --trust KEYS (a public key or a directory "
                              "of them)");
  af_err e = {{0}};
  sign_trust *t = NULL;
  if (o->trust && sign_trust_load(o->trust, &t, &e) < 0) return cli_fail("%s", e.msg);
  cli_sigs own = {0};
  if (!list) list = &own;
  store_sig *g = af_calloc((size_t)(nfiles ? nfiles : 1), sizeof *g);
  int rc = sig_evaluate(files, nfiles, recorded, t, g, list);
  for (int i = 0; i < nfiles && rc == 0 && o->require_signed; i++)
    if (!g[i].signer[0]) {
      af_textf(stderr, "afscore: %s: %s; --require-signed refuses it\n", sig_who(&files[i]),
              g[i].present ? "its signature does not verify with any trusted key"
                           : "not signed");
      rc = 1;
    }
  sign_trust_free(t);
  cli_sigs_free(&own);
  if (rc == 0 && out) *out = g;
  else free(g);
  return rc;
}
