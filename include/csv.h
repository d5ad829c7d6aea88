/*
** csv.h: the one CSV writer behind every CSV afscore writes (the notice
** queue, compare's and replay's --changes).
**
** Output follows RFC 4180: fields are separated by commas; a field holding a
** comma, a double quote, CR or LF is enclosed in double quotes, with each
** double quote inside doubled. Any byte string (NUL excepted: fields are C
** strings) therefore reads back as itself in an RFC 4180 reader, so no value
** from the data or the methodology can add a field or forge a row. Records
** end in LF, not the RFC's CRLF: RFC 4180 readers accept both, and the
** files stay diffable with Unix tools.
*/
#ifndef AF_CSV_H
#define AF_CSV_H

#include <stddef.h>
#include <stdio.h>

/* A record being written to f. */
typedef struct csv_out {
  FILE *f;
  int nfields;              /* fields written in the current record */
} csv_out;

void csv_init(csv_out *c, FILE *f);
/* One field, quoted only when it must be (see above). NULL: an empty field. */
void csv_field(csv_out *c, const char *s);
void csv_fieldn(csv_out *c, const char *s, size_t n);
/* One field, always quoted: for free text and ids, so that a column reads
** the same whatever its values hold. NULL: "". */
void csv_text(csv_out *c, const char *s);
/* A whole record of fields (a NULL-terminated list), as csv_field: a header. */
void csv_record(csv_out *c, const char *const *fields);
/* End the record (the next field starts a new one). */
void csv_end(csv_out *c);
/* Did any write to f fail? */
int csv_error(const csv_out *c);

#endif
