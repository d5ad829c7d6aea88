/*
** jpath.h: read one value of a JSON document by its path, for tests.
**
** A path names the value from the top: keys after '.', array elements by
** index or by the first element whose member has a given value (a string,
** or a number or literal exactly as written in the document):
**     "measure.H"   "groups[2].rows[0].H"   "indicators[id=income].censored"
**     "sweep[k=0.25].H"
** The first key has no dot; "$" is the whole document ("$[0]" the first
** element of a document that is an array). A key is the text up to
** the next '.' or '[' (so "count()" and "mean(income)" are keys as written).
** Paths are printf formats: jp_num(j, "groups[%d].H", g).
**
** A missing path or a value of another type fails the running cmocka test
** with the path and the document, so a test cannot pass on the wrong key.
*/
#ifndef AF_JPATH_H
#define AF_JPATH_H

#if defined(__GNUC__)
#define JP_FMT __attribute__((format(printf, 2, 3)))
#else
#define JP_FMT
#endif

/* A number (fails on anything else, null included). */
double jp_num(const char *json, const char *path, ...) JP_FMT;
/* A string, unescaped (valid until 8 more jp_str calls). */
const char *jp_str(const char *json, const char *path, ...) JP_FMT;
/* true or false as 1 or 0. */
int jp_bool(const char *json, const char *path, ...) JP_FMT;
/* Is the value null? */
int jp_is_null(const char *json, const char *path, ...) JP_FMT;
/* Elements of an array or members of an object. */
int jp_len(const char *json, const char *path, ...) JP_FMT;
/* Does the path exist? (never fails) */
int jp_exists(const char *json, const char *path, ...) JP_FMT;
/* The value's text inside json, from its first character: a sub-document
** to read further paths from. */
const char *jp_at(const char *json, const char *path, ...) JP_FMT;

#endif
