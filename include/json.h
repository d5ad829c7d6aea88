/*
** json.h: a small JSON writer with automatic commas and indentation.
**
** Numbers are written with the fewest digits that read back to the same
** double, so a summary written and parsed again is bit-identical. Text that is
** not valid UTF-8 is written with U+FFFD in place of each bad byte.
*/
#ifndef AF_JSON_H
#define AF_JSON_H

#include <stdint.h>
#include "util.h"

#define JSON_MAXDEPTH 64

typedef struct json {
  strbuf out;
  int depth;
  int count[JSON_MAXDEPTH];   /* items written at each depth */
  int after_key;
  int compact;                /* 1: no newlines or indentation */
} json;

void json_obj(json *j);
void json_obj_end(json *j);
void json_arr(json *j);
void json_arr_end(json *j);
void json_key(json *j, const char *k);
void json_str(json *j, const char *s);
void json_strn(json *j, const char *s, size_t n);
void json_num(json *j, double v);     /* NaN and infinities as null */
void json_int(json *j, int64_t v);
void json_bool(json *j, int v);
void json_null(json *j);
/* A key and its value in one call. */
void json_kv_str(json *j, const char *k, const char *s);
void json_kv_num(json *j, const char *k, double v);
void json_kv_int(json *j, const char *k, int64_t v);
void json_kv_bool(json *j, const char *k, int v);
void json_kv_null(json *j, const char *k);
/* A key and an array with one string per line of text (NULL: empty). */
void json_kv_lines(json *j, const char *k, const char *text);
/* Shortest decimal form of v that reads back as v (also used for text output). */
void json_fmt_double(double v, char out[32]);

/* The number under key in the top-level object of a JSON text (a key of the
** same name inside a nested value does not count); 0 if found. */
int json_find_number(const char *text, const char *key, double *out);

#endif
