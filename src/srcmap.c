/*
** srcmap.c: a small Lua 5.4 lexer and a shadow of the table constructors of
** a methodology source, so that validation messages can name lines.
**
** The lexer knows just enough Lua to never be fooled by strings, long
** brackets, comments and numbers; the constructor parser only needs to split
** `{ ... }` into entries, skipping over any expression (including function
** bodies, whose commas must not end an entry). It is deliberately forgiving:
** the source has already been accepted by Lua when this runs, and on anything
** unexpected it gives up on that part (no node, line 0) rather than guess.
*/
#include "srcmap.h"

#include <assert.h>
#include "strpool.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum { T_EOF, T_NAME, T_STRING, T_NUMBER, T_PUNCT };

typedef struct token {
  int type;
  int line;
  const char *s; /* name / punctuation text, or a string's raw content */
  size_t len;
} token;

typedef struct entry {
  char *key;     /* NULL: positional item, or a key that is not a literal */
  int pos;       /* 1-based index for positional items, else 0 */
  int key_line, val_line;
  int child;     /* constructor written as the value, or -1 */
  char *ref;     /* value written as a single name (resolved lazily) */
  int ref_tok;   /* token index of that name */
  char *str;     /* value written as a single literal string */
} entry;

typedef struct snode {
  int line;
  entry *v;
  int n, cap;
} snode;

typedef struct assign {
  char *name;
  int nd, tok;
} assign;

/* What `x =` assignments of one name the text holds (for srcmap_assign_*). */
typedef struct assign_stat {
  int count, first;               /* any `key =` */
  int dcount, dfirst;             /* `x.key =` */
} assign_stat;

/* Indexes built once after parsing, so that every query is a hash lookup
** instead of a scan: validation asks a few questions per definition, and
** scans made it quadratic in the size of the file. */
typedef struct srcmap_index {
  strmap fields;                  /* (node, key) and (node, position) -> entry */
  strmap ids;                     /* literal id -> first constructor with it */
  strmap names;                   /* assigned name -> index in stats */
  assign_stat *stats;
  int nstats, capstats;
  strmap anames;                  /* `name = {` name -> its group in as_start */
  int *as_start;                  /* by group: start in as_order, n+1 items */
  int *as_order;                  /* assign indexes grouped by name, in text order */
} srcmap_index;

struct srcmap {
  token *toks;
  int ntoks, tcap;
  snode *nodes;
  int nnodes, ncap;
  assign *as;
  int nas, acap;
  int top;
  int top_tok;                    /* `return name`: the name's token, else -1 */
  srcmap_index ix;
};

/* Constructors nested deeper than this are skipped, not mapped: a guard for
** the C stack against hostile text (Lua itself refuses ~200 levels). */
#define MAX_DEPTH 150

/* ---------------------------------------------------------------- lexer */

typedef struct lexer {
  const char *p, *end;
  int line;
} lexer;

static int is_name_start(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_name_char(int c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/* Consume one newline sequence (\n, \r, \r\n or \n\r count once, as in Lua). */
static void lx_newline(lexer *x) {
  char c = *x->p++;
  if (x->p < x->end && (*x->p == '\n' || *x->p == '\r') && *x->p != c) x->p++;
  x->line++;
}

/* At '[': the level of a long bracket `[==[`, or -1 if this is not one. */
static int long_bracket_level(const lexer *x) {
  const char *q = x->p + 1;
  int level = 0;
  while (q < x->end && *q == '=') q++, level++;
  return (q < x->end && *q == '[') ? level : -1;
}

/* Skip a long bracket of the given level starting at '['; returns the
** content start, sets *clen. Unterminated: runs to the end. */
static const char *lx_long(lexer *x, int level, size_t *clen) {
  x->p += level + 2;
  if (x->p < x->end && (*x->p == '\n' || *x->p == '\r')) lx_newline(x);
  const char *start = x->p;
  while (x->p < x->end) {
    if (*x->p == ']') {
      const char *q = x->p + 1;
      int l = 0;
      while (q < x->end && *q == '=') q++, l++;
      if (l == level && q < x->end && *q == ']') {
        *clen = (size_t)(x->p - start);
        x->p = q + 1;
        return start;
      }
      x->p++;
    } else if (*x->p == '\n' || *x->p == '\r') {
      lx_newline(x);
    } else {
      x->p++;
    }
  }
  *clen = (size_t)(x->p - start);
  return start;
}

static void lx_short_string(lexer *x, token *t) {
  char q = *x->p++;
  t->s = x->p;
  while (x->p < x->end && *x->p != q) {
    if (*x->p == '\n' || *x->p == '\r') break; /* unterminated: stop here */
    if (*x->p == '\\' && x->p + 1 < x->end) {
      x->p++;
      if (*x->p == '\n' || *x->p == '\r') {
        lx_newline(x);
      } else if (*x->p == 'z') {
        x->p++;
        while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' ||
                                 *x->p == '\r' || *x->p == '\f' || *x->p == '\v')) {
          if (*x->p == '\n' || *x->p == '\r') lx_newline(x);
          else x->p++;
        }
      } else {
        x->p++;
      }
      continue;
    }
    x->p++;
  }
  t->len = (size_t)(x->p - t->s);
  if (x->p < x->end && *x->p == q) x->p++;
}

static void lx_number(lexer *x) {
  while (x->p < x->end) {
    char c = *x->p;
    if ((c == '+' || c == '-') && strchr("eEpP", x->p[-1])) x->p++;
    else if (is_name_char((unsigned char)c) || c == '.') x->p++;
    else break;
  }
}

static const char *const puncts3[] = {"..."};
static const char *const puncts2[] = {"..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>"};

static void lx_punct(lexer *x, token *t) {
  t->type = T_PUNCT;
  t->s = x->p;
  size_t left = (size_t)(x->end - x->p);
  if (left >= 3 && memcmp(x->p, puncts3[0], 3) == 0) {
    t->len = 3;
  } else {
    t->len = 1;
    for (size_t i = 0; left >= 2 && i < sizeof puncts2 / sizeof *puncts2; i++)
      if (memcmp(x->p, puncts2[i], 2) == 0) t->len = 2;
  }
  x->p += t->len;
}

/* Skip blanks and comments; returns 0 at end of text. */
static int lx_skip(lexer *x) {
  while (x->p < x->end) {
    char c = *x->p;
    if (c == '\n' || c == '\r') {
      lx_newline(x);
    } else if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
      x->p++;
    } else if (c == '-' && x->p + 1 < x->end && x->p[1] == '-') {
      x->p += 2;
      int level = (x->p < x->end && *x->p == '[') ? long_bracket_level(x) : -1;
      if (level >= 0) {
        size_t n;
        lx_long(x, level, &n);
      } else {
        while (x->p < x->end && *x->p != '\n' && *x->p != '\r') x->p++;
      }
    } else {
      return 1;
    }
  }
  return 0;
}

static void push_token(srcmap *m, token t) {
  af_grow(&m->toks, &m->tcap, m->ntoks + 1, sizeof *m->toks);
  m->toks[m->ntoks++] = t;
}

static void lex_all(srcmap *m, const char *text, size_t len) {
  lexer x = {text, text + len, 1};
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) x.p += 3; /* a UTF-8 byte-order mark */
  /* A first line starting with '#' is skipped by Lua (shebang). */
  if (x.p < x.end && *x.p == '#')
    while (x.p < x.end && *x.p != '\n' && *x.p != '\r') x.p++;
  while (lx_skip(&x)) {
    token t = {T_PUNCT, x.line, x.p, 1};
    unsigned char c = (unsigned char)*x.p;
    if (is_name_start(c)) {
      t.type = T_NAME;
      while (x.p < x.end && is_name_char((unsigned char)*x.p)) x.p++;
      t.len = (size_t)(x.p - t.s);
    } else if ((c >= '0' && c <= '9') ||
               (c == '.' && x.p + 1 < x.end && x.p[1] >= '0' && x.p[1] <= '9')) {
      t.type = T_NUMBER;
      x.p++;
      lx_number(&x);
      t.len = (size_t)(x.p - t.s);
    } else if (c == '"' || c == '\'') {
      t.type = T_STRING;
      lx_short_string(&x, &t);
    } else if (c == '[' && long_bracket_level(&x) >= 0) {
      t.type = T_STRING;
      t.s = lx_long(&x, long_bracket_level(&x), &t.len);
    } else {
      lx_punct(&x, &t);
    }
    push_token(m, t);
  }
  token eof = {T_EOF, x.line, x.end, 0};
  push_token(m, eof);
}

/* ------------------------------------------------------ token predicates */

static int tok_is(const token *t, int type, const char *s) {
  size_t n = strlen(s);
  return t->type == type && t->len == n && memcmp(t->s, s, n) == 0;
}
static int is_p(const token *t, const char *s) { return tok_is(t, T_PUNCT, s); }
static int is_kw(const token *t, const char *s) { return tok_is(t, T_NAME, s); }

/* +1 for a keyword that opens a block, -1 for one that closes it, else 0.
** `while`/`for` open through their `do`. */
static int block_delta(const token *t) {
  if (t->type != T_NAME) return 0;
  if (is_kw(t, "function") || is_kw(t, "if") || is_kw(t, "do") || is_kw(t, "repeat"))
    return 1;
  if (is_kw(t, "end") || is_kw(t, "until")) return -1;
  return 0;
}

static int is_sep(const token *t) { return is_p(t, ",") || is_p(t, ";") || is_p(t, "}"); }

/* ---------------------------------------------------- constructor parser */

static int parse_node(srcmap *m, int *ip, int depth);
static int resolve_ref(const srcmap *m, const entry *e);

static int new_node(srcmap *m, int line) {
  af_grow(&m->nodes, &m->ncap, m->nnodes + 1, sizeof *m->nodes);
  snode *n = &m->nodes[m->nnodes];
  memset(n, 0, sizeof *n);
  n->line = line;
  return m->nnodes++;
}

static void add_entry(srcmap *m, int ni, const entry *e) {
  snode *n = &m->nodes[ni];
  af_grow(&n->v, &n->cap, n->n + 1, sizeof *n->v);
  n->v[n->n++] = *e;
}

/* Skip a constructor too deep to map, brace by brace. */
static void skip_braces(srcmap *m, int *ip) {
  int depth = 0;
  for (; m->toks[*ip].type != T_EOF; (*ip)++) {
    if (is_p(&m->toks[*ip], "{")) depth++;
    else if (is_p(&m->toks[*ip], "}") && --depth == 0) {
      (*ip)++;
      return;
    }
  }
}

/* Skip one expression inside a constructor, up to (not past) the `,`, `;`
** or `}` that ends it; constructors met on the way are mapped too. */
static void skip_expr(srcmap *m, int *ip, int depth) {
  int paren = 0, block = 0;
  while (m->toks[*ip].type != T_EOF) {
    const token *t = &m->toks[*ip];
    if (paren == 0 && block == 0 && is_sep(t)) return;
    if (is_p(t, "{")) {
      parse_node(m, ip, depth + 1);
      continue;
    }
    if (is_p(t, "(") || is_p(t, "[")) paren++;
    else if ((is_p(t, ")") || is_p(t, "]")) && paren > 0) paren--;
    else if (is_p(t, "}")) return; /* unbalanced: let the caller close */
    else if (block + block_delta(t) >= 0) block += block_delta(t);
    (*ip)++;
  }
}

/* The key of an entry at *ip, if written `name =` or `["text"] =`; advances
** past the `=`. Returns 1 for a keyed entry (e->key may stay NULL for a key
** that is not a literal), 0 for a positional item. */
static int parse_key(srcmap *m, int *ip, entry *e, int depth) {
  const token *t = &m->toks[*ip];
  if (t->type == T_NAME && is_p(t + 1, "=")) {
    e->key = af_strndup(t->s, t->len);
    e->key_line = t->line;
    *ip += 2;
    return 1;
  }
  if (!is_p(t, "[")) return 0;
  e->key_line = t->line;
  if (t[1].type == T_STRING && is_p(t + 2, "]") && is_p(t + 3, "=")) {
    e->key = af_strndup(t[1].s, t[1].len);
    *ip += 4;
    return 1;
  }
  /* [expr] = value: skip the bracketed key */
  int br = 0;
  while (m->toks[*ip].type != T_EOF) {
    const token *u = &m->toks[*ip];
    if (is_p(u, "{")) {
      parse_node(m, ip, depth + 1);
      continue;
    }
    (*ip)++;
    if (is_p(u, "[")) br++;
    else if (is_p(u, "]") && --br == 0) break;
  }
  if (is_p(&m->toks[*ip], "=")) (*ip)++;
  return 1;
}

static void parse_value(srcmap *m, int *ip, entry *e, int depth) {
  const token *t = &m->toks[*ip];
  e->val_line = t->line;
  if (is_p(t, "{")) {
    int child = parse_node(m, ip, depth + 1);
    if (is_sep(&m->toks[*ip])) {
      e->child = child;
      return;
    }
  } else if (t->type == T_NAME && is_sep(t + 1) && block_delta(t) == 0) {
    e->ref = af_strndup(t->s, t->len);
    e->ref_tok = *ip;
  } else if (t->type == T_STRING && is_sep(t + 1)) {
    e->str = af_strndup(t->s, t->len);
  }
  skip_expr(m, ip, depth);
}

/* Parse the constructor whose `{` is at *ip; returns its node index (-1 when
** too deep) and leaves *ip after the matching `}`. */
static int parse_node(srcmap *m, int *ip, int depth) {
  assert(depth >= 0 && *ip >= 0 && *ip < m->ntoks);
  if (depth > MAX_DEPTH) {
    skip_braces(m, ip);
    return -1;
  }
  int ni = new_node(m, m->toks[*ip].line);
  (*ip)++;
  int pos = 0;
  while (m->toks[*ip].type != T_EOF) {
    if (is_p(&m->toks[*ip], "}")) {
      (*ip)++;
      break;
    }
    entry e = {0};
    e.child = -1;
    e.key_line = m->toks[*ip].line;
    if (!parse_key(m, ip, &e, depth)) e.pos = ++pos;
    parse_value(m, ip, &e, depth);
    add_entry(m, ni, &e);
    if (is_p(&m->toks[*ip], ",") || is_p(&m->toks[*ip], ";")) (*ip)++;
  }
  return ni;
}

/* The whole chunk: map every constructor, remember `name = {` assignments
** and the value of the chunk's last `return` outside any block. */
static void parse_chunk(srcmap *m) {
  int block = 0, ret_tok = -1, ret_node = -1;
  int i = 0;
  while (m->toks[i].type != T_EOF) {
    const token *t = &m->toks[i];
    if (is_p(t, "{")) {
      int after_return = ret_tok >= 0 && i == ret_tok + 1;
      int ni = parse_node(m, &i, 0);
      if (after_return) ret_node = ni;
      continue;
    }
    if (t->type == T_NAME && is_p(t + 1, "=") && is_p(t + 2, "{")) {
      int at = i;
      i += 2;
      int ni = parse_node(m, &i, 0);
      af_grow(&m->as, &m->acap, m->nas + 1, sizeof *m->as);
      m->as[m->nas++] = (assign){af_strndup(t->s, t->len), ni, at};
      continue;
    }
    if (block == 0 && is_kw(t, "return")) {
      ret_tok = i;
      ret_node = -1;
    }
    if (block + block_delta(t) >= 0) block += block_delta(t);
    i++;
  }
  m->top = ret_node;
  m->top_tok = -1;
  if (ret_tok < 0 || ret_node >= 0) return;
  const token *v = &m->toks[ret_tok + 1];
  if (v->type == T_NAME && block_delta(v) == 0) m->top_tok = ret_tok + 1;
}

/* `return name`: the constructor assigned to name (after indexing). */
static void resolve_top(srcmap *m) {
  if (m->top_tok < 0) return;
  const token *v = &m->toks[m->top_tok];
  entry e = {0};
  e.ref = af_strndup(v->s, v->len);
  e.ref_tok = m->top_tok;
  m->top = resolve_ref(m, &e);
  free(e.ref);
}

/* ---------------------------------------------------------------- indexes */

/* The key of a constructor's field: its node, a kind byte, then the key
** text ('k') or the 1-based position ('p'). */
static size_t field_key(char *buf, size_t cap, int ni, char kind, const char *key, int pos) {
  size_t klen = kind == 'k' ? strlen(key) : sizeof pos;
  if (5 + klen > cap) return 0;
  memcpy(buf, &ni, sizeof ni);
  buf[4] = kind;
  memcpy(buf + 5, kind == 'k' ? (const void *)key : (const void *)&pos, klen);
  return 5 + klen;
}

static void index_fields(srcmap *m) {
  srcmap_index *x = &m->ix;
  int fresh;
  char buf[512];
  for (int ni = 0; ni < m->nnodes; ni++) {
    const snode *n = &m->nodes[ni];
    for (int j = 0; j < n->n; j++) {
      const entry *e = &n->v[j];
      size_t kl = e->key ? field_key(buf, sizeof buf, ni, 'k', e->key, 0)
                         : e->pos ? field_key(buf, sizeof buf, ni, 'p', NULL, e->pos) : 0;
      if (kl == 0) continue; /* no key, or one too long to be a field name */
      int *slot = strmap_slot(&x->fields, buf, kl, &fresh);
      if (fresh) *slot = j;
      if (e->key && e->str && strcmp(e->key, "id") == 0) {
        slot = strmap_slot(&x->ids, e->str, strlen(e->str), &fresh);
        if (fresh) *slot = ni;
      }
    }
  }
}

static void index_assigns(srcmap *m) {
  srcmap_index *x = &m->ix;
  int fresh;
  for (int i = 0; i < m->ntoks; i++) {
    const token *t = &m->toks[i];
    if (t->type != T_NAME || !is_p(t + 1, "=")) continue;
    int *slot = strmap_slot(&x->names, t->s, t->len, &fresh);
    if (fresh) {
      af_grow(&x->stats, &x->capstats, x->nstats + 1, sizeof *x->stats);
      memset(&x->stats[x->nstats], 0, sizeof *x->stats);
      *slot = x->nstats++;
    }
    assign_stat *st = &x->stats[*slot];
    if (!st->count++) st->first = t->line;
    if (i > 0 && is_p(t - 1, ".") && !st->dcount++) st->dfirst = t->line;
  }
  /* `name = {` assignments grouped by name (a counting sort keeps text order) */
  int ngroups = 0;
  int *group = af_malloc(((size_t)m->nas + 1) * sizeof *group);
  for (int a = 0; a < m->nas; a++) {
    int *slot = strmap_slot(&x->anames, m->as[a].name, strlen(m->as[a].name), &fresh);
    if (fresh) *slot = ngroups++;
    group[a] = *slot;
  }
  x->as_start = af_calloc((size_t)ngroups + 1, sizeof *x->as_start);
  for (int a = 0; a < m->nas; a++) x->as_start[group[a] + 1]++;
  for (int k = 0; k < ngroups; k++) x->as_start[k + 1] += x->as_start[k];
  x->as_order = af_malloc(((size_t)m->nas + 1) * sizeof *x->as_order);
  int *fill = af_calloc((size_t)ngroups + 1, sizeof *fill);
  for (int a = 0; a < m->nas; a++) x->as_order[x->as_start[group[a]] + fill[group[a]]++] = a;
  free(fill);
  free(group);
}

static void index_free(srcmap_index *x) {
  strmap_free(&x->fields);
  strmap_free(&x->ids);
  strmap_free(&x->names);
  strmap_free(&x->anames);
  free(x->stats);
  free(x->as_start);
  free(x->as_order);
}

srcmap *srcmap_build(const char *text, size_t len) {
  srcmap *m = af_calloc(1, sizeof *m);
  lex_all(m, text, len);
  parse_chunk(m);
  index_fields(m);
  index_assigns(m);
  resolve_top(m);
  return m;
}

void srcmap_free(srcmap *m) {
  if (!m) return;
  for (int i = 0; i < m->nnodes; i++) {
    for (int j = 0; j < m->nodes[i].n; j++) {
      entry *e = &m->nodes[i].v[j];
      free(e->key);
      free(e->ref);
      free(e->str);
    }
    free(m->nodes[i].v);
  }
  for (int i = 0; i < m->nas; i++) free(m->as[i].name);
  index_free(&m->ix);
  free(m->as);
  free(m->nodes);
  free(m->toks);
  free(m);
}

/* ---------------------------------------------------------------- queries */

/* The first entry of node ni with key (kind 'k') or position pos ('p'). */
static const entry *find_entry(const srcmap *m, int ni, char kind, const char *key, int pos) {
  if (ni < 0 || ni >= m->nnodes) return NULL;
  char buf[512];
  size_t kl = field_key(buf, sizeof buf, ni, kind, key, pos);
  int j = kl ? strmap_get(&m->ix.fields, buf, kl) : -1;
  return j >= 0 ? &m->nodes[ni].v[j] : NULL;
}

static const entry *find_key(const srcmap *m, int ni, const char *key) {
  return find_entry(m, ni, 'k', key, 0);
}

/* The constructor a value names: the nearest `name = {` before the use,
** else the first one after it (a binary search in the name's assigns). */
static int resolve_ref(const srcmap *m, const entry *e) {
  int id = strmap_get(&m->ix.anames, e->ref, strlen(e->ref));
  if (id < 0) return -1;
  const int *v = m->ix.as_order + m->ix.as_start[id];
  int n = m->ix.as_start[id + 1] - m->ix.as_start[id], lo = 0, hi = n;
  while (lo < hi) { /* first assign at or after the use */
    int mid = (lo + hi) / 2;
    if (m->as[v[mid]].tok < e->ref_tok) lo = mid + 1;
    else hi = mid;
  }
  int best = lo > 0 ? v[lo - 1] : (n > 0 ? v[0] : -1);
  return best >= 0 ? m->as[best].nd : -1;
}

static int entry_node(const srcmap *m, const entry *e) {
  if (!e) return -1;
  if (e->child >= 0) return e->child;
  if (e->ref) return resolve_ref(m, e);
  return -1;
}

int srcmap_top(const srcmap *m) { return m->top; }

int srcmap_node_line(const srcmap *m, int ni) {
  return (ni >= 0 && ni < m->nnodes) ? m->nodes[ni].line : 0;
}

int srcmap_field_line(const srcmap *m, int ni, const char *key) {
  const entry *e = find_key(m, ni, key);
  return e ? e->key_line : 0;
}

int srcmap_field_value_line(const srcmap *m, int ni, const char *key) {
  const entry *e = find_key(m, ni, key);
  return e ? e->val_line : 0;
}

int srcmap_field_node(const srcmap *m, int ni, const char *key) {
  return entry_node(m, find_key(m, ni, key));
}

int srcmap_item_node(const srcmap *m, int ni, int index1) {
  if (index1 < 1) return -1;
  const entry *e = find_entry(m, ni, 'p', NULL, index1);
  return e ? entry_node(m, e) : -1;
}

int srcmap_item_line(const srcmap *m, int ni, int index1) {
  const entry *e = index1 >= 1 ? find_entry(m, ni, 'p', NULL, index1) : NULL;
  return e ? e->val_line : 0;
}

int srcmap_node_has_id(const srcmap *m, int ni, const char *id) {
  const entry *e = find_key(m, ni, "id");
  return e && e->str && strcmp(e->str, id) == 0;
}

int srcmap_find_id(const srcmap *m, const char *id) {
  return strmap_get(&m->ix.ids, id, strlen(id));
}

static const assign_stat *assign_of(const srcmap *m, const char *key) {
  int i = strmap_get(&m->ix.names, key, strlen(key));
  return i >= 0 ? &m->ix.stats[i] : NULL;
}

int srcmap_assign_count(const srcmap *m, const char *key, int dotted) {
  const assign_stat *st = assign_of(m, key);
  return !st ? 0 : dotted ? st->dcount : st->count;
}

int srcmap_assign_line(const srcmap *m, const char *key, int dotted) {
  const assign_stat *st = assign_of(m, key);
  return !st ? 0 : dotted ? st->dfirst : st->first;
}

int srcmap_call_line(const srcmap *m, const char *fname) {
  for (int i = 0; i + 1 < m->ntoks; i++) {
    const token *t = &m->toks[i];
    if (tok_is(t, T_NAME, fname) && (is_p(t + 1, "(") || is_p(t + 1, "{") ||
                                     t[1].type == T_STRING))
      return t->line;
  }
  return 0;
}

int srcmap_last_line(const srcmap *m) {
  assert(m->ntoks > 0);
  return m->ntoks > 1 ? m->toks[m->ntoks - 2].line : 0;
}

size_t srcmap_built_table(const srcmap *m, char *out, size_t cap) {
  assert(cap > 0);
  out[0] = 0;
  size_t n = 0;
  for (int i = 0; i + 3 < m->ntoks; i++) {
    const token *t = &m->toks[i];
    if (!is_kw(t, "local") || t[1].type != T_NAME || !is_p(t + 2, "=")) continue;
    if (!is_p(t + 3, "{") && !tok_is(t + 3, T_NAME, "import")) continue;
    if (t[1].len >= cap) continue;
    memcpy(out, t[1].s, t[1].len);
    out[t[1].len] = 0;
    n = t[1].len;
  }
  return n;
}

/* NUMBER,NUMBER written without a space at token i ("30,5"): 1 and the
** text into out. */
static int comma_number_at(const srcmap *m, int i, char *out, size_t cap) {
  if (i + 2 >= m->ntoks) return 0;
  const token *a = &m->toks[i], *c = a + 1, *b = a + 2;
  if (a->type != T_NUMBER || !is_p(c, ",") || b->type != T_NUMBER) return 0;
  if (a->s + a->len != c->s || c->s + 1 != b->s) return 0;
  size_t n = a->len + 1 + b->len;
  if (n >= cap) return 0;
  memcpy(out, a->s, n);
  out[n] = 0;
  return 1;
}

int srcmap_comma_number(const srcmap *m, int line, char *out, size_t cap) {
  for (int i = 0; i + 2 < m->ntoks; i++)
    if (m->toks[i].line == line && comma_number_at(m, i, out, cap)) return 1;
  return 0;
}

int srcmap_comma_assignment(const srcmap *m, char *out, size_t cap) {
  int braces = 0;
  for (int i = 1; i + 3 < m->ntoks; i++) {
    const token *t = &m->toks[i];
    if (is_p(t, "{")) braces++;
    else if (is_p(t, "}") && braces > 0) braces--;
    if (braces || !is_p(t, "=") || !comma_number_at(m, i + 1, out, cap)) continue;
    /* the target: a name with .field and [index] suffixes; a ',' before it
    ** means several targets (a, b = 1,2), which is not a mistake */
    int j = i - 1, depth = 0;
    while (j >= 0) {
      const token *u = &m->toks[j];
      if (is_p(u, "]")) depth++;
      else if (is_p(u, "[")) depth--;
      else if (depth == 0 && !(u->type == T_NAME || is_p(u, "."))) break;
      if (depth == 0 && u->type == T_NAME && !(j > 0 && (is_p(u - 1, ".") || is_p(u - 1, "]"))))
        break;
      j--;
    }
    j--;
    if (j >= 0 && is_p(&m->toks[j], ",")) continue;
    return t->line;
  }
  return 0;
}
