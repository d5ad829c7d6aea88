/*
** isolate.c: run a function in a child process under CPU, address-space and
** wall-clock limits, and collect what it writes (see isolate.h).
*/
#include "isolate.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* RLIMIT_AS and AddressSanitizer do not mix: its shadow memory alone is
** terabytes of reserved address space. */
#if defined(__SANITIZE_ADDRESS__)
#define ISOLATE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISOLATE_ASAN 1
#endif
#endif
#ifndef ISOLATE_ASAN
#define ISOLATE_ASAN 0
#endif

struct isolate_pipe {
  int fd;
  size_t n;
  char buf[65536];
};

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int pipe_flush(isolate_pipe *p) {
  int r = write_all(p->fd, p->buf, p->n);
  p->n = 0;
  return r;
}

int isolate_put(void *pipe, const void *data, size_t n) {
  isolate_pipe *p = pipe;
  if (p->n + n > sizeof p->buf && pipe_flush(p) != 0) return -1;
  if (n > sizeof p->buf) return write_all(p->fd, data, n);
  memcpy(p->buf + p->n, data, n);
  p->n += n;
  return 0;
}

void *isolate_shared_new(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    fprintf(stderr, "afscore: out of memory (shared page)\n");
    abort();
  }
  return p;
}

void isolate_shared_free(void *p, size_t n) { munmap(p, n); }

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's current address-space size, or 0 when unknown. */
static size_t address_space(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!f) return 0;
  if (fscanf(f, "%lu", &pages) != 1) pages = 0;
  fclose(f);
  return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void set_limit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit rl = {soft, hard};
  setrlimit(resource, &rl);
}

/* In the child: limits, quiet standard streams, run, report. */
static void child_main(int (*fn)(void *, isolate_pipe *), void *ctx,
                       const isolate_limits *lim, int fd, size_t as_limit) {
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    close(null);
  }
  signal(SIGPIPE, SIG_DFL);
  set_limit(RLIMIT_CORE, 0, 0);
  rlim_t cpu = (rlim_t)ceil(lim->cpu_seconds > 0 ? lim->cpu_seconds : 1);
  set_limit(RLIMIT_CPU, cpu, cpu + 1); /* SIGXCPU, then SIGKILL a second later */
  if (as_limit) set_limit(RLIMIT_AS, as_limit, as_limit);
  static isolate_pipe p; /* static: 64 KiB is better off the stack */
  p.fd = fd;
  p.n = 0;
  int rc = fn(ctx, &p);
  if (pipe_flush(&p) != 0 && rc == 0) rc = 1;
  _exit(rc);
}

/* Read the child's reply until it closes the pipe, the reply passes the cap
** or the wall-clock limit passes. ISOLATE_OK when the pipe was closed. */
static isolate_status collect(int fd, const isolate_limits *lim, strbuf *reply) {
  assert(lim->wall_seconds > 0);
  double deadline = now_seconds() + lim->wall_seconds;
  char buf[65536];
  for (;;) {
    double left = deadline - now_seconds();
    if (left <= 0) return ISOLATE_WALL;
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, (int)(left * 1000) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue; /* re-check the deadline */
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ISOLATE_OK;
    if (lim->max_reply && reply->len + (size_t)n > lim->max_reply) return ISOLATE_MEMORY;
    sb_putn(reply, buf, (size_t)n);
  }
}

static int wait_child(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return st;
}

isolate_status isolate_run(int (*fn)(void *ctx, isolate_pipe *pipe), void *ctx,
                           const isolate_limits *lim, strbuf *reply, af_err *e) {
  int fds[2];
  if (pipe(fds) != 0) {
    af_fail(e, "cannot start the script's process: %s", strerror(errno));
    return ISOLATE_FAILED;
  }
  size_t as_limit = 0, now = ISOLATE_ASAN ? 0 : address_space();
  if (lim->memory && now) as_limit = now + lim->memory;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    af_fail(e, "cannot start the script's process: %s", strerror(errno));
    return ISOLATE_FAILED;
  }
  if (pid == 0) {
    close(fds[0]);
    child_main(fn, ctx, lim, fds[1], as_limit);
  }
  close(fds[1]);
  isolate_status s = collect(fds[0], lim, reply);
  if (s != ISOLATE_OK) kill(pid, SIGKILL);
  close(fds[0]);
  int st = wait_child(pid);
  if (s != ISOLATE_OK) return s;
  if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) return ISOLATE_OK;
  if (st >= 0 && WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    if (sig == SIGXCPU || sig == SIGKILL) return ISOLATE_TIME;
    /* out of address space: malloc fails (abort) or the stack cannot grow */
    if (as_limit && (sig == SIGABRT || sig == SIGSEGV || sig == SIGBUS)) return ISOLATE_MEMORY;
    af_fail(e, "the script's process was ended by signal %d (%s)", sig, strsignal(sig));
    return ISOLATE_FAILED;
  }
  af_fail(e, "the script's process failed (status %d)", st >= 0 && WIFEXITED(st)
                                                             ? WEXITSTATUS(st) : -1);
  return ISOLATE_FAILED;
}
