/*
** cli_merge.c: `afscore merge`: combine the partial runs written by
** `score --partition I/N` into one recorded run (merge.h).
**
** The output is a results database of its own, written beside its path and
** renamed over it only when the merged run is committed: a refused or failed
** merge leaves no file (and an existing one, kept unless --force, as it was).
** A merge ended by SIGINT, SIGTERM or SIGHUP removes it too; one killed
** outright (SIGKILL) leaves its temporary file (OUT.tmp-XXXXXX, and a
** -journal beside it), which holds no finished run and may be deleted.
*/
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "outfile.h"

/* May o->out be written? 0, or the exit status after saying why not. */
static int merge_check_out(const cli_opts *o) {
  for (int i = 0; i < o->npos; i++)
    if (outfile_same(o->out, o->pos[i]))
      return cli_fail("%s: refusing to write over %s, an input of this command", o->out,
                      o->pos[i]);
  if (access(o->out, F_OK) != 0) return 0;
  if (!o->force) return cli_fail("%s: already exists (--force replaces it)", o->out);
  char *wal = af_sprintf("%s-wal", o->out);
  int busy = access(wal, F_OK) == 0;
  free(wal);
  if (busy)
    return cli_fail("%s: its write-ahead log %s-wal is there (another process may be using it); "
                    "not replaced", o->out, o->out);
  af_err e;
  return af_check_regular(o->out, &e) < 0 ? cli_fail("%s", e.msg) : 0;
}

/* ---- the temporary file, and a merge ended by a signal ----
** SIGINT, SIGTERM (how Slurm's scancel and Kubernetes end a job) and SIGHUP
** remove the temporary file and SQLite's files beside it, then end the
** process as the signal would have. The paths are made before the handler
** is armed, with the signals blocked, so a signal that comes while the
** temporary file exists always finds them; the handler only reads them and
** calls unlink, signal and raise, which are async-signal-safe. (SIGKILL
** cannot be caught: commands.md says what it leaves.) */
static const int merge_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define MERGE_NSIGNALS ((int)(sizeof merge_signals / sizeof *merge_signals))
/* The temporary results database and SQLite's files beside it. */
#define MERGE_NFILES 4
static const char *const merge_ext[MERGE_NFILES] = {"", "-wal", "-shm", "-journal"};
static char *merge_tmp_path[MERGE_NFILES];
static volatile sig_atomic_t merge_sig_armed;

/* Remove the temporary file and SQLite's files beside it (a run not finished). */
static void merge_remove(void) {
  assert(merge_tmp_path[0]);
  for (int i = 0; i < MERGE_NFILES; i++) unlink(merge_tmp_path[i]);
}

static void merge_on_signal(int sig) {
  if (merge_sig_armed) merge_remove();
  signal(sig, SIG_DFL);
  raise(sig);    /* pending until the handler returns, then ends the process */
}

static void merge_block_signals(int how) {
  sigset_t set;
  sigemptyset(&set);
  for (int i = 0; i < MERGE_NSIGNALS; i++) sigaddset(&set, merge_signals[i]);
  pthread_sigmask(how, &set, NULL);
}

/* The temporary file beside out (outfile_reserve), with the handler armed
** for it; NULL with e set. */
static char *merge_reserve(const char *out, af_err *e) {
  assert(!merge_sig_armed);
  merge_block_signals(SIG_BLOCK);
  char *tmp = outfile_reserve(out, e);
  if (tmp) {
    for (int i = 0; i < MERGE_NFILES; i++) merge_tmp_path[i] = af_sprintf("%s%s", tmp, merge_ext[i]);
    merge_sig_armed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = merge_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < MERGE_NSIGNALS; i++) sigaction(merge_signals[i], &sa, NULL);
  }
  merge_block_signals(SIG_UNBLOCK);
  return tmp;
}

/* The temporary file is renamed or removed: the signals end the process
** again as they did. */
static void merge_disarm(void) {
  merge_block_signals(SIG_BLOCK);
  merge_sig_armed = 0;
  for (int i = 0; i < MERGE_NSIGNALS; i++) signal(merge_signals[i], SIG_DFL);
  for (int i = 0; i < MERGE_NFILES; i++) {
    free(merge_tmp_path[i]);
    merge_tmp_path[i] = NULL;
  }
  merge_block_signals(SIG_UNBLOCK);
}

/* e's message with the temporary file's name tmp given as out's, the file
** the user named (the temporary one is removed with the failed merge). */
static char *merge_message(const af_err *e, const char *tmp, const char *out) {
  strbuf b = {0};
  size_t n = strlen(tmp);
  assert(n > 0);
  for (const char *p = e->msg, *q; *p; p = q + n) {
    if (!(q = strstr(p, tmp))) {
      sb_puts(&b, p);
      break;
    }
    sb_putn(&b, p, (size_t)(q - p));
    sb_puts(&b, out);
  }
  return sb_take(&b);
}

int cmd_merge(cli_opts *o) {
  if (!o->out || o->npos < 1)
    return cli_usage_error(o, "needs --out RESULTS.db and the partial results databases");
  int rc = merge_check_out(o);
  if (rc) return rc;
  af_err e;
  /* A name of its own (mkstemp), so that no other file is ever removed:
  ** not another merge's, even one with this pid on another machine that
  ** shares the directory. */
  char *tmp = merge_reserve(o->out, &e);
  if (!tmp) return cli_fail("%s", e.msg);
  merge_result res;
  double t0 = cli_now();
  rc = merge_partials(o->pos, o->npos, tmp, o->threads, &res, &e);
  if (rc == 0 && rename(tmp, o->out) != 0)
    rc = af_fail(&e, "%s: cannot write: %s", o->out, strerror(errno));
  if (rc != 0) merge_remove();
  merge_disarm();
  if (rc != 0) {
    char *msg = merge_message(&e, tmp, o->out);
    free(tmp);
    merge_result_free(&res);
    rc = cli_fail("%s", msg);
    free(msg);
    return rc;
  }
  free(tmp);
  if (o->json)
    printf("%s\n", res.summary_json);
  else
    printf("merged %lld partitions into %s as run %lld: %lld units, results digest %s\n",
           (long long)res.nparts, o->out, (long long)res.run_id, (long long)res.units,
           res.rows_sha256);
  fprintf(stderr, "merged in %.1f s\n", cli_now() - t0);
  merge_result_free(&res);
  return 0;
}
