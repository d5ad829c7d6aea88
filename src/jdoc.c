/*
** jdoc.c: recursive-descent JSON parser (RFC 8259) into a jdoc tree.
** Depth is bounded (JDOC_MAXDEPTH) so a hostile text cannot exhaust the stack.
*/
#include "jdoc.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JDOC_MAXDEPTH 128

typedef struct jdoc_parser {
  const char *s, *p;
  int depth;
  af_err *e;
} jdoc_parser;

static int jdoc_value(jdoc_parser *ps, jdoc *v);

static int jdoc_err(jdoc_parser *ps, const char *what) {
  return af_fail(ps->e, "JSON: %s at byte %ld", what, (long)(ps->p - ps->s));
}

static void jdoc_ws(jdoc_parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static int jdoc_hex4(jdoc_parser *ps, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = ps->p[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return jdoc_err(ps, "bad \\u escape");
    v = v * 16 + (unsigned)d;
  }
  ps->p += 4;
  *out = v;
  return 0;
}

static void jdoc_utf8(strbuf *b, unsigned cp) {
  if (cp < 0x80) {
    sb_putc(b, (char)cp);
  } else if (cp < 0x800) {
    sb_putc(b, (char)(0xC0 | cp >> 6));
    sb_putc(b, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    sb_putc(b, (char)(0xE0 | cp >> 12));
    sb_putc(b, (char)(0x80 | (cp >> 6 & 0x3F)));
    sb_putc(b, (char)(0x80 | (cp & 0x3F)));
  } else {
    sb_putc(b, (char)(0xF0 | cp >> 18));
    sb_putc(b, (char)(0x80 | (cp >> 12 & 0x3F)));
    sb_putc(b, (char)(0x80 | (cp >> 6 & 0x3F)));
    sb_putc(b, (char)(0x80 | (cp & 0x3F)));
  }
}

/* \uXXXX, with a surrogate pair read as one code point. */
static int jdoc_unicode(jdoc_parser *ps, strbuf *b) {
  unsigned cp, lo;
  if (jdoc_hex4(ps, &cp) < 0) return -1;
  if (cp >= 0xD800 && cp < 0xDC00) {
    if (ps->p[0] != '\\' || ps->p[1] != 'u') return jdoc_err(ps, "lone surrogate");
    ps->p += 2;
    if (jdoc_hex4(ps, &lo) < 0) return -1;
    if (lo < 0xDC00 || lo > 0xDFFF) return jdoc_err(ps, "bad surrogate pair");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
  } else if (cp >= 0xDC00 && cp < 0xE000) {
    return jdoc_err(ps, "lone surrogate");
  }
  jdoc_utf8(b, cp);
  return 0;
}

static int jdoc_string(jdoc_parser *ps, char **out) {
  assert(*ps->p == '"');
  ps->p++;
  strbuf b = {0};
  sb_puts(&b, "");
  for (;;) {
    unsigned char c = (unsigned char)*ps->p;
    if (c == '"') break;
    if (c == 0 || c < 0x20) {
      sb_free(&b);
      return jdoc_err(ps, c ? "control character in string" : "unterminated string");
    }
    ps->p++;
    if (c != '\\') {
      sb_putc(&b, (char)c);
      continue;
    }
    char x = *ps->p++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *k = x ? strchr(from, x) : NULL;
    if (k) {
      sb_putc(&b, to[k - from]);
    } else if (x != 'u' || jdoc_unicode(ps, &b) < 0) {
      sb_free(&b);
      return x == 'u' ? -1 : jdoc_err(ps, "bad escape");
    }
  }
  ps->p++;
  *out = sb_take(&b);
  return 0;
}

static int jdoc_number(jdoc_parser *ps, jdoc *v) {
  const char *q = ps->p;
  if (*q == '-') q++;
  if (!(*q >= '0' && *q <= '9')) return jdoc_err(ps, "unexpected character");
  char *end;
  v->kind = JDOC_NUM;
  v->num = strtod(ps->p, &end);
  ps->p = end;
  return 0;
}

/* Items of an array or object, up to the closing bracket. */
static int jdoc_items(jdoc_parser *ps, jdoc *v, int obj) {
  int cap = 0, kcap = 0;
  char close = obj ? '}' : ']';
  ps->p++;
  jdoc_ws(ps);
  if (*ps->p == close) {
    ps->p++;
    return 0;
  }
  for (;;) {
    jdoc_ws(ps);
    char *key = NULL;
    if (obj) {
      if (*ps->p != '"') return jdoc_err(ps, "expected a key");
      if (jdoc_string(ps, &key) < 0) return -1;
      af_grow(&v->keys, &kcap, v->n + 1, sizeof *v->keys);
      v->keys[v->n] = key;
      jdoc_ws(ps);
      if (*ps->p++ != ':') return jdoc_err(ps, "expected ':'");
    }
    af_grow(&v->items, &cap, v->n + 1, sizeof *v->items);
    memset(&v->items[v->n], 0, sizeof *v->items);
    v->n++;
    if (jdoc_value(ps, &v->items[v->n - 1]) < 0) return -1;
    jdoc_ws(ps);
    if (*ps->p == ',') {
      ps->p++;
      continue;
    }
    if (*ps->p == close) {
      ps->p++;
      return 0;
    }
    return jdoc_err(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int jdoc_word(jdoc_parser *ps, const char *w, jdoc *v, jdoc_kind kind, double num) {
  size_t n = strlen(w);
  if (strncmp(ps->p, w, n) != 0) return jdoc_err(ps, "unexpected character");
  ps->p += n;
  v->kind = kind;
  v->num = num;
  return 0;
}

static int jdoc_value(jdoc_parser *ps, jdoc *v) {
  jdoc_ws(ps);
  switch (*ps->p) {
    case '{':
    case '[': {
      if (++ps->depth > JDOC_MAXDEPTH) return jdoc_err(ps, "nested too deeply");
      int obj = *ps->p == '{';
      v->kind = obj ? JDOC_OBJ : JDOC_ARR;
      int rc = jdoc_items(ps, v, obj);
      ps->depth--;
      return rc;
    }
    case '"':
      v->kind = JDOC_STR;
      return jdoc_string(ps, &v->str);
    case 't': return jdoc_word(ps, "true", v, JDOC_BOOL, 1);
    case 'f': return jdoc_word(ps, "false", v, JDOC_BOOL, 0);
    case 'n': return jdoc_word(ps, "null", v, JDOC_NULL, 0);
    case '\0': return jdoc_err(ps, "unexpected end");
    default: return jdoc_number(ps, v);
  }
}

static void jdoc_clear(jdoc *v) {
  for (int i = 0; i < v->n; i++) {
    jdoc_clear(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->str);
}

int jdoc_parse(const char *text, jdoc **out, af_err *e) {
  jdoc_parser ps = {text, text, 0, e};
  jdoc *d = af_calloc(1, sizeof *d);
  *out = NULL;
  if (!text) {
    free(d);
    return af_fail(e, "JSON: no text");
  }
  if (jdoc_value(&ps, d) == 0) {
    jdoc_ws(&ps);
    if (*ps.p == '\0') {
      *out = d;
      return 0;
    }
    jdoc_err(&ps, "text after the value");
  }
  jdoc_free(d);
  return -1;
}

void jdoc_free(jdoc *d) {
  if (!d) return;
  jdoc_clear(d);
  free(d);
}

const jdoc *jdoc_get(const jdoc *o, const char *key) {
  if (!o || o->kind != JDOC_OBJ) return NULL;
  for (int i = 0; i < o->n; i++)
    if (strcmp(o->keys[i], key) == 0) return &o->items[i];
  return NULL;
}

const jdoc *jdoc_path(const jdoc *o, const char *path) {
  char key[256];
  while (o && *path) {
    size_t n = strcspn(path, ".");
    if (n >= sizeof key) return NULL;
    memcpy(key, path, n);
    key[n] = '\0';
    o = jdoc_get(o, key);
    path += n + (path[n] == '.');
  }
  return o;
}

const jdoc *jdoc_at(const jdoc *a, int i) {
  if (!a || (a->kind != JDOC_ARR && a->kind != JDOC_OBJ) || i < 0 || i >= a->n) return NULL;
  return &a->items[i];
}

int jdoc_len(const jdoc *a) {
  return a && (a->kind == JDOC_ARR || a->kind == JDOC_OBJ) ? a->n : 0;
}

double jdoc_num(const jdoc *v) { return v && v->kind == JDOC_NUM ? v->num : NAN; }

const char *jdoc_str(const jdoc *v) { return v && v->kind == JDOC_STR ? v->str : NULL; }
