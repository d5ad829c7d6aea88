/*
** rtable.h: a table of the decision report, built once and written both as
** HTML (numbers formatted for the reader's language) and as CSV (UTF-8 with
** a byte-order mark so spreadsheet programs read Cyrillic; plain numbers).
*/
#ifndef AF_RTABLE_H
#define AF_RTABLE_H

#include <stdint.h>
#include "labels.h"
#include "util.h"

typedef enum rtable_kind {
  RTABLE_TEXT,       /* text, as given */
  RTABLE_CODE,       /* text in a fixed-width font (hashes, ids) */
  RTABLE_COUNT,      /* a whole number: 20,000 */
  RTABLE_PCT,        /* a share written as a percentage: 9.1% */
  RTABLE_NUM,        /* a number with fixed decimals */
  RTABLE_DCOUNT,     /* a signed change of a count: +120, -45 */
  RTABLE_DPP,        /* a signed change of a share in percentage points: +1.2 */
  RTABLE_DNUM        /* a signed change of a number with fixed decimals */
} rtable_kind;

typedef struct rtable_cell {
  rtable_kind kind;
  char *text;        /* TEXT / CODE (owned) */
  double v;
  int decimals;
} rtable_cell;

typedef struct rtable {
  char *slug;        /* file name of its CSV and id of the HTML table */
  char *title;
  char **cols;
  int ncols;
  rtable_cell *cells;   /* row-major, ncols per row */
  int ncells, cap;
  int total_from;       /* rows from this index are totals (bold); -1: none */
} rtable;

rtable *rtable_new(const char *slug, const char *title, int ncols, const char *const *cols);
void rtable_free(rtable *t);
int rtable_rows(const rtable *t);
/* Append the next cell (rows fill left to right). */
void rtable_text(rtable *t, const char *s);
void rtable_code(rtable *t, const char *s);
void rtable_count(rtable *t, int64_t v);
void rtable_pct(rtable *t, double share, int decimals);
void rtable_num(rtable *t, double v, int decimals);
void rtable_dcount(rtable *t, int64_t v);
void rtable_dpp(rtable *t, double share_change, int decimals);
void rtable_dnum(rtable *t, double change, int decimals);
/* Mark the rows added from now on as totals. */
void rtable_totals(rtable *t);

void rtable_html(strbuf *o, const rtable *t, labels_lang l);
void rtable_csv(strbuf *o, const rtable *t);
/* One cell as the reader sees it (48 bytes; TEXT cells are not copied). */
void rtable_format(const rtable_cell *c, labels_lang l, int plain, char *out);

#endif
