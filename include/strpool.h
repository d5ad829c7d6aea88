/*
** strpool.h: interned text values.
**
** The kernel works on numbers only: every text value (a column's text, a
** string literal in a rule, a category id) is interned once into a pool and
** carried as its integer id, so that text equality is integer equality.
*/
#ifndef AF_STRPOOL_H
#define AF_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct strpool strpool;

strpool *strpool_new(void);
void strpool_free(strpool *p);
/* The id of the text s[0..len), adding it if new. Ids are dense from 0. */
int32_t strpool_intern(strpool *p, const char *s, size_t len);
/* The id of s, or -1 if s was never interned. */
int32_t strpool_find(const strpool *p, const char *s, size_t len);
const char *strpool_get(const strpool *p, int32_t id);
size_t strpool_len(const strpool *p, int32_t id);
int32_t strpool_count(const strpool *p);

/* A map from text to an int, on a pool: how modules index names instead of
** scanning lists. Zero-initialise; strmap_free releases. */
typedef struct strmap {
  strpool *pool;
  int *val;             /* by pool id */
  int cap;
} strmap;

/* The value slot of s[0..len), created as -1 when new (*fresh = 1). */
int *strmap_slot(strmap *m, const char *s, size_t len, int *fresh);
/* The value of s[0..len), or -1 when absent. */
int strmap_get(const strmap *m, const char *s, size_t len);
void strmap_free(strmap *m);

#endif
