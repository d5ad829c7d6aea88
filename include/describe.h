/*
** describe.h: a methodology as it will be applied, for people.
**
** describe_lines() flattens a loaded model (imports resolved, variant edits
** applied, weights resolved) into lines: a heading, an item (a dimension, an
** indicator, a band...) or one field of an item. Each line has a stable
** identity (key + label) so that two methodologies can be compared line by
** line in the same terms (describe_diff). Text and markdown are renderings of
** these lines; JSON is written from the model with the same figures.
** Numbers that are simple fractions are shown as "1/3 (0.3333)".
*/
#ifndef AF_DESCRIBE_H
#define AF_DESCRIBE_H

#include "json.h"
#include "model.h"
#include "util.h"

typedef struct describe_line {
  int depth;      /* 0 heading, 1 item or field of the methodology, 2.. nested */
  char *key;      /* what the line is about: "indicator low_income", "k" */
  char *label;    /* shown before the value: "weight", an item's id */
  char *value;    /* shown after the label; "" for headings */
} describe_line;

typedef struct describe_doc {
  describe_line *v;
  int n, cap;
} describe_doc;

/* Fill doc (empty, owned by the caller) with m's description. */
void describe_lines(const model *m, describe_doc *doc);
void describe_free(describe_doc *doc);

void describe_text(const describe_doc *doc, strbuf *o);
void describe_markdown(const describe_doc *doc, strbuf *o);
/* m as one JSON object (written into j). */
void describe_json(const model *m, json *j);

/* "1/3 (0.3333)", "50851", or the shortest decimal: out holds 64 bytes. */
void describe_number(double v, char out[64]);
/* The same without the decimal: "1/3", "50851", "0.123456". */
void describe_fraction(double v, char out[64]);

/* The differences from a to b, one line each: "~ KEY LABEL: OLD -> NEW",
** "+ KEY LABEL: VALUE", "- KEY LABEL: VALUE". Returns the number of lines. */
int describe_diff(const describe_doc *a, const describe_doc *b, strbuf *o);
/* The same differences, one call each: old NULL for a line added in b, new_
** NULL for a line removed; a changed name comes as the two depth-0 lines. */
typedef void (*describe_diff_fn)(void *ctx, const describe_line *old, const describe_line *new_);
int describe_diff_each(const describe_doc *a, const describe_doc *b, describe_diff_fn fn,
                       void *ctx);
/* Where a line is, in the diff's words: "indicator low_income weight", "k". */
void describe_where(strbuf *o, const describe_line *l);

/* What makes a comparison of a with b unlike with like, one line each (no
** "note: " prefix): different scoring kinds, populations (units or people),
** sampling weights, and categories with the same id but different names.
** la and lb name the two sides ("the base"). Returns the number of lines. */
int describe_caveats(const model *a, const model *b, const char *la, const char *lb, strbuf *o);

#endif
