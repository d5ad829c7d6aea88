/*
** fingerprint.h: the SHA-256 fingerprint of the data a run reads, and the
** order-independent sum of digests it (and the results digest) is built on.
**
** Each unit is hashed on its own: its key and values, then its member rows
** in the order they are stored (tags between rows, text with its SQLite type,
** numbers as the doubles the kernel sees or null, in a compact form: most
** values of a registry are one or two bytes, and SHA-256 is the cost). The unit
** digests (SHA-256) are added as 256-bit numbers modulo 2^256, and the final
** fingerprint is the SHA-256 of a header (tables, keys, columns asked for),
** that sum and the row counts. So:
**  - it does not depend on the order units are read in (key, stored or
**    sorted order, one reader or several over disjoint parts: sums merge);
**  - nor on how the rows were cut into batches;
**  - a number is its value, not its storage: integer 2 and real 2.0 (or text
**    '2') in a number column are the same double, the same fingerprint.
** A modular sum of digests detects any change that is not crafted; it is not
** collision resistant against someone who builds many variants of units to
** make sums meet (a generalised birthday search). Replay re-scores every unit
** and compares every recorded row, which does not rest on the fingerprint.
*/
#ifndef AF_FINGERPRINT_H
#define AF_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

/* A sum of SHA-256 digests, each read as a little-endian 256-bit number,
** modulo 2^256: the same for the same digests added in any order. */
typedef struct fingerprint_sum {
  uint64_t w[4];            /* least significant word first */
} fingerprint_sum;

/* Add the SHA-256 of p[0..n) to s; md is a digest context of the caller's
** (fingerprint_md_new), reused from call to call. */
typedef struct evp_md_ctx_st fingerprint_md;
fingerprint_md *fingerprint_md_new(void);
void fingerprint_md_free(fingerprint_md *md);
void fingerprint_sum_hash(fingerprint_sum *s, fingerprint_md *md, const void *p, size_t n);
/* s += t (mod 2^256). */
void fingerprint_sum_merge(fingerprint_sum *s, const fingerprint_sum *t);
/* The sum as 32 little-endian bytes. */
void fingerprint_sum_bytes(const fingerprint_sum *s, unsigned char out[32]);

typedef struct fingerprint fingerprint;

fingerprint *fingerprint_new(void);
void fingerprint_free(fingerprint *f);
/* Forget the header, every unit and the counts: start again. */
void fingerprint_restart(fingerprint *f);

/* The header: what was read (tables, keys, columns, types), in a fixed order. */
void fingerprint_head(fingerprint *f, char tag, const void *p, size_t n);
void fingerprint_head64(fingerprint *f, char tag, uint64_t x);

/* One unit: begin, feed its bytes, end (adds its digest to the sum). Bytes
** go in raw (put); as a tag and 8 bytes little endian (tag64); as a tag and
** an integer, zigzag LEB128 (int: 0, -1, 1, -2... as 0, 1, 2, 3..., 7 bits a
** byte, least significant first, the high bit set on all bytes but the last);
** as a tag, the length (LEB128) and the bytes (bytes). */
void fingerprint_unit_begin(fingerprint *f);
void fingerprint_put(fingerprint *f, const void *p, size_t n);
void fingerprint_tag64(fingerprint *f, char tag, uint64_t x);
void fingerprint_int(fingerprint *f, char tag, int64_t v);
void fingerprint_bytes(fingerprint *f, char tag, const void *p, size_t n);
/* A number as the kernel sees it, in a number column (no type tag): one
** LEB128 code, 0 for null, 1 followed by the 8 bytes of the double (little
** endian), or for a whole number v with |v| < 2^62, except -0.0, v's zigzag
** code plus 2. So integer 2 and real 2.0 are the same bytes, and a small
** whole number is one byte. */
void fingerprint_number(fingerprint *f, double v, int null);
void fingerprint_unit_end(fingerprint *f);

/* Add another fingerprint's units (read from a disjoint part of the same
** data, with the same header) to f. */
void fingerprint_merge(fingerprint *f, const fingerprint *other);

/* SHA-256 over the header, the sum of the unit digests and the counts, as
** hex (65 bytes with the NUL). */
void fingerprint_final(const fingerprint *f, uint64_t units, uint64_t members,
                       uint64_t orphans, char hex[65]);

#endif
