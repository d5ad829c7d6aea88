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

#endif
