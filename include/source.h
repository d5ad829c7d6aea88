/*
** source.h: the data source, a SQLite database opened read-only.
**
** Units are read with their members in batches (kernel.h), joined on the
** members' unit column by a merge of two scans in the same order (the order
** the tables are stored in when the members are grouped in it, else key
** order), so memory does not grow with the population. Only the columns asked
** for are read. Every value read feeds a fingerprint that identifies the data
** of a run whatever the order it was read in (fingerprint.h).
*/
#ifndef AF_SOURCE_H
#define AF_SOURCE_H

#include <stdint.h>
#include "util.h"
#include "strpool.h"
#include "compile.h"
#include "kernel.h"

typedef struct source source;

/* Open path read-only (SQLITE_OPEN_READONLY). Fails with a clear message for
** a missing file or one that is not a SQLite database. */
int source_open(const char *path, source **out, af_err *e);
void source_close(source *s);

/* The columns of table with the type the expression language gives them:
** INTEGER/REAL/NUMERIC/BOOLEAN declared types -> VT_NUM, TEXT/CHAR/CLOB -> VT_TEXT,
** anything else -> VT_ANY. Fails if the table does not exist. *cols and each
** name are owned by the caller (free with source_free_columns). */
int source_columns(source *s, const char *table, name_decl **cols, int *n, af_err *e);
void source_free_columns(name_decl *cols, int n);
/* Rows of table (for progress), or -1. */
int64_t source_count_rows(source *s, const char *table);
/* Names of all tables, for did-you-mean (caller frees each and the array). */
int source_tables(source *s, char ***names, int *n, af_err *e);

/* What to read. Types say how values are turned into numbers: VT_NUM (and
** VT_BOOL) expect numbers (text that is not a number is an error naming table,
** column and row), VT_TEXT and VT_ANY intern the value's text in the pool. */
typedef struct source_plan {
  const char *unit_table, *unit_id;
  const char *const *unit_cols;
  const vtype *unit_types;
  int nunit_cols;
  const char *member_table, *member_unit;     /* member_table NULL: no members */
  const char *const *member_cols;
  const vtype *member_types;
  int nmember_cols;
  const char *only_unit;    /* when set, read only the unit with this id (and its members) */
  int sorted;               /* 1: read in key order, sorted by SQLite, from the start */
} source_plan;

/* The order a read took (docs/design.md, section 3):
**  SOURCE_KEY     stored order, which was key order;
**  SOURCE_STORED  stored order, which is not key order: members grouped in
**                 the units' stored order, merged without a sort;
**  SOURCE_SORTED  key order, sorted by SQLite: nothing else works. */
typedef enum { SOURCE_KEY, SOURCE_STORED, SOURCE_SORTED } source_order;
/* "key", "stored", "sorted" (data.read_order). */
const char *source_order_name(source_order o);

typedef struct source_stats {
  int64_t units;            /* unit rows read */
  int64_t members;          /* member rows joined to a unit */
  int64_t orphans;          /* member rows whose unit does not exist */
  int64_t units_without_members;
  char sha256[65];          /* fingerprint of every value read (fingerprint.h) */
  source_order order;       /* the order the read took */
} source_stats;

typedef struct source_reader source_reader;

/* Start a read. Tables and columns are checked against the schema first and
** quoted as identifiers, never spliced into SQL as given. */
int source_read_begin(source *s, const source_plan *plan, strpool *pool,
                      source_reader **out, af_err *e);
/* Fill b with the next batch of at most max_units units (b's arrays are owned
** by the reader and reused). Returns the number of units, 0 at the end, -1 on
** error (duplicate unit id, bad value: the message names table, column and
** row). unit_ids[i] is the text of unit i's id, valid until the next call.
** Units come in the order the read takes (source_order), not always key order. */
int source_read_batch(source_reader *r, batch *b, const char *const **unit_ids,
                      int max_units, af_err *e);
/* source_read_batch's answer when the stored order turned out not to be
** usable: the reader first scans in rowid order (no sort), verifying as it
** goes that the members are grouped in the units' order and, unless the unit
** key has a unique index, that the keys ascend. Everything read so far must
** be discarded; the next call starts again from the first unit, in key order
** (SOURCE_SORTED), with a fresh fingerprint. Given at most once per read. */
#define SOURCE_RESTART (-2)
/* Finish: fills st (fingerprint final only after the last batch) and frees r. */
void source_read_end(source_reader *r, source_stats *st);

/* A sorted read (plan->sorted) in two halves, so that the second half's sorts
** run on another thread while the first is read (source.c explains). When
** the unit key has a unique index and there are enough units, *lo reads the
** units below the median key and *hi, on a connection of its own, those from
** it on; else *hi is NULL and *lo is the whole read. Read *lo to its end,
** then source_read_follow, then *hi: together they give what one sorted read
** gives, in the same order. -1 on error (both NULL). */
int source_read_begin_halves(source *s, const source_plan *plan, strpool *pool,
                             source_reader **lo, source_reader **hi, af_err *e);
/* Run the sorts of hi now (its first step of each scan): on any one thread,
** before hi is read. */
int source_read_prefetch(source_reader *hi, af_err *e);
/* hi goes on from where lo ended: its first key is checked against lo's last. */
void source_read_follow(source_reader *hi, const source_reader *lo);
/* Finish a read in halves (hi may be NULL): the stats of both, one
** fingerprint; frees both. */
void source_read_end_halves(source_reader *lo, source_reader *hi, source_stats *st);

/* Reading in parts, so that several threads read (source.c explains). When
** the plan can be read in stored order with an index on the member key and
** there is more than one chunk of units, *out is a set of nreaders readers,
** each on its own connection; else *out is NULL (read with
** source_read_begin). -1 on error. Text is interned into pool, in chunk
** order, whatever the number of readers. */
typedef struct source_parts source_parts;
int source_parts_open(source *s, const source_plan *plan, strpool *pool, int nreaders,
                      source_parts **out, af_err *e);
/* The number of chunks; chunk c is read into one batch. */
int64_t source_parts_chunks(const source_parts *p);
/* Read chunk c with reader i (0 <= i < nreaders; any reader may read any
** chunk, each reader in increasing c). Returns once the chunks before c have
** returned (on any thread): the number of units (0 is a chunk without any),
** SOURCE_RESTART when the members are not grouped in the units' order after
** all (read sorted instead: plan->sorted), or -1. b and ids as with
** source_read_batch, owned by reader i. */
int source_parts_read(source_parts *p, int reader, int64_t c, batch *b,
                      const char *const **ids, af_err *e);
/* Wake and fail every read waiting for its turn (the consumer stopped). */
void source_parts_cancel(source_parts *p);
/* The stats of every chunk read (st may be NULL), and free p. */
void source_parts_close(source_parts *p, source_stats *st);

#endif
