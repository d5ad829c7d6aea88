/*
** model.h: a methodology as plain C data.
**
** method_load() runs the Lua script, turns the table it returns into this
** model and closes the Lua state: nothing downstream touches Lua. Every
** definition remembers the line of the methodology file where it is written
** (or, for a copy built by code or imported, the line of the statement that
** brought it in), so that later stages can report FILE:LINE errors too.
**
** The two scoring kinds share one shape. An indicator is an ordered list of
** cases; the first case whose condition holds gives the indicator's amount,
** and a unit's score is the sum of its indicators' amounts.
**   AF:     one case, `deprived` rule -> amount = the indicator's weight.
**   points: the cases as written; a case without `when` always matches;
**           a fixed `points = N` with `when` is a one-case list.
*/
#ifndef AF_MODEL_H
#define AF_MODEL_H

#include <stddef.h>

typedef enum scoring_kind { SCORING_AF = 0, SCORING_POINTS = 1 } scoring_kind;

/* What an indicator does for a unit where its rule evaluates to null. For
** points methodologies "not_deprived" means "this case does not match". */
typedef enum missing_policy {
  MISSING_EXCLUDE = 0,
  MISSING_DEPRIVED = 1,
  MISSING_NOT_DEPRIVED = 2
} missing_policy;

typedef struct model_case {
  char *when;      /* condition (expression text); NULL = always matches */
  double amount;   /* AF: the indicator weight; points: the points */
  int line;        /* line of this case (of `when` when present) */
} model_case;

typedef struct model_indicator {
  char *id, *name;       /* name defaults to id */
  int dim;               /* index into model.dims (AF); -1 for points without dimension */
  double weight;         /* AF: resolved weight (after defaults); points: 0 */
  int weight_given;      /* 1 if the script wrote `weight` */
  model_case *cases;
  int ncases;
  missing_policy missing;/* resolved: the indicator's own, else the default */
  int line;              /* line of the definition (its `id`) */
  int rule_line;         /* line of `deprived` (AF) / `points` (points) */
} model_indicator;

typedef struct model_dimension {
  char *id, *name;
  double weight;         /* resolved */
  int weight_given;
  int line;
} model_dimension;

typedef struct model_band {
  char *id, *name;
  double from;           /* inclusive lower bound; may be -HUGE_VAL for points */
  int line;
} model_band;

typedef struct model_param {
  char *name;
  int is_text;           /* 1: text value in `text`; 0: number in `num` */
  double num;
  char *text;
  int line;
} model_param;

typedef struct model_define {
  char *name, *expr;
  int line;
} model_define;

typedef struct model_notice {
  char *lang, *text;
} model_notice;

/* A support measure (the methodology's `measures`). In the C code it is a
** "benefit", so that "measure" means only the AF measure (measure.h). */
typedef struct model_benefit {
  char *id, *name, *eligible;
  model_notice *notices;
  int nnotices;
  int line;
  int eligible_line;     /* line of `eligible` */
} model_benefit;

/* A source file the methodology consists of: the methodology itself first,
** then each imported file, in the order first imported. */
typedef struct model_file {
  char *name;            /* as given (the main file) or as imported ("kz_family_2023") */
  char *path;            /* where it was read from ("" when served from a record) */
  char *text;
  size_t len;
  char sha256[65];
} model_file;

/* A group by a computed value (a unit.groups entry { id = ..., rule = ...,
** bins = { ... } }; docs/methodology.md): the rule gives a number per unit,
** and the bins, when given, cut it into labelled intervals. */
typedef struct model_group_calc {
  char *rule;            /* NULL: the group is a unit column */
  double *bins;          /* strictly ascending lower bounds */
  int nbins;             /* 0: one group per value */
  int line;              /* line of the entry */
} model_group_calc;

typedef struct model {
  char *file;            /* the methodology path as given, for FILE:LINE messages */
  char *name, *version;
  scoring_kind scoring;

  char *unit_table, *unit_id, *unit_weight;   /* unit_weight NULL: weight 1 */
  /* Survey design (docs/inference.md), each NULL when not given: strata and
  ** primary sampling unit columns, and the round and year of a pooled survey. */
  char *unit_strata, *unit_psu, *unit_round, *unit_year;
  char **groups;                              /* a column, or a computed group's id */
  model_group_calc *group_calc;               /* per group (rule NULL for a column) */
  int ngroups;
  int unit_line;                              /* line of `unit =` */
  char *member_table, *member_unit;           /* NULL: no members table */
  int members_line;
  int population_members;                     /* population = "members" */

  model_param *params;
  int nparams;
  model_define *defines;                      /* in dependency-safe written order */
  int ndefines;
  model_dimension *dims;
  int ndims;
  model_indicator *inds;                      /* all indicators, dimension by dimension */
  int ninds;
  double k;                                   /* AF only */
  int k_line;
  model_band *bands;                          /* ascending `from` */
  int nbands;
  missing_policy missing;                     /* the default policy */
  model_benefit *benefits;                    /* the methodology's `measures` */
  int nbenefits;

  model_file *files;
  int nfiles;
} model;

void model_free(model *m);
/* The rule of group g, or NULL when the group is a unit column. */
static inline const char *model_group_rule(const model *m, int g) {
  return m->group_calc ? m->group_calc[g].rule : NULL;
}
/* Index of the indicator / band / param with this id, or -1. */
int model_find_indicator(const model *m, const char *id);
int model_find_band(const model *m, const char *id);
int model_find_param(const model *m, const char *name);

#endif
