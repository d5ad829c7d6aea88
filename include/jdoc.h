/*
** jdoc.h: a small JSON reader. Parses a whole text into a tree that the
** caller walks by key and index; used to read back the summaries recorded
** with each run. Lookups on a missing key or a value of the wrong kind give
** NULL / NaN, so a reader can ask for keys that older runs do not have.
*/
#ifndef AF_JDOC_H
#define AF_JDOC_H

#include "util.h"

typedef enum jdoc_kind { JDOC_NULL, JDOC_BOOL, JDOC_NUM, JDOC_STR, JDOC_ARR, JDOC_OBJ } jdoc_kind;

typedef struct jdoc {
  jdoc_kind kind;
  double num;               /* JDOC_NUM; JDOC_BOOL: 0 or 1 */
  char *str;                /* JDOC_STR, UTF-8, NUL-terminated */
  struct jdoc *items;       /* JDOC_ARR / JDOC_OBJ values */
  char **keys;              /* JDOC_OBJ: keys[i] names items[i] */
  int n;
} jdoc;

/* Parse text (NUL-terminated). On error, e names the byte offset. The tree
** is owned by the caller: jdoc_free. */
int jdoc_parse(const char *text, jdoc **out, af_err *e);
void jdoc_free(jdoc *d);

/* The value under key (first occurrence) of an object, or NULL. */
const jdoc *jdoc_get(const jdoc *o, const char *key);
/* A path of keys separated by '.', e.g. "data.units"; NULL if any is absent. */
const jdoc *jdoc_path(const jdoc *o, const char *path);
/* Item i of an array (or object), or NULL. */
const jdoc *jdoc_at(const jdoc *a, int i);
/* Items of an array or object; 0 for anything else (or NULL). */
int jdoc_len(const jdoc *a);
/* The number of v, NaN when v is not a number. */
double jdoc_num(const jdoc *v);
/* The text of v, NULL when v is not a string. */
const char *jdoc_str(const jdoc *v);

#endif
