/*
** rtable.c: the report's tables, as HTML and as RFC 4180 CSV.
*/
#include "rtable.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

rtable *rtable_new(const char *slug, const char *title, int ncols, const char *const *cols) {
  assert(ncols > 0);
  rtable *t = af_calloc(1, sizeof *t);
  t->slug = af_strdup(slug);
  t->title = af_strdup(title);
  t->ncols = ncols;
  t->cols = af_calloc((size_t)ncols, sizeof *t->cols);
  for (int i = 0; i < ncols; i++) t->cols[i] = af_strdup(cols[i]);
  t->total_from = -1;
  return t;
}

void rtable_free(rtable *t) {
  if (!t) return;
  for (int i = 0; i < t->ncols; i++) free(t->cols[i]);
  for (int i = 0; i < t->ncells; i++) free(t->cells[i].text);
  free(t->cols);
  free(t->cells);
  free(t->slug);
  free(t->title);
  free(t);
}

int rtable_rows(const rtable *t) { return t->ncells / t->ncols; }

static rtable_cell *rtable_add(rtable *t, rtable_kind k, double v, int decimals) {
  af_grow(&t->cells, &t->cap, t->ncells + 1, sizeof *t->cells);
  rtable_cell *c = &t->cells[t->ncells++];
  memset(c, 0, sizeof *c);
  c->kind = k;
  c->v = v;
  c->decimals = decimals;
  return c;
}

void rtable_text(rtable *t, const char *s) {
  rtable_add(t, RTABLE_TEXT, 0, 0)->text = af_strdup(s ? s : "");
}
void rtable_code(rtable *t, const char *s) {
  rtable_add(t, RTABLE_CODE, 0, 0)->text = af_strdup(s ? s : "");
}
void rtable_count(rtable *t, int64_t v) { rtable_add(t, RTABLE_COUNT, (double)v, 0); }
void rtable_pct(rtable *t, double share, int decimals) { rtable_add(t, RTABLE_PCT, share, decimals); }
void rtable_num(rtable *t, double v, int decimals) { rtable_add(t, RTABLE_NUM, v, decimals); }
void rtable_dcount(rtable *t, int64_t v) { rtable_add(t, RTABLE_DCOUNT, (double)v, 0); }
void rtable_dpp(rtable *t, double d, int decimals) { rtable_add(t, RTABLE_DPP, d, decimals); }
void rtable_dnum(rtable *t, double d, int decimals) { rtable_add(t, RTABLE_DNUM, d, decimals); }

void rtable_totals(rtable *t) {
  assert(t->ncells % t->ncols == 0);
  t->total_from = rtable_rows(t);
}

/* A signed figure: "+" before positives, a minus sign (U+2212) in HTML. */
static void rtable_signed(const char *digits, double v, int plain, char *out) {
  if (v > 0 && strcmp(digits, "0") != 0 && strspn(digits, "0.,") != strlen(digits))
    snprintf(out, 48, "+%s", digits);
  else if (!plain && digits[0] == '-')
    snprintf(out, 48, "\xE2\x88\x92%s", digits + 1);
  else
    snprintf(out, 48, "%s", digits);
}

void rtable_format(const rtable_cell *c, labels_lang l, int plain, char *out) {
  char d[48];
  switch (c->kind) {
    case RTABLE_TEXT:
    case RTABLE_CODE: out[0] = '\0'; break;
    case RTABLE_COUNT: labels_count(l, plain, (int64_t)c->v, out); break;
    case RTABLE_PCT: labels_pct(l, plain, c->v, c->decimals, out); break;
    case RTABLE_NUM: labels_num(l, plain, c->v, c->decimals, out); break;
    case RTABLE_DCOUNT:
      labels_count(l, plain, (int64_t)c->v, d);
      rtable_signed(d, c->v, plain, out);
      break;
    case RTABLE_DPP:
    case RTABLE_DNUM:
      labels_num(l, plain, c->kind == RTABLE_DPP ? 100 * c->v : c->v, c->decimals, d);
      rtable_signed(d, c->v, plain, out);
      if (c->kind == RTABLE_DPP && !plain) {
        strcat(out, "\xC2\xA0");
        strcat(out, labels_get(l, LB_PP));
      }
      break;
  }
}

static int rtable_numeric(rtable_kind k) { return k != RTABLE_TEXT && k != RTABLE_CODE; }

void rtable_html(strbuf *o, const rtable *t, labels_lang l) {
  int rows = rtable_rows(t);
  sb_printf(o, "<table id=\"t-%s\">\n<caption>", t->slug);
  html_esc(o, t->title);
  sb_puts(o, "</caption>\n<thead><tr>");
  for (int k = 0; k < t->ncols; k++) {
    /* A column is right-aligned when its first row holds a number. */
    int num = rows > 0 && rtable_numeric(t->cells[k].kind);
    sb_printf(o, "<th%s>", num ? " class=\"n\"" : "");
    html_esc(o, t->cols[k]);
    sb_puts(o, "</th>");
  }
  sb_puts(o, "</tr></thead>\n<tbody>\n");
  for (int r = 0; r < rows; r++) {
    sb_puts(o, t->total_from >= 0 && r >= t->total_from ? "<tr class=\"total\">" : "<tr>");
    for (int k = 0; k < t->ncols; k++) {
      const rtable_cell *c = &t->cells[r * t->ncols + k];
      char buf[48];
      if (c->kind == RTABLE_TEXT || c->kind == RTABLE_CODE) {
        sb_puts(o, c->kind == RTABLE_CODE ? "<td class=\"hash\">" : "<td>");
        html_esc(o, c->text);
      } else {
        rtable_format(c, l, 0, buf);
        sb_puts(o, "<td class=\"n\">");
        html_esc(o, buf);
      }
      sb_puts(o, "</td>");
    }
    sb_puts(o, "</tr>\n");
  }
  sb_puts(o, "</tbody>\n</table>\n");
}

/* RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
static void rtable_csv_field(strbuf *o, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    sb_puts(o, s);
    return;
  }
  sb_putc(o, '"');
  for (; *s; s++) {
    if (*s == '"') sb_putc(o, '"');
    sb_putc(o, *s);
  }
  sb_putc(o, '"');
}

void rtable_csv(strbuf *o, const rtable *t) {
  sb_puts(o, "\xEF\xBB\xBF");
  for (int k = 0; k < t->ncols; k++) {
    if (k) sb_putc(o, ',');
    rtable_csv_field(o, t->cols[k]);
  }
  sb_puts(o, "\r\n");
  for (int r = 0; r < rtable_rows(t); r++) {
    for (int k = 0; k < t->ncols; k++) {
      const rtable_cell *c = &t->cells[r * t->ncols + k];
      char buf[48];
      if (k) sb_putc(o, ',');
      if (c->kind == RTABLE_TEXT || c->kind == RTABLE_CODE) {
        rtable_csv_field(o, c->text);
      } else {
        /* Two more decimals than the page: the CSV is for further work. */
        rtable_cell more = *c;
        if (c->kind != RTABLE_COUNT && c->kind != RTABLE_DCOUNT) more.decimals += 2;
        rtable_format(&more, LABELS_EN, 1, buf);
        sb_puts(o, buf);
      }
    }
    sb_puts(o, "\r\n");
  }
}
