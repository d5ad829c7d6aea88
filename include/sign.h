/*
** sign.h: Ed25519 signatures (OpenSSL) for methodology files and runs.
**
** A signature is the 64 raw Ed25519 bytes over the exact bytes signed, so a
** detached FILE.lua.sig made here verifies with `openssl pkeyutl -verify
** -rawin` and the reverse. Keys are PEM files: a private key signs, a public
** key (or a directory of them: a trust set) verifies. A key is named by its
** fingerprint, the hex SHA-256 of its DER SubjectPublicKeyInfo.
*/
#ifndef AF_SIGN_H
#define AF_SIGN_H

#include <stddef.h>
#include "util.h"

#define SIGN_BYTES 64

typedef struct sign_key sign_key;

/* A PEM Ed25519 private key; fails naming the file for a missing or
** unreadable file, a file that is no PEM key, or a key of another type. */
int sign_key_load_private(const char *path, sign_key **out, af_err *e);
void sign_key_free(sign_key *k);
/* The key's fingerprint (65 bytes, hex). */
const char *sign_key_fingerprint(const sign_key *k);
/* Sign data; sig receives SIGN_BYTES bytes. */
int sign_bytes(const sign_key *k, const void *data, size_t len, unsigned char *sig, af_err *e);

/* The trusted public keys: one PEM file, or every *.pem file of a directory.
** Each must be an Ed25519 public key (a private key is refused: its public
** half would do, and a private key has no business in a trust set). */
typedef struct sign_trust sign_trust;
int sign_trust_load(const char *path, sign_trust **out, af_err *e);
void sign_trust_free(sign_trust *t);
/* The fingerprint of the trusted key under which sig is a valid signature of
** data, or NULL when none is (tampered data, or signed by an untrusted key). */
const char *sign_trust_verify(const sign_trust *t, const void *data, size_t len,
                              const unsigned char *sig);

/* Read a detached signature file: 1 read (sig filled), 0 no such file, -1
** error (unreadable, or not exactly SIGN_BYTES bytes long). */
int sign_read_sig(const char *path, unsigned char *sig, af_err *e);

#endif
