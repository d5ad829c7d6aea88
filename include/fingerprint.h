/*
** fingerprint.h: the SHA-256 fingerprint of the data a run reads.
**
** One stream hashes the structure: tables, keys and columns asked for, every
** key and text value with its SQLite type, tags between rows. Numbers are
** hashed apart, column by column, as the doubles the kernel sees (values and
** null flags, two streams per column), and so are the member counts of
** units; the final fingerprint folds these streams into the first. So:
**  - it does not depend on how the rows were cut into batches: a column fed
**    in one call or in many gives the same fingerprint;
**  - a number is its value, not its storage: integer 2 and real 2.0 (or text
**    '2') in a number column are the same double, the same fingerprint;
**  - number streams may be fed on another thread than the structure stream.
*/
#ifndef AF_FINGERPRINT_H
#define AF_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fingerprint fingerprint;

/* A fingerprint over ncols number columns (>= 0), all streams started. */
fingerprint *fingerprint_new(int ncols);
void fingerprint_free(fingerprint *f);
/* Start the structure stream again / the number streams again. */
void fingerprint_restart(fingerprint *f);
void fingerprint_restart_numbers(fingerprint *f);

/* The structure stream: raw bytes; a tag and a 64-bit value (little
** endian); a tag, a length and bytes. */
void fingerprint_put(fingerprint *f, const void *p, size_t n);
void fingerprint_tag64(fingerprint *f, char tag, uint64_t x);
void fingerprint_bytes(fingerprint *f, char tag, const void *p, size_t n);

/* n more values of number column c (0 <= c < ncols) and their null flags. */
void fingerprint_column(fingerprint *f, int c, const double *v, const unsigned char *null,
                        int n);
/* The member counts of nunits more units: start[u + 1] - start[u]. */
void fingerprint_counts(fingerprint *f, const int *start, int nunits);

/* Fold the number streams into the structure stream and give the hex
** SHA-256 (65 bytes with the NUL). The fingerprint is then spent. */
void fingerprint_final(fingerprint *f, char hex[65]);

#endif
