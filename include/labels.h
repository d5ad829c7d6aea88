/*
** labels.h: the words and number formats of the decision report in Russian,
** Kazakh and English. Methodology names (indicators, bands, measures) are
** the methodology's own and are not translated; these are the report's.
*/
#ifndef AF_LABELS_H
#define AF_LABELS_H

#include <stdint.h>

typedef enum labels_lang { LABELS_EN = 0, LABELS_RU = 1, LABELS_KK = 2 } labels_lang;

typedef enum labels_key {
  LB_TITLE_ONE, LB_TITLE_TWO, LB_RUN, LB_OF, LB_CONTENTS,
  LB_HEADLINE, LB_FAMILIES, LB_PEOPLE, LB_EXCLUDED, LB_H, LB_A, LB_M0, LB_K,
  LB_H_NOTE, LB_A_NOTE, LB_M0_NOTE, LB_MEAN_POINTS, LB_P10, LB_P50, LB_P90, LB_DE_SHARE,
  LB_CATEGORIES, LB_CATEGORY, LB_NAME, LB_SHARE, LB_COUNT, LB_CAT_CHART_DESC,
  LB_BY_GROUP, LB_VALUE, LB_POP_SHARE, LB_CONTRIB, LB_SORTED_BY, LB_GROUP_CATS,
  LB_INDICATORS, LB_INDICATOR, LB_DIMENSION, LB_WEIGHT, LB_UNCENSORED, LB_CENSORED,
  LB_CONTRIBUTION, LB_MISSING, LB_IND_CHART_DESC, LB_CONTRIB_CHART_DESC,
  LB_MEASURES, LB_MEASURE, LB_ELIGIBLE_FAMILIES, LB_ELIGIBLE_PEOPLE,
  LB_RECORD, LB_METHODOLOGY, LB_VERSION, LB_FILE, LB_SHA256, LB_SIGNATURE, LB_UNSIGNED,
  LB_SIGNED, LB_SIGNED_UNCHECKED, LB_SIGNER, LB_RUN_SIGNER,
  LB_DATA_FP, LB_DATA_PATH, LB_RESULTS_DIGEST, LB_ENGINE, LB_DATE, LB_RUN_ID, LB_SCORING,
  LB_AF, LB_POINTS, LB_INTERVAL_NOTE, LB_NO_INTERVAL_NOTE,
  LB_BEFORE, LB_AFTER, LB_CHANGE, LB_TRANSITIONS, LB_TRANS_DESC, LB_FROM_TO,
  LB_BETTER, LB_WORSE, LB_SAME, LB_NOT_SCORED, LB_WHO_MOVES, LB_DE_BEFORE, LB_DE_AFTER,
  LB_GAINED, LB_LOST, LB_NET, LB_MEAS_CHANGE, LB_RULES_CHANGED, LB_RULES_SAME, LB_WHAT,
  LB_ADDED, LB_REMOVED, LB_RULE, LB_BAND, LB_PARAM, LB_DIM_WEIGHT, LB_PP, LB_MOVED,
  LB_ELIG_BEFORE, LB_ELIG_AFTER, LB_GROUP_MOVES_NOTE, LB_PAGE_NOTE, LB_ONLY_BEFORE, LB_ONLY_AFTER, LB_SCORE,
  LB_TOTAL, LB_NONE, LB_NO_GROUP_VALUES, LB_GROUPS_FROM_BEFORE, LB_MEAS_UNCHANGED,
  LB_NKEYS
} labels_key;

/* "en", "ru", "kk" (NULL: English); -1 for anything else. */
int labels_parse(const char *name);
const char *labels_code(labels_lang l);
const char *labels_get(labels_lang l, labels_key k);
/* (LB_BY_GROUP and LB_GROUP_CATS hold one "%s" for the group column,
** LB_DE_BEFORE and LB_DE_AFTER one for the worst categories' ids.) */

/* Numbers as people read them in l: thousands separated ("20,000",
** "20 000"), the decimal mark of the language. `plain` (for CSV) drops the
** separators and uses '.'; out holds 48 bytes. */
void labels_count(labels_lang l, int plain, int64_t v, char *out);
/* v with `decimals` digits after the mark; "–" when v is not finite. */
void labels_num(labels_lang l, int plain, double v, int decimals, char *out);
/* A share as a percentage: 0.0908 -> "9.1%". */
void labels_pct(labels_lang l, int plain, double share, int decimals, char *out);

#endif
