/*
** html.c: escaping and the page frame of the decision report. The style
** sheet is inline and uses only fonts already on the reader's machine; the
** print rules lay the page out on A4 and keep charts and tables whole.
*/
#include "html.h"

#include <string.h>

void html_esc(strbuf *o, const char *s) {
  if (!s) return;
  for (; *s; s++) {
    switch (*s) {
      case '&': sb_puts(o, "&amp;"); break;
      case '<': sb_puts(o, "&lt;"); break;
      case '>': sb_puts(o, "&gt;"); break;
      case '"': sb_puts(o, "&quot;"); break;
      case '\'': sb_puts(o, "&#39;"); break;
      default:
        /* Control characters have no place in a report (XML forbids most). */
        if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') sb_putc(o, ' ');
        else sb_putc(o, *s);
    }
  }
}

void html_elem(strbuf *o, const char *tag, const char *cls, const char *text) {
  sb_printf(o, "<%s", tag);
  if (cls) sb_printf(o, " class=\"%s\"", cls);
  sb_putc(o, '>');
  html_esc(o, text);
  sb_printf(o, "</%s>\n", tag);
}

static const char *const HTML_CSS =
    ":root{--ink:#1b1f24;--muted:#5b6470;--rule:#d5dae0;--band:#0b3954;--accent:#0072b2;"
    "--paper:#ffffff;--tint:#f3f5f8}\n"
    "*{box-sizing:border-box}\n"
    "html{background:#e9ecf0}\n"
    "body{margin:0 auto;max-width:1000px;background:var(--paper);color:var(--ink);"
    "font:15px/1.45 'DejaVu Sans','Liberation Sans',Arial,Helvetica,sans-serif}\n"
    "header.masthead{background:var(--band);color:#fff;padding:26px 40px 22px}\n"
    "header.masthead .kicker{font-size:12px;letter-spacing:.12em;text-transform:uppercase;"
    "opacity:.8;margin:0 0 6px}\n"
    "header.masthead h1{font-size:26px;line-height:1.2;margin:0 0 8px;font-weight:700}\n"
    "header.masthead .sub{margin:2px 0 0;font-size:14px;opacity:.92}\n"
    "main{padding:8px 40px 32px}\n"
    "section{margin:26px 0 0;break-inside:auto}\n"
    "h2{font-size:19px;margin:0 0 10px;padding-bottom:6px;border-bottom:2px solid var(--band);"
    "color:var(--band)}\n"
    "h3{font-size:15px;margin:18px 0 6px;color:var(--ink)}\n"
    "p.note{color:var(--muted);font-size:13px;margin:4px 0 10px}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;"
    "margin:14px 0 4px}\n"
    ".card{background:var(--tint);border-left:4px solid var(--accent);padding:10px 14px 12px}\n"
    ".card.key{border-left-color:#d55e00}\n"
    ".card .v{display:block;font-size:26px;font-weight:700;line-height:1.15;"
    "font-variant-numeric:tabular-nums}\n"
    ".card .l{display:block;font-size:13px;color:var(--ink);margin-top:2px}\n"
    ".card .d{display:block;font-size:11.5px;color:var(--muted);margin-top:3px}\n"
    "figure{margin:12px 0 14px;break-inside:avoid}\n"
    "figure svg{width:100%;height:auto;display:block}\n"
    "figcaption{font-size:12.5px;color:var(--muted);margin-top:4px}\n"
    "p.ft{font-weight:700;font-size:13.5px;margin:0 0 6px}\n"
    "table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0 6px;"
    "font-variant-numeric:tabular-nums}\n"
    "caption{text-align:left;font-weight:700;font-size:13.5px;padding:4px 0 6px}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--rule);vertical-align:top}\n"
    "th{text-align:left;background:var(--tint);font-weight:600;border-bottom:2px solid #aab3bd}\n"
    "td.n,th.n{text-align:right;white-space:nowrap}\n"
    "th{overflow-wrap:anywhere}td:first-child{min-width:9em}\n"
    "tbody tr:nth-child(even) td{background:#fafbfc}\n"
    "tr.total td{font-weight:700;border-top:2px solid #aab3bd}\n"
    ".swatch{display:inline-block;width:11px;height:11px;margin-right:6px;"
    "vertical-align:-1px;border:1px solid #555}\n"
    "code,.hash{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:11.5px;"
    "word-break:break-all}\n"
    "dl.record{display:grid;grid-template-columns:210px 1fr;gap:4px 14px;font-size:13px}\n"
    "dl.record dt{color:var(--muted)}\n"
    "dl.record dd{margin:0}\n"
    "footer{padding:12px 40px 28px;color:var(--muted);font-size:12px;"
    "border-top:1px solid var(--rule)}\n"
    ".two{display:grid;grid-template-columns:1fr 1fr;gap:20px}\n"
    "@media (max-width:760px){.two{grid-template-columns:1fr}main,header.masthead{padding-left:16px;"
    "padding-right:16px}}\n"
    "@page{size:A4;margin:14mm 12mm 16mm}\n"
    "@media print{html{background:none}body{max-width:none;font-size:10.5pt}"
    "header.masthead,.card,th,.swatch{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "main,footer,header.masthead{padding-left:0;padding-right:0}"
    "header.masthead{padding:14px 16px}section{break-before:auto}"
    "h2,h3{break-after:avoid}table,figure,.cards{break-inside:avoid}"
    "tr{break-inside:avoid}}\n";

void html_begin(strbuf *o, const char *lang, const char *title) {
  sb_printf(o, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", lang);
  sb_puts(o, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  sb_puts(o, "<title>");
  html_esc(o, title);
  sb_puts(o, "</title>\n<style>\n");
  sb_puts(o, HTML_CSS);
  sb_puts(o, "</style>\n</head>\n<body>\n");
}

void html_end(strbuf *o) { sb_puts(o, "</body>\n</html>\n"); }
