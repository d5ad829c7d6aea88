/*
** svg.h: the decision report's charts, written as inline SVG: horizontal
** bars (one or two series, optional interval whiskers, an optional
** reference line), 100% stacked bars and a heat map with counts. Every chart
** carries a <title> and a <desc> (its text alternative) and is readable in
** greyscale and by colour-blind readers: the ordinal palette is viridis
** (lightness falls from best to worst), the series colours are Okabe-Ito,
** the worst tones are hatched and values are written on the chart.
*/
#ifndef AF_SVG_H
#define AF_SVG_H

#include "util.h"

#define SVG_MAXSERIES 2
#define SVG_NTONES 5

/* Formats an axis value into out (48 bytes). */
typedef void (*svg_fmt)(double v, char *out, void *ctx);

typedef struct svg_bar {
  const char *label;
  double v[SVG_MAXSERIES];          /* bar lengths, in the chart's units */
  double lo[SVG_MAXSERIES], hi[SVG_MAXSERIES];   /* interval; NaN: none */
  char text[SVG_MAXSERIES][48];     /* written after each bar */
  int tone;                         /* ordinal tone 0..SVG_NTONES-1; -1: series colour */
} svg_bar;

typedef struct svg_chart {
  int id;                           /* unique on the page (ids of title, desc, patterns) */
  int width;                        /* viewBox width; 0: a full-width 760 */
  const char *title, *desc;
  const char *series[SVG_MAXSERIES];/* legend names; series[1] NULL: one series */
  double ref;                       /* a dashed reference line (e.g. the national figure); NaN: none */
  const char *ref_label;
  svg_fmt fmt;                      /* axis ticks */
  void *fmt_ctx;
} svg_chart;

void svg_hbars(strbuf *o, const svg_chart *c, const svg_bar *bars, int n);

/* 100% stacked bars: row r has nparts shares parts[r * nparts + p], part p
** drawn in tone tones[p] and named names[p] in the legend; cell text
** texts[r * nparts + p] is written inside parts wide enough to hold it. */
typedef struct svg_stack {
  const char *const *rows;
  int nrows;
  const char *const *names;
  const int *tones;
  int nparts;
  const double *parts;
  char (*texts)[48];
} svg_stack;

void svg_stacked(strbuf *o, const svg_chart *c, const svg_stack *s);

/* A heat map of counts: v[r * ncols + c] shaded by size (log scale),
** written in each cell as texts[r * ncols + c]; the diagonal is outlined. */
typedef struct svg_heat {
  const char *const *rows, *const *cols;
  int nrows, ncols;
  const double *v;
  char (*texts)[48];
  const char *row_axis, *col_axis;
} svg_heat;

void svg_heatmap(strbuf *o, const svg_chart *c, const svg_heat *h);

/* The fill colour of an ordinal tone and of a series (for HTML legends). */
const char *svg_tone_colour(int tone);
const char *svg_series_colour(int s);

#endif
