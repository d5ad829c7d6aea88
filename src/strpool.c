/*
** strpool.c: interned text values (open-addressing hash of ids into a
** growing array of strings), and strmap, text -> int on a pool.
*/
#include "strpool.h"

#include <assert.h>
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct strpool {
  char **str;
  size_t *len;
  int32_t n, cap;
  int32_t *slot;      /* hash table of ids, -1 empty */
  uint32_t nslot;     /* power of two */
};

static uint32_t hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;   /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

strpool *strpool_new(void) {
  strpool *p = af_calloc(1, sizeof *p);
  p->nslot = 1024;
  p->slot = af_malloc(p->nslot * sizeof *p->slot);
  memset(p->slot, 0xff, p->nslot * sizeof *p->slot);
  return p;
}

void strpool_free(strpool *p) {
  if (!p) return;
  for (int32_t i = 0; i < p->n; i++) free(p->str[i]);
  free(p->str);
  free(p->len);
  free(p->slot);
  free(p);
}

/* The slot of s: its id's, or the empty one where it would go. The table is
** at most half full, so the probe ends. */
static uint32_t lookup(const strpool *p, const char *s, size_t n) {
  assert(p->nslot > 0 && (p->nslot & (p->nslot - 1)) == 0);
  assert((uint32_t)p->n * 2 <= p->nslot);
  uint32_t mask = p->nslot - 1, i = hash(s, n) & mask;
  for (;;) {
    int32_t id = p->slot[i];
    if (id < 0 || (p->len[id] == n && memcmp(p->str[id], s, n) == 0)) return i;
    i = (i + 1) & mask;
  }
}

static void rehash(strpool *p) {
  free(p->slot);
  p->nslot *= 2;
  p->slot = af_malloc(p->nslot * sizeof *p->slot);
  memset(p->slot, 0xff, p->nslot * sizeof *p->slot);
  for (int32_t id = 0; id < p->n; id++)
    p->slot[lookup(p, p->str[id], p->len[id])] = id;
}

int32_t strpool_find(const strpool *p, const char *s, size_t n) {
  return p->slot[lookup(p, s, n)];
}

int32_t strpool_intern(strpool *p, const char *s, size_t n) {
  uint32_t i = lookup(p, s, n);
  if (p->slot[i] >= 0) return p->slot[i];
  if (p->n == p->cap) {
    int c = p->cap;
    af_grow(&p->str, &c, p->n + 1, sizeof *p->str);
    p->len = af_realloc(p->len, (size_t)c * sizeof *p->len);
    p->cap = c;
  }
  assert(p->n < INT32_MAX);
  int32_t id = p->n++;
  p->str[id] = af_strndup(s, n);
  p->len[id] = n;
  p->slot[i] = id;
  if ((uint32_t)p->n * 2 > p->nslot) rehash(p);
  return id;
}

const char *strpool_get(const strpool *p, int32_t id) {
  return (id >= 0 && id < p->n) ? p->str[id] : NULL;
}

size_t strpool_len(const strpool *p, int32_t id) {
  return (id >= 0 && id < p->n) ? p->len[id] : 0;
}

int32_t strpool_count(const strpool *p) { return p->n; }

/* ---- strmap ---- */

int *strmap_slot(strmap *m, const char *s, size_t len, int *fresh) {
  if (!m->pool) m->pool = strpool_new();
  int32_t before = strpool_count(m->pool);
  int32_t id = strpool_intern(m->pool, s, len);
  int created = id == before;
  assert(id >= 0 && id <= before);
  if (created) {
    af_grow(&m->val, &m->cap, id + 1, sizeof *m->val);
    m->val[id] = -1;
  }
  if (fresh) *fresh = created;
  return &m->val[id];
}

int strmap_get(const strmap *m, const char *s, size_t len) {
  int32_t id = m->pool ? strpool_find(m->pool, s, len) : -1;
  return id >= 0 ? m->val[id] : -1;
}

void strmap_free(strmap *m) {
  strpool_free(m->pool);
  free(m->val);
  m->pool = NULL;
  m->val = NULL;
  m->cap = 0;
}
