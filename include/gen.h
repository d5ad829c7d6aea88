/*
** gen.h: a synthetic Kazakhstan population for demos, tests and benchmarks.
**
** Writes tables `families` (one row per family, id a hashed code) and
** `persons` (one row per member) with every column the shipped methodologies
** read. Seeded and reproducible: the same (families, seed, shuffled) gives the
** same bytes of data.
*/
#ifndef AF_GEN_H
#define AF_GEN_H

#include <stdint.h>
#include "util.h"

typedef struct gen_opts {
  int64_t families;     /* number of family rows */
  uint64_t seed;
  int shuffled;         /* 1: persons stored in random order, not family order */
  int no_index;         /* 1: do not create the index on persons(family_id) */
} gen_opts;

/* Create (or replace) the database at path. */
int gen_population(const char *path, const gen_opts *o, af_err *e);

#endif
