/*
** gen.h: a synthetic Kazakhstan population for demos, tests and benchmarks.
**
** Writes tables `families` (one row per family, id a hashed code) and
** `persons` (one row per member) with every column the shipped methodologies
** read. Seeded and reproducible: the same (families, seed, layout) gives the
** same bytes of data, and every layout holds the same rows.
*/
#ifndef AF_GEN_H
#define AF_GEN_H

#include <stdint.h>
#include "util.h"

/* How the rows are stored (docs/data.md):
**  GEN_KEY       families in key (family_id) order, each family's persons after it;
**  GEN_REGISTRY  families in registration order (family number), which is not key
**                order since ids are hashed codes; persons grouped by family in the
**                families' stored order, as a registry export stores them;
**  GEN_SHUFFLED  families in key order, persons in a uniformly random order. */
typedef enum { GEN_KEY, GEN_REGISTRY, GEN_SHUFFLED } gen_layout;

/* The layout named s ("key", "registry", "shuffled") in *out: 0, or -1. */
int gen_layout_parse(const char *s, gen_layout *out);

typedef struct gen_opts {
  int64_t families;     /* number of family rows */
  uint64_t seed;
  gen_layout layout;
  int no_index;         /* 1: do not create the index on persons(family_id) */
} gen_opts;

/* Create (or replace) the database at path. */
int gen_population(const char *path, const gen_opts *o, af_err *e);

#endif
