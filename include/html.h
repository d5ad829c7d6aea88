/*
** html.h: HTML text for the decision report: escaping, and the page's frame
** (head with the inline style sheet, screen and A4 print) around a body the
** caller writes. Nothing is fetched: no script, font, image or link.
*/
#ifndef AF_HTML_H
#define AF_HTML_H

#include "util.h"

/* s escaped for HTML text and attribute values (also valid inside SVG). */
void html_esc(strbuf *o, const char *s);
/* <tag class="cls">escaped text</tag>; cls may be NULL. */
void html_elem(strbuf *o, const char *tag, const char *cls, const char *text);
/* The document up to and including <body>; lang is an ISO 639-1 code. */
void html_begin(strbuf *o, const char *lang, const char *title);
void html_end(strbuf *o);

#endif
