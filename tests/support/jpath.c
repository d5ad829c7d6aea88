/*
** jpath.c: a minimal JSON reader that follows one path (see jpath.h).
**
** It does not build a tree: it walks the text, skipping the values that are
** not on the path. Input is afscore's own output, but the reader checks the
** syntax it walks over and fails the test on malformed JSON.
*/
#include "jpath.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failed lookup: the path, why, and the document. */
static void jp_fail(const char *json, const char *path, const char *why) {
  fail_msg("JSON path '%s': %s in:\n%.4000s", path, why, json ? json : "(null)");
}

static const char *jp_ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
  return p;
}

/* Past the string starting at the quote p; NULL if unterminated. */
static const char *jp_skip_str(const char *p) {
  for (p++; *p && *p != '"'; p++)
    if (*p == '\\' && !*++p) return NULL;
  return *p == '"' ? p + 1 : NULL;
}

/* Past the value starting at p (after white space); NULL if malformed. */
static const char *jp_skip(const char *p) {
  p = jp_ws(p);
  if (*p == '"') return jp_skip_str(p);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    p = jp_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
      if (close == '}') {
        if (*p != '"' || !(p = jp_skip_str(p))) return NULL;
        p = jp_ws(p);
        if (*p++ != ':') return NULL;
      }
      if (!(p = jp_skip(p))) return NULL;
      p = jp_ws(p);
      if (*p == close) return p + 1;
      if (*p++ != ',') return NULL;
      p = jp_ws(p);
    }
  }
  const char *q = p;
  while (*q && strchr("+-.0123456789eEtruefalsn", *q)) q++;
  return q > p ? q : NULL;
}

/* Does the JSON string at the quote p equal s[0..n) once unescaped?
** (afscore escapes only " \ and control characters in keys and ids) */
static int jp_str_eq(const char *p, const char *s, size_t n) {
  size_t i = 0;
  for (p++; *p && *p != '"'; p++, i++) {
    char c = *p;
    if (c == '\\') {
      c = *++p;
      c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
    }
    if (i >= n || s[i] != c) return 0;
  }
  return i == n;
}

/* In the object at p, the value of key s[0..n); NULL if absent. */
static const char *jp_member(const char *p, const char *s, size_t n) {
  p = jp_ws(p + 1);
  while (*p == '"') {
    int hit = jp_str_eq(p, s, n);
    p = jp_ws(jp_skip_str(p));
    if (*p != ':') return NULL;
    const char *v = jp_ws(p + 1);
    if (hit) return v;
    if (!(p = jp_skip(v))) return NULL;
    p = jp_ws(p);
    if (*p == ',') p = jp_ws(p + 1);
  }
  return NULL;
}

/* In the array at p, element i, or (key set) the first object element whose
** member key is the string s[0..n), or a number or literal written so. */
static const char *jp_element(const char *p, long i, const char *key, size_t nkey,
                              const char *s, size_t n) {
  p = jp_ws(p + 1);
  for (long k = 0; *p && *p != ']'; k++) {
    if (key) {
      const char *m = *p == '{' ? jp_member(p, key, nkey) : NULL;
      const char *end = m ? jp_skip(m) : NULL;
      if (m && *m == '"' && jp_str_eq(m, s, n)) return p;
      if (end && *m != '"' && (size_t)(end - m) == n && memcmp(m, s, n) == 0) return p;
    } else if (k == i) {
      return p;
    }
    if (!(p = jp_skip(p))) return NULL;
    p = jp_ws(p);
    if (*p == ',') p = jp_ws(p + 1);
  }
  return NULL;
}

/* Follow path through json: the value's first character, or NULL with *why. */
static const char *jp_find(const char *json, const char *path, const char **why) {
  const char *p = jp_ws(json), *s = path;
  *why = "no such value";
  if (*s == '$') s++;   /* the document itself */
  while (*s) {
    if (*s == '[') {
      const char *end = strchr(s, ']');
      if (!end) return *why = "bad path", NULL;
      if (*p != '[') return *why = "not an array on the way", NULL;
      const char *eq = memchr(s, '=', (size_t)(end - s));
      if (eq) p = jp_element(p, 0, s + 1, (size_t)(eq - s - 1), eq + 1, (size_t)(end - eq - 1));
      else p = jp_element(p, strtol(s + 1, NULL, 10), NULL, 0, NULL, 0);
      s = end + 1;
    } else {
      if (*s == '.') s++;
      size_t n = strcspn(s, ".[");
      if (*p != '{') return *why = "not an object on the way", NULL;
      p = jp_member(p, s, n);
      s += n;
    }
    if (!p) return NULL;
    p = jp_ws(p);
  }
  return p;
}

/* The value at the formatted path; fails the test when absent. */
static const char *jp_get(const char *json, char *path, size_t cap, const char *fmt, va_list ap) {
  vsnprintf(path, cap, fmt, ap);
  const char *why;
  const char *v = json ? jp_find(json, path, &why) : (why = "no document", NULL);
  if (!v) jp_fail(json, path, why);
  return v;
}

#define JP_GET(v, json, fmt)                          \
  char path[512];                                     \
  va_list ap;                                         \
  va_start(ap, fmt);                                  \
  const char *v = jp_get(json, path, sizeof path, fmt, ap); \
  va_end(ap)

double jp_num(const char *json, const char *fmt, ...) {
  JP_GET(v, json, fmt);
  char *end;
  double x = strtod(v, &end);
  if (end == v || !(*v == '-' || (*v >= '0' && *v <= '9'))) jp_fail(json, path, "not a number");
  return x;
}

const char *jp_str(const char *json, const char *fmt, ...) {
  static char *ring[8];
  static int next;
  JP_GET(v, json, fmt);
  const char *end = *v == '"' ? jp_skip_str(v) : NULL;
  if (!end) jp_fail(json, path, "not a string");
  char *out = malloc((size_t)(end - v)), *o = out;
  if (!out) jp_fail(json, path, "out of memory");
  for (const char *p = v + 1; p < end - 1; p++) {
    if (*p != '\\') {
      *o++ = *p;
      continue;
    }
    char c = *++p;
    if (c == 'u') {   /* afscore writes \u only for control characters */
      *o++ = (char)strtol((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
      p += 4;
    } else {
      *o++ = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
    }
  }
  *o = '\0';
  free(ring[next]);
  ring[next] = out;
  next = (next + 1) & 7;
  return out;
}

int jp_bool(const char *json, const char *fmt, ...) {
  JP_GET(v, json, fmt);
  if (strncmp(v, "true", 4) == 0) return 1;
  if (strncmp(v, "false", 5) == 0) return 0;
  jp_fail(json, path, "not true or false");
  return -1;
}

int jp_is_null(const char *json, const char *fmt, ...) {
  JP_GET(v, json, fmt);
  return strncmp(v, "null", 4) == 0;
}

int jp_len(const char *json, const char *fmt, ...) {
  JP_GET(v, json, fmt);
  if (*v != '[' && *v != '{') jp_fail(json, path, "not an array or object");
  int n = 0;
  const char *p = jp_ws(v + 1);
  while (*p && *p != ']' && *p != '}') {
    if (*v == '{') {   /* past "key": */
      p = *p == '"' ? jp_skip_str(p) : NULL;
      if (p) p = jp_ws(p);
      if (!p || *p++ != ':') jp_fail(json, path, "malformed JSON");
    }
    if (!(p = jp_skip(p))) jp_fail(json, path, "malformed JSON");
    n++;
    p = jp_ws(p);
    if (*p == ',') p = jp_ws(p + 1);
  }
  return n;
}

int jp_exists(const char *json, const char *fmt, ...) {
  char path[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof path, fmt, ap);
  va_end(ap);
  const char *why;
  return json && jp_find(json, path, &why) != NULL;
}

const char *jp_at(const char *json, const char *fmt, ...) {
  JP_GET(v, json, fmt);
  return v;
}
