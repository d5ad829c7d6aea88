/*
** outfile.h: output files written whole or not at all, and never over a file
** that must not be replaced.
**
** An output is written to a temporary file beside its path and renamed over
** it only when complete, so a failure leaves the old file (or none). Before
** that, outfile_check refuses a path that is a SQLite database, or the same
** file as any of the command's inputs and databases (compared by device and
** inode, so other spellings and links are caught), or that exists at all
** unless the user said --force.
*/
#ifndef AF_OUTFILE_H
#define AF_OUTFILE_H

#include <stdio.h>
#include "util.h"

/* 0: path may be written; -1 with e naming the reason. keep[] lists the
** paths (NULL entries skipped) that must never be replaced. */
int outfile_check(const char *path, const char *const *keep, int nkeep, int force, af_err *e);
/* 1: a and b name the same existing file. */
int outfile_same(const char *a, const char *b);

/* An empty file beside path with a name no other process has
** (path.tmp-XXXXXX, mode as the umask gives), closed: for a writer that
** opens the file itself (SQLite). The caller owns the name, and renames the
** file over path or removes it. NULL with e set when it cannot be made. */
char *outfile_reserve(const char *path, af_err *e);

typedef struct outfile outfile;
/* A temporary file beside path, open for writing. */
int outfile_open(const char *path, outfile **out, af_err *e);
FILE *outfile_fp(outfile *o);
/* The temporary file's name (to hand to a writer that takes a path). */
const char *outfile_tmp_path(const outfile *o);
/* Flush, sync and rename over path; frees o whatever the outcome. */
int outfile_commit(outfile *o, af_err *e);
/* Remove the temporary file and free o. */
void outfile_abort(outfile *o);

#endif
