/*
** merge.h: partitions of a run across machines, and their merge.
**
** `score --partition I/N` reads and scores every unit (so that its data
** fingerprint, measure, groups, inference and results digest are exactly the
** whole run's) and records the rows of partition I only: the units whose id
** hashes to I under merge_partition_of. `merge` checks that the partials are
** the N partitions of one run (same methodology files, parameters, data
** fingerprint, engine version and summary, each partition once) and writes
** one run: the rows of all partials, interleaved by their position in the run and
** recorded again, so that every row check and the rows digest are those of
** the run scored on one machine.
*/
#ifndef AF_MERGE_H
#define AF_MERGE_H

#include <stdint.h>
#include "util.h"

/* The split, recorded with each partial: FNV-1a (64 bits) of the bytes of
** the unit id as text (an integer id as its decimal digits), modulo N, plus 1. */
#define MERGE_SPLIT "fnv1a64-mod"
/* The most partitions a run may be split into (and merge reads at once). */
#define MERGE_MAX_PARTS 4096

uint64_t merge_hash(const char *id);
/* The partition (1..nparts) of unit id. */
int64_t merge_partition_of(const char *id, int64_t nparts);
/* "I/N" with 1 <= I <= N <= MERGE_MAX_PARTS into *part, *nparts: 0, or -1
** with e saying what is wrong. */
int merge_parse_partition(const char *text, int64_t *part, int64_t *nparts, af_err *e);

typedef struct merge_result {
  int64_t run_id;           /* of the merged run in the output */
  int64_t units;            /* rows recorded */
  int64_t nparts;
  char *summary_json;       /* the merged run's summary (owned) */
  char *rows_sha256;        /* owned */
} merge_result;

/* Merge the partial runs in paths[0..n) (one per results database, in any
** order) into a new run in the results database out (created; normally a
** fresh file). Each partial's rows are checked as they are read: an edited
** partial is refused, not laundered into a clean merged run. threads 1
** reads and writes on one thread; 0 (the default) or 2 reads the partials
** on a second thread. The merged run is the same either way. */
int merge_partials(const char *const *paths, int n, const char *out, int threads,
                   merge_result *res, af_err *e);
void merge_result_free(merge_result *r);

#endif
