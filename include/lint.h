/*
** lint.h: warnings about a methodology that loads and compiles but probably
** does not do what its author meant.
**
** A warning is a diag (FILE:LINE: message) in its own list: `check` prints
** them and still succeeds, unless --strict makes them errors. Found:
**  - a param or define that no rule uses (with a "did you mean" for a
**    misspelt name); a param that a variant sets but its base does not have;
**  - a category id in a measure rule that is not a category ('c' for 'C');
**  - a category no combination of indicator amounts can reach;
**  - a variant that keeps its base's name and version;
**  - a measure without a notice in a language other measures have;
**  - with the schema: a text column as the sampling weight.
*/
#ifndef AF_LINT_H
#define AF_LINT_H

#include "model.h"
#include "rules.h"
#include "util.h"

/* Append m's warnings to w. r is m compiled (with or without the schema:
** schema warnings need it). Imported bases are reloaded from m->files (no
** disk access) to compare a variant with its base. */
void lint_model(const model *m, const rules *r, diag_list *w);

#endif
