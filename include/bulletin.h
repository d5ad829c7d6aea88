/*
** bulletin.h: the decision report, written from recorded runs only: one run
** (headline figures, categories, groups, indicators, support measures and
** the record that ties the page to its run) or two (what changes from run A
** to run B: transitions, who moves, measures gained and lost, what changed
** in the rules). The page is one self-contained HTML document; every table
** on it is also kept for CSV.
*/
#ifndef AF_BULLETIN_H
#define AF_BULLETIN_H

#include "jdoc.h"
#include "labels.h"
#include "model.h"
#include "rtable.h"
#include "store.h"
#include "runcmp.h"

/* A recorded run as the report reads it (all borrowed). */
typedef struct bulletin_run {
  const run_record *rec;
  const model *m;        /* the recorded methodology, loaded from rec's files */
  const jdoc *sum;       /* rec's summary JSON */
} bulletin_run;

typedef struct bulletin {
  labels_lang lang;
  strbuf html;           /* the page */
  rtable **tables;       /* every table of the page, in order (owned) */
  int ntables, cap;
  int nsvg;              /* charts written (their ids) */
} bulletin;

void bulletin_one(bulletin *b, const bulletin_run *r);
void bulletin_two(bulletin *b, const bulletin_run *a, const bulletin_run *r, const runcmp *t);
void bulletin_free(bulletin *b);

#endif
