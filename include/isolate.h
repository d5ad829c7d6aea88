/*
** isolate.h: run a function in a child process under limits the child
** cannot escape, and get back the bytes it writes.
**
** A methodology script is untrusted code: inside a single C library call
** (a pattern match, table.insert with a huge __len) no Lua hook fires, so
** only the kernel can stop it. The child gets RLIMIT_CPU (CPU time, so a
** busy machine does not shorten it), RLIMIT_AS as a backstop for memory
** (not under AddressSanitizer, which reserves terabytes of address space)
** and no core dumps. The parent kills it when a wall-clock limit passes (CPU
** time alone can take much longer on a busy machine) and when its reply
** grows past a cap.
*/
#ifndef AF_ISOLATE_H
#define AF_ISOLATE_H

#include <stddef.h>

#include "util.h"

typedef struct isolate_limits {
  double cpu_seconds;   /* RLIMIT_CPU, rounded up to whole seconds (> 0) */
  size_t memory;        /* address space the child may add; 0: no RLIMIT_AS */
  double wall_seconds;  /* the parent kills the child after this (> 0) */
  size_t max_reply;     /* the parent kills the child past this many bytes */
} isolate_limits;

typedef enum isolate_status {
  ISOLATE_OK = 0,       /* the child exited with status 0; reply complete */
  ISOLATE_TIME,         /* the CPU limit */
  ISOLATE_WALL,         /* the wall-clock limit */
  ISOLATE_MEMORY,       /* address-space limit, or the reply cap */
  ISOLATE_FAILED        /* anything else (e->msg says what) */
} isolate_status;

/* The child's end of the pipe, for isolate_put. */
typedef struct isolate_pipe isolate_pipe;
/* Buffered write to the parent: 0, or -1 when the parent is gone. */
int isolate_put(void *pipe, const void *p, size_t n);

/* Memory shared with the child (zeroed), for what it must tell even when it
** is killed; free with isolate_shared_free. */
void *isolate_shared_new(size_t n);
void isolate_shared_free(void *p, size_t n);

/* Run fn(ctx, pipe) in a child process under lim. Its return value becomes
** the child's exit status. reply receives everything it wrote. */
isolate_status isolate_run(int (*fn)(void *ctx, isolate_pipe *pipe), void *ctx,
                           const isolate_limits *lim, strbuf *reply, af_err *e);

#endif
