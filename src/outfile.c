/*
** outfile.c: checked, atomic output files (see outfile.h).
*/
#include "outfile.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct outfile {
  char *path, *tmp;
  FILE *fp;
};

int outfile_same(const char *a, const char *b) {
  struct stat sa, sb;
  if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* 1: the file starts with SQLite's header. */
static int outfile_is_sqlite(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char head[16];
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  return n == sizeof head && memcmp(head, "SQLite format 3", 16) == 0;
}

int outfile_check(const char *path, const char *const *keep, int nkeep, int force, af_err *e) {
  for (int i = 0; i < nkeep; i++)
    if (keep[i] && outfile_same(path, keep[i]))
      return af_fail(e, "%s: refusing to write over %s, an input of this command", path, keep[i]);
  struct stat sb;
  if (lstat(path, &sb) != 0) return 0;
  if (S_ISDIR(sb.st_mode)) return af_fail(e, "%s: is a directory", path);
  if (outfile_is_sqlite(path))
    return af_fail(e, "%s: refusing to write over a SQLite database", path);
  if (!force) return af_fail(e, "%s: already exists (--force replaces it)", path);
  if (!S_ISREG(sb.st_mode)) return af_fail(e, "%s: not a regular file; not replaced", path);
  return 0;
}

/* The temporary file tmp (made for path) cannot be written: e says so
** (errno as the failing call left it), tmp is removed and freed. */
static void outfile_drop(char *tmp, const char *path, af_err *e) {
  af_fail(e, "%s: cannot write: %s", path, strerror(errno));
  unlink(tmp);
  free(tmp);
}

char *outfile_reserve(const char *path, af_err *e) {
  assert(path && *path);
  char *tmp = af_sprintf("%s.tmp-XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    af_fail(e, "%s: cannot write: %s", path, strerror(errno));
    free(tmp);
    return NULL;
  }
  /* mkstemp makes 0600; an output is an ordinary file (umask applies). */
  mode_t um = umask(0);
  umask(um);
  int bad = fchmod(fd, 0666 & ~um) != 0;
  bad |= close(fd) != 0;
  if (bad) {
    outfile_drop(tmp, path, e);
    return NULL;
  }
  return tmp;
}

int outfile_open(const char *path, outfile **out, af_err *e) {
  *out = NULL;
  char *tmp = outfile_reserve(path, e);
  if (!tmp) return -1;
  FILE *fp = fopen(tmp, "w");
  if (!fp) {
    outfile_drop(tmp, path, e);
    return -1;
  }
  outfile *o = af_calloc(1, sizeof *o);
  o->path = af_strdup(path);
  o->tmp = tmp;
  o->fp = fp;
  *out = o;
  return 0;
}

FILE *outfile_fp(outfile *o) { return o->fp; }

const char *outfile_tmp_path(const outfile *o) { return o->tmp; }

static void outfile_free(outfile *o) {
  free(o->path);
  free(o->tmp);
  free(o);
}

int outfile_commit(outfile *o, af_err *e) {
  int bad = fflush(o->fp) != 0 || fsync(fileno(o->fp)) != 0;
  bad |= fclose(o->fp) != 0;
  o->fp = NULL;
  if (bad || rename(o->tmp, o->path) != 0) {
    af_fail(e, "%s: cannot write: %s", o->path, strerror(errno));
    unlink(o->tmp);
    outfile_free(o);
    return -1;
  }
  outfile_free(o);
  return 0;
}

void outfile_abort(outfile *o) {
  if (!o) return;
  if (o->fp) fclose(o->fp);
  unlink(o->tmp);
  outfile_free(o);
}
