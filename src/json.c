/*
** json.c: the JSON writer (see json.h).
*/
#include "json.h"

#include <assert.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void newline(json *j) {
  if (j->compact) return;
  sb_putc(&j->out, '\n');
  for (int i = 0; i < j->depth; i++) sb_puts(&j->out, "  ");
}

/* Separator and indentation before a value or key. */
static void item(json *j) {
  if (j->after_key) {
    j->after_key = 0;
    return;
  }
  if (j->depth > 0) {
    if (j->count[j->depth]++ > 0) sb_putc(&j->out, ',');
    newline(j);
  }
}

static void open(json *j, char c) {
  /* afscore's own documents nest a handful of levels: deeper is a bug */
  assert(j->depth >= 0 && j->depth < JSON_MAXDEPTH - 1);
  item(j);
  sb_putc(&j->out, c);
  j->depth++;
  j->count[j->depth] = 0;
}

static void close_(json *j, char c) {
  assert(j->depth > 0 && !j->after_key);   /* an open container, no key waiting */
  int had = j->count[j->depth] > 0;
  j->depth--;
  if (had) newline(j);
  sb_putc(&j->out, c);
}

void json_obj(json *j) { open(j, '{'); }
void json_obj_end(json *j) { close_(j, '}'); }
void json_arr(json *j) { open(j, '['); }
void json_arr_end(json *j) { close_(j, ']'); }

void json_key(json *j, const char *k) {
  assert(j->depth > 0 && !j->after_key);
  item(j);
  json_strn(j, k, strlen(k));
  sb_puts(&j->out, j->compact ? ":" : ": ");
  j->after_key = 1;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static int utf8_len(const unsigned char *s, size_t n) {
  int len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
          : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || (size_t)len > n) return 0;
  for (int i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  if (len == 2 && s[0] < 0xC2) return 0;                      /* overlong */
  if (len == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0;
  if (len == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0;     /* surrogates */
  if (len == 4 && (s[0] == 0xF0 ? s[1] < 0x90 : s[0] > 0xF4 || (s[0] == 0xF4 && s[1] >= 0x90)))
    return 0;
  return len;
}

void json_strn(json *j, const char *str, size_t n) {
  strbuf *b = &j->out;
  sb_putc(b, '"');
  const unsigned char *s = (const unsigned char *)str;
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      sb_putc(b, '\\');
      sb_putc(b, (char)c);
      i++;
    } else if (c < 0x20) {
      const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
      if (esc) sb_puts(b, esc);
      else sb_printf(b, "\\u%04x", c);
      i++;
    } else {
      int len = utf8_len(s + i, n - i);
      if (len == 0) {
        sb_puts(b, "\xEF\xBF\xBD");
        i++;
      } else {
        sb_putn(b, (const char *)s + i, (size_t)len);
        i += (size_t)len;
      }
    }
  }
  sb_putc(b, '"');
}

void json_str(json *j, const char *s) {
  if (!s) {
    json_null(j);
    return;
  }
  item(j);
  json_strn(j, s, strlen(s));
}

void json_fmt_double(double v, char out[32]) {
  if (v == 0) {
    strcpy(out, "0");
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(out, 32, "%.*g", prec, v);
    if (strtod(out, NULL) == v) return;
  }
}

void json_num(json *j, double v) {
  item(j);
  if (!isfinite(v)) {
    sb_puts(&j->out, "null");
    return;
  }
  char buf[32];
  json_fmt_double(v, buf);
  sb_puts(&j->out, buf);
}

void json_int(json *j, int64_t v) {
  item(j);
  sb_printf(&j->out, "%lld", (long long)v);
}

void json_bool(json *j, int v) {
  item(j);
  sb_puts(&j->out, v ? "true" : "false");
}

void json_null(json *j) {
  item(j);
  sb_puts(&j->out, "null");
}

void json_kv_lines(json *j, const char *k, const char *text) {
  json_key(j, k);
  json_arr(j);
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    item(j);
    json_strn(j, p, n);
    p += n + (nl != NULL);
  }
  json_arr_end(j);
}

void json_kv_str(json *j, const char *k, const char *s) { json_key(j, k), json_str(j, s); }
void json_kv_num(json *j, const char *k, double v) { json_key(j, k), json_num(j, v); }
void json_kv_int(json *j, const char *k, int64_t v) { json_key(j, k), json_int(j, v); }
void json_kv_bool(json *j, const char *k, int v) { json_key(j, k), json_bool(j, v); }
void json_kv_null(json *j, const char *k) { json_key(j, k), json_null(j); }

int json_find_number(const char *text, const char *key, double *out) {
  if (!text) return -1;
  size_t n = strlen(key);
  int depth = 0;
  for (const char *p = text; *p; p++) {
    if (*p == '{' || *p == '[') depth++;
    else if (*p == '}' || *p == ']') depth--;
    if (*p != '"') continue;
    /* a string: a key of the top-level object when ':' follows at depth 1 */
    const char *q = p + 1;
    while (*q && *q != '"') q += q[0] == '\\' && q[1] ? 2 : 1;
    if (!*q) return -1;
    int hit = depth == 1 && (size_t)(q - p - 1) == n && strncmp(p + 1, key, n) == 0;
    p = q;
    while (q[1] == ' ') q++;
    if (!hit || q[1] != ':') continue;
    q += 2;
    char *end;
    double v = strtod(q, &end);
    if (end == q) return -1;
    *out = v;
    return 0;
  }
  return -1;
}
