/*
** report.h: the measure as JSON (the keys in docs/commands.md) and as text tables.
*/
#ifndef AF_REPORT_H
#define AF_REPORT_H

#include "json.h"
#include "run.h"

typedef struct report_meta {
  int64_t run_id;           /* 0: not recorded */
  const char *engine_version;
} report_meta;

/* The score summary of methodology k of rn as a JSON object into j. */
void report_summary_json(json *j, const run *rn, int k, const report_meta *meta);
/* The same, the object left open for keys of the command's own (what the
** command printed, beyond the summary it records). */
void report_summary_json_open(json *j, const run *rn, int k, const report_meta *meta);
/* The same, human readable. */
void report_summary_text(strbuf *out, const run *rn, int k, const report_meta *meta);
/* Group value label (text of a strpool id, "(null)" for -1). */
const char *report_group_label(const run *rn, int32_t value);

#endif
