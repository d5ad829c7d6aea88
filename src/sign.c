/*
** sign.c: Ed25519 keys, signatures and trust sets over OpenSSL's EVP API.
**
** Ed25519 signs the message itself (no digest first), so EVP_DigestSign and
** EVP_DigestVerify are used one-shot with a NULL digest: the same operation
** as `openssl pkeyutl -rawin`.
*/
#include "sign.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

struct sign_key {
  EVP_PKEY *pkey;
  char fp[65];
};

struct sign_trust {
  sign_key **keys;
  int n, cap;
};

/* Hex SHA-256 of the key's DER SubjectPublicKeyInfo. */
static int sign_fingerprint(EVP_PKEY *pkey, char out[65]) {
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(pkey, &der);
  if (n <= 0) return -1;
  af_sha256_hex(der, (size_t)n, out);
  OPENSSL_free(der);
  return 0;
}

/* Open path for reading a key, with the reason when it cannot be. */
static FILE *sign_open_pem(const char *path, af_err *e) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    af_fail(e, "%s: cannot read key: %s", path, strerror(errno));
    return NULL;
  }
  if (!S_ISREG(sb.st_mode)) {
    af_fail(e, "%s: cannot read key: not a regular file", path);
    return NULL;
  }
  FILE *f = fopen(path, "rb");
  if (!f) af_fail(e, "%s: cannot read key: %s", path, strerror(errno));
  return f;
}

static sign_key *sign_wrap(EVP_PKEY *pkey, const char *path, const char *kind, af_err *e) {
  ERR_clear_error();
  if (!pkey) {
    af_fail(e, "%s: not a PEM %s key", path, kind);
    return NULL;
  }
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    af_fail(e, "%s: the key is of type %s; an Ed25519 key is needed", path,
            OBJ_nid2sn(EVP_PKEY_get_id(pkey)));
    EVP_PKEY_free(pkey);
    return NULL;
  }
  sign_key *k = af_calloc(1, sizeof *k);
  k->pkey = pkey;
  if (sign_fingerprint(pkey, k->fp) < 0) {
    af_fail(e, "%s: the public key cannot be encoded", path);
    sign_key_free(k);
    return NULL;
  }
  return k;
}

int sign_key_load_private(const char *path, sign_key **out, af_err *e) {
  *out = NULL;
  FILE *f = sign_open_pem(path, e);
  if (!f) return -1;
  EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  *out = sign_wrap(pkey, path, "private", e);
  return *out ? 0 : -1;
}

static int sign_key_load_public(const char *path, sign_key **out, af_err *e) {
  *out = NULL;
  FILE *f = sign_open_pem(path, e);
  if (!f) return -1;
  EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
  fclose(f);
  *out = sign_wrap(pkey, path, "public", e);
  return *out ? 0 : -1;
}

void sign_key_free(sign_key *k) {
  if (!k) return;
  EVP_PKEY_free(k->pkey);
  free(k);
}

const char *sign_key_fingerprint(const sign_key *k) { return k->fp; }

int sign_bytes(const sign_key *k, const void *data, size_t len, unsigned char *sig, af_err *e) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t siglen = SIGN_BYTES;
  int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
           EVP_DigestSign(ctx, sig, &siglen, data, len) == 1 && siglen == SIGN_BYTES;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok ? 0 : af_fail(e, "signing failed");
}

static int sign_check(const sign_key *k, const void *data, size_t len, const unsigned char *sig) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
           EVP_DigestVerify(ctx, sig, SIGN_BYTES, data, len) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

/* ---- trust sets ---- */

static void sign_trust_add(sign_trust *t, sign_key *k) {
  af_grow(&t->keys, &t->cap, t->n + 1, sizeof *t->keys);
  t->keys[t->n++] = k;
}

static int sign_is_pem_name(const char *name) {
  size_t n = strlen(name);
  return n > 4 && strcmp(name + n - 4, ".pem") == 0;
}

/* Every *.pem of dir, in name order so that messages are stable. */
static int sign_trust_dir(sign_trust *t, const char *dir, af_err *e) {
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0) return af_fail(e, "%s: cannot read the trusted keys: %s", dir, strerror(errno));
  int rc = 0;
  for (int i = 0; i < n; i++) {
    if (rc == 0 && sign_is_pem_name(names[i]->d_name)) {
      char *p = af_sprintf("%s/%s", dir, names[i]->d_name);
      sign_key *k;
      if (sign_key_load_public(p, &k, e) < 0) rc = -1;
      else sign_trust_add(t, k);
      free(p);
    }
    free(names[i]);
  }
  free(names);
  if (rc == 0 && t->n == 0) return af_fail(e, "%s: no public key (*.pem) in the directory", dir);
  return rc;
}

int sign_trust_load(const char *path, sign_trust **out, af_err *e) {
  *out = NULL;
  sign_trust *t = af_calloc(1, sizeof *t);
  struct stat sb;
  int rc;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    rc = sign_trust_dir(t, path, e);
  } else {
    sign_key *k;
    rc = sign_key_load_public(path, &k, e);
    if (rc == 0) sign_trust_add(t, k);
  }
  if (rc < 0) {
    sign_trust_free(t);
    return -1;
  }
  *out = t;
  return 0;
}

void sign_trust_free(sign_trust *t) {
  if (!t) return;
  for (int i = 0; i < t->n; i++) sign_key_free(t->keys[i]);
  free(t->keys);
  free(t);
}

const char *sign_trust_verify(const sign_trust *t, const void *data, size_t len,
                              const unsigned char *sig) {
  for (int i = 0; t && i < t->n; i++)
    if (sign_check(t->keys[i], data, len, sig)) return t->keys[i]->fp;
  return NULL;
}

/* ---- signature files ---- */

int sign_read_sig(const char *path, unsigned char *sig, af_err *e) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (errno == ENOENT) return 0;
    return af_fail(e, "%s: cannot read the signature: %s", path, strerror(errno));
  }
  if (!S_ISREG(sb.st_mode)) return af_fail(e, "%s: the signature is not a regular file", path);
  if (sb.st_size != SIGN_BYTES)
    return af_fail(e, "%s: a signature is %d bytes, this file has %lld", path, SIGN_BYTES,
                   (long long)sb.st_size);
  FILE *f = fopen(path, "rb");
  if (!f) return af_fail(e, "%s: cannot read the signature: %s", path, strerror(errno));
  size_t got = fread(sig, 1, SIGN_BYTES, f);
  fclose(f);
  if (got != SIGN_BYTES) return af_fail(e, "%s: cannot read the signature", path);
  return 1;
}
