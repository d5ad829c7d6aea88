/*
** srcmap.h: where things are written in a methodology's Lua source.
**
** Lua tables forget the lines they were written on, so method.c lexes the
** methodology text itself and builds a "shadow" of every table constructor
** `{ ... }`: its entries, their keys, the line of each key and value, and the
** constructor written as the value (directly, or through a local name such
** as `dimensions = dims` with `local dims = { ... }`). The loader walks this
** shadow alongside the real Lua table to find the line of each definition and
** field. Nothing here runs Lua; odd or broken sources give fewer answers
** (-1 / 0), never a crash.
*/
#ifndef AF_SRCMAP_H
#define AF_SRCMAP_H

#include <stddef.h>

typedef struct srcmap srcmap;

srcmap *srcmap_build(const char *text, size_t len);
void srcmap_free(srcmap *m);

/* The constructor the chunk returns (`return { ... }`, or `return t` with
** `local t = { ... }`), or -1 when it is not written literally. */
int srcmap_top(const srcmap *m);
/* Line of a constructor's opening brace (0 for node -1). */
int srcmap_node_line(const srcmap *m, int node);
/* Line of the key `key =` (or `["key"] =`) in constructor node; 0 if absent. */
int srcmap_field_line(const srcmap *m, int node, const char *key);
/* Line where the value of `key` is written; 0 if absent. */
int srcmap_field_value_line(const srcmap *m, int node, const char *key);
/* The constructor written as the value of `key` in node, or -1. */
int srcmap_field_node(const srcmap *m, int node, const char *key);
/* The constructor written as the index1-th positional item of node, or -1. */
int srcmap_item_node(const srcmap *m, int node, int index1);
/* Line of the index1-th positional item of node; 0 if absent. */
int srcmap_item_line(const srcmap *m, int node, int index1);
/* 1 if node has `id = "<id>"` written with a literal string. */
int srcmap_node_has_id(const srcmap *m, int node, const char *id);
/* The first constructor anywhere in the text with `id = "<id>"`, or -1. */
int srcmap_find_id(const srcmap *m, const char *id);
/* Occurrences of `key =` (an assignment, not `==`) anywhere in the text;
** dotted: only those written as `x.key =`. Line of the first, or 0. */
int srcmap_assign_count(const srcmap *m, const char *key, int dotted);
int srcmap_assign_line(const srcmap *m, const char *key, int dotted);
/* Line of the first call `fname(`, `fname "..."` or `fname {`; 0 if none. */
int srcmap_call_line(const srcmap *m, const char *fname);
/* Line of the last token (0 for an empty text). */
int srcmap_last_line(const srcmap *m);
/* The name of the last `local NAME = {` or `local NAME = import` (the table
** a script builds and should return), copied into out; its length, 0 if
** none (or too long for cap). */
size_t srcmap_built_table(const srcmap *m, char *out, size_t cap);
/* A number written with a decimal comma ("30,5": two numbers without a
** space) on line: 1 and the text into out, else 0. */
int srcmap_comma_number(const srcmap *m, int line, char *out, size_t cap);
/* The line of the first statement `target = 30,5` outside any constructor
** (Lua keeps 30 and drops 5), the number's text into out; 0 if none. */
int srcmap_comma_assignment(const srcmap *m, char *out, size_t cap);

#endif
