/*
** svg.c: the report's charts as inline SVG (see svg.h). Geometry is in a
** 760-unit-wide viewBox that the page scales; text widths are estimated
** from the number of characters (no font is measured: none is loaded).
*/
#include "svg.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"

#define SVG_FULL 760.0
#define SVG_CHARW 6.7        /* average advance of a 12px sans character */
#define SVG_FONT "'DejaVu Sans','Liberation Sans',Arial,sans-serif"

static double svg_w(const svg_chart *c) { return c->width > 0 ? c->width : SVG_FULL; }

/* viridis, 5 steps, light (best) to dark (worst): lightness is monotonic. */
static const char *const svg_tones[SVG_NTONES] = {"#fde725", "#5ec962", "#21918c", "#3b528b",
                                                   "#440154"};
/* Okabe-Ito blue (dark) and orange (light): apart in hue and in lightness. */
static const char *const svg_series[SVG_MAXSERIES] = {"#0072b2", "#e69f00"};

const char *svg_tone_colour(int tone) {
  assert(tone >= 0 && tone < SVG_NTONES);
  return svg_tones[tone];
}

const char *svg_series_colour(int s) {
  assert(s >= 0 && s < SVG_MAXSERIES);
  return svg_series[s];
}

/* Tones 0-1 are light: dark text on them; the rest take white text. */
static const char *svg_ink_on(int tone) { return tone <= 1 ? "#1b1f24" : "#ffffff"; }

static int svg_chars(const char *s) {
  int n = 0;
  for (; s && *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* s cut to at most max characters, ending in an ellipsis when cut. */
static void svg_text_cut(strbuf *o, const char *s, int max) {
  if (svg_chars(s) <= max) {
    html_esc(o, s);
    return;
  }
  strbuf b = {0};
  int n = 0;
  for (const char *p = s; *p; p++) {
    if (((unsigned char)*p & 0xC0) != 0x80 && ++n > max - 1) break;
    sb_putc(&b, *p);
  }
  sb_puts(&b, "\xE2\x80\xA6");
  html_esc(o, b.s);
  sb_free(&b);
}

static double svg_label_width(const char *const *labels, int n, size_t stride) {
  int max = 4;
  for (int i = 0; i < n; i++) {
    const char *l = *(const char *const *)((const char *)labels + stride * (size_t)i);
    int c = svg_chars(l);
    if (c > max) max = c;
  }
  if (max > 38) max = 38;
  return 10 + SVG_CHARW * max;
}

/* Opening tag, title, desc (with the chart's data appended by the caller
** through extra) and the hatch patterns of the dark tones. */
static void svg_open(strbuf *o, const svg_chart *c, double h, const char *extra) {
  sb_printf(o, "<svg viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" aria-labelledby=\"svg%d-t svg%d-d\" font-family=\"%s\" "
               "font-size=\"12\">\n", svg_w(c), h, c->id, c->id, SVG_FONT);
  sb_printf(o, "<title id=\"svg%d-t\">", c->id);
  html_esc(o, c->title);
  sb_printf(o, "</title>\n<desc id=\"svg%d-d\">", c->id);
  html_esc(o, c->desc);
  if (extra && *extra) {
    sb_puts(o, ": ");
    html_esc(o, extra);
  }
  sb_puts(o, "</desc>\n<defs>");
  for (int t = 3; t < SVG_NTONES; t++) {
    sb_printf(o, "<pattern id=\"svg%d-p%d\" patternUnits=\"userSpaceOnUse\" width=\"%d\" "
                 "height=\"%d\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" "
                 "fill=\"%s\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#ffffff\" "
                 "stroke-width=\"1.5\" stroke-opacity=\"0.45\"/></pattern>",
              c->id, t, t == 3 ? 6 : 4, t == 3 ? 6 : 4, svg_tones[t]);
  }
  sb_puts(o, "</defs>\n");
}

static void svg_fill(strbuf *o, const svg_chart *c, int tone, int series) {
  if (tone >= 3) sb_printf(o, "url(#svg%d-p%d)", c->id, tone);
  else if (tone >= 0) sb_puts(o, svg_tones[tone]);
  else sb_puts(o, svg_series[series]);
}

/* A step of 1, 2 or 5 times a power of ten giving about five ticks. */
static double svg_step(double span) {
  double raw = span / 5, p = pow(10, floor(log10(raw))), f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

typedef struct svg_scale {
  double lo, hi, x0, x1;
} svg_scale;

static double svg_x(const svg_scale *s, double v) {
  return s->x0 + (v - s->lo) / (s->hi - s->lo) * (s->x1 - s->x0);
}

static void svg_legend(strbuf *o, double x, double y, const char *const *names, const int *tones,
                       int n, const svg_chart *c) {
  for (int i = 0; i < n; i++) {
    sb_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" stroke=\"#444\" "
                 "stroke-width=\"0.6\" fill=\"", x, y - 10);
    svg_fill(o, c, tones ? tones[i] : -1, i);
    sb_printf(o, "\"/><text x=\"%.1f\" y=\"%.1f\">", x + 17, y);
    html_esc(o, names[i]);
    sb_puts(o, "</text>\n");
    x += 32 + SVG_CHARW * svg_chars(names[i]);
  }
}

static void svg_axis(strbuf *o, const svg_scale *s, double top, double bottom, const svg_chart *c) {
  double step = svg_step(s->hi - s->lo);
  for (double t = ceil(s->lo / step - 1e-9) * step; t <= s->hi + step * 1e-9; t += step) {
    double x = svg_x(s, t);
    char buf[48];
    c->fmt(fabs(t) < step * 1e-9 ? 0 : t, buf, c->fmt_ctx);
    sb_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                 "stroke-width=\"1\"/>\n", x, top, x, bottom,
              fabs(t) < step * 1e-9 ? "#6b7480" : "#e1e5ea");
    sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#5b6470\" "
                 "font-size=\"11\">%s</text>\n", x, bottom + 14, buf);
  }
}

/* The chart's values as text, for the <desc>. */
static void svg_values_text(strbuf *d, const svg_chart *c, const svg_bar *bars, int n, int ns) {
  for (int i = 0; i < n; i++) {
    sb_printf(d, "%s%s ", i ? "; " : "", bars[i].label);
    for (int s = 0; s < ns; s++)
      sb_printf(d, "%s%s%s%s", s ? ", " : "", ns > 1 ? c->series[s] : "", ns > 1 ? " " : "",
                bars[i].text[s]);
  }
}

void svg_hbars(strbuf *o, const svg_chart *c, const svg_bar *bars, int n) {
  int ns = c->series[1] ? 2 : 1;
  double lw = svg_label_width(&bars[0].label, n, sizeof *bars);
  double top = c->series[1] ? 30 : 8, rowh = ns == 2 ? 34 : 24, barh = ns == 2 ? 13 : 16;
  double h = top + (n > 0 ? n : 1) * rowh + 28;
  svg_scale s = {0, 0, lw + 10, svg_w(c) - 76};
  for (int i = 0; i < n; i++)
    for (int k = 0; k < ns; k++) {
      double vals[3] = {bars[i].v[k], bars[i].lo[k], bars[i].hi[k]};
      for (int q = 0; q < 3; q++)
        if (isfinite(vals[q])) s.lo = fmin(s.lo, vals[q]), s.hi = fmax(s.hi, vals[q]);
    }
  if (isfinite(c->ref)) s.lo = fmin(s.lo, c->ref), s.hi = fmax(s.hi, c->ref);
  if (s.hi - s.lo <= 0) s.hi = s.lo + 1;
  double step = svg_step(s.hi - s.lo);
  if (s.hi > 0) s.hi = ceil(s.hi / step - 1e-9) * step;
  if (s.lo < 0) s.lo = floor(s.lo / step + 1e-9) * step;
  strbuf d = {0};
  svg_values_text(&d, c, bars, n, ns);
  svg_open(o, c, h, d.s);
  sb_free(&d);
  if (ns == 2) svg_legend(o, s.x0, 16, c->series, NULL, 2, c);
  svg_axis(o, &s, top - 4, h - 24, c);
  for (int i = 0; i < n; i++) {
    double y = top + i * rowh;
    sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lw, y + rowh / 2 + 4);
    svg_text_cut(o, bars[i].label, 38);
    sb_puts(o, "</text>\n");
    for (int k = 0; k < ns; k++) {
      const svg_bar *b = &bars[i];
      double by = y + (rowh - ns * barh) / 2 + k * barh, v = isfinite(b->v[k]) ? b->v[k] : 0;
      double xa = svg_x(&s, fmin(0, v)), xb = svg_x(&s, fmax(0, v));
      sb_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"", xa, by,
                fmax(xb - xa, 0.5), barh - 2);
      svg_fill(o, c, ns == 1 ? b->tone : -1, k);
      sb_puts(o, "\" stroke=\"#333\" stroke-width=\"0.4\"/>\n");
      double xt = xb;
      if (isfinite(b->lo[k]) && isfinite(b->hi[k])) {
        double l = svg_x(&s, b->lo[k]), r = svg_x(&s, b->hi[k]), cy = by + (barh - 2) / 2;
        sb_printf(o, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\" stroke=\"#111\" "
                     "stroke-width=\"1.3\" fill=\"none\"/>\n", l, cy, r, l, cy - 4, cy + 4, r,
                  cy - 4, cy + 4);
        xt = fmax(xt, r);
      }
      sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", xt + 5, by + barh - 4);
      html_esc(o, b->text[k]);
      sb_puts(o, "</text>\n");
    }
  }
  if (isfinite(c->ref)) {
    double x = svg_x(&s, c->ref);
    sb_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d55e00\" "
                 "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n", x, top - 6, x, h - 24);
    if (c->ref_label) {
      sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#a04000\" font-size=\"11\" "
                   "text-anchor=\"%s\">", x + 4, h - 4, x > svg_w(c) - 200 ? "end" : "start");
      html_esc(o, c->ref_label);
      sb_puts(o, "</text>\n");
    }
  }
  sb_puts(o, "</svg>\n");
}

void svg_stacked(strbuf *o, const svg_chart *c, const svg_stack *st) {
  double lw = svg_label_width(st->rows, st->nrows, sizeof *st->rows);
  double top = 32, rowh = 22, h = top + st->nrows * rowh + 8;
  double x0 = lw + 10, x1 = svg_w(c) - 10;
  strbuf d = {0};
  for (int r = 0; r < st->nrows; r++) {
    sb_printf(&d, "%s%s:", r ? "; " : "", st->rows[r]);
    for (int p = 0; p < st->nparts; p++)
      sb_printf(&d, " %s %s", st->names[p], st->texts[r * st->nparts + p]);
  }
  svg_open(o, c, h, d.s);
  sb_free(&d);
  svg_legend(o, x0, 16, st->names, st->tones, st->nparts, c);
  for (int r = 0; r < st->nrows; r++) {
    double y = top + r * rowh, x = x0;
    sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lw, y + 15);
    svg_text_cut(o, st->rows[r], 38);
    sb_puts(o, "</text>\n");
    for (int p = 0; p < st->nparts; p++) {
      double v = st->parts[r * st->nparts + p], w = (isfinite(v) ? fmax(v, 0) : 0) * (x1 - x0);
      sb_printf(o, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"", x, y + 2,
                w, rowh - 4);
      svg_fill(o, c, st->tones[p], 0);
      sb_puts(o, "\" stroke=\"#ffffff\" stroke-width=\"0.6\"/>\n");
      const char *t = st->texts[r * st->nparts + p];
      if (w > SVG_CHARW * svg_chars(t) + 6) {
        sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
                     "fill=\"%s\"%s>", x + w / 2, y + 15, svg_ink_on(st->tones[p]),
                  st->tones[p] >= 3 ? " font-weight=\"bold\"" : "");
        html_esc(o, t);
        sb_puts(o, "</text>\n");
      }
      x += w;
    }
  }
  sb_puts(o, "</svg>\n");
}

/* ColorBrewer "Blues": one hue, lightness falling with the count. */
static void svg_blue(double t, char out[8]) {
  static const int ramp[6][3] = {{247, 251, 255}, {198, 219, 239}, {107, 174, 214},
                                 {49, 130, 189},  {8, 81, 156},    {8, 48, 107}};
  t = fmin(fmax(t, 0), 1) * 5;
  int i = (int)fmin(floor(t), 4);
  double f = t - i;
  int rgb[3];
  for (int k = 0; k < 3; k++) rgb[k] = (int)lround(ramp[i][k] + f * (ramp[i + 1][k] - ramp[i][k]));
  snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

void svg_heatmap(strbuf *o, const svg_chart *c, const svg_heat *hm) {
  double lw = svg_label_width(hm->rows, hm->nrows, sizeof *hm->rows) + 24;
  double cw = fmin(110, (svg_w(c) - lw - 20) / (hm->ncols > 0 ? hm->ncols : 1)), ch = 38;
  double top = 52, h = top + hm->nrows * ch + 10, max = 0;
  for (int i = 0; i < hm->nrows * hm->ncols; i++) max = fmax(max, hm->v[i]);
  strbuf d = {0};
  for (int r = 0; r < hm->nrows; r++)
    for (int k = 0; k < hm->ncols; k++)
      sb_printf(&d, "%s%s \xE2\x86\x92 %s %s", r || k ? "; " : "", hm->rows[r], hm->cols[k],
                hm->texts[r * hm->ncols + k]);
  svg_open(o, c, h, d.s);
  sb_free(&d);
  sb_printf(o, "<text x=\"%.1f\" y=\"14\" text-anchor=\"middle\" font-weight=\"bold\" "
               "fill=\"#5b6470\">", lw + cw * hm->ncols / 2);
  html_esc(o, hm->col_axis);
  sb_puts(o, "</text>\n");
  sb_printf(o, "<text x=\"10\" y=\"%.1f\" font-weight=\"bold\" fill=\"#5b6470\" "
               "transform=\"rotate(-90 10 %.1f)\" text-anchor=\"middle\">", top + hm->nrows * ch / 2,
            top + hm->nrows * ch / 2);
  html_esc(o, hm->row_axis);
  sb_puts(o, "</text>\n");
  for (int k = 0; k < hm->ncols; k++) {
    sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", lw + cw * (k + 0.5),
              top - 10);
    svg_text_cut(o, hm->cols[k], (int)(cw / SVG_CHARW));
    sb_puts(o, "</text>\n");
  }
  for (int r = 0; r < hm->nrows; r++) {
    double y = top + r * ch;
    sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lw - 8, y + ch / 2 + 4);
    svg_text_cut(o, hm->rows[r], 38);
    sb_puts(o, "</text>\n");
    for (int k = 0; k < hm->ncols; k++) {
      double v = hm->v[r * hm->ncols + k];
      double t = v > 0 && max > 0 ? 0.12 + 0.88 * log1p(v) / log1p(max) : 0;
      char fill[8];
      svg_blue(t, fill);
      double x = lw + k * cw;
      sb_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                   "stroke=\"%s\" stroke-width=\"%s\"/>\n", x + 1, y + 1, cw - 2, ch - 2, fill,
                r == k ? "#1b1f24" : "#ffffff", r == k ? "2" : "1");
      sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12.5\" "
                   "fill=\"%s\"%s>", x + cw / 2, y + ch / 2 + 4, t > 0.55 ? "#ffffff" : "#1b1f24",
                r == k ? " font-weight=\"bold\"" : "");
      html_esc(o, hm->texts[r * hm->ncols + k]);
      sb_puts(o, "</text>\n");
    }
  }
  sb_puts(o, "</svg>\n");
}
