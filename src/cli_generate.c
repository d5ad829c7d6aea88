/*
** cli_generate.c: `afscore generate`: a synthetic population for demos,
** tests and benchmarks (gen.h).
*/
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

int cmd_generate(cli_opts *o) {
  if (!o->out || o->npos) return cli_usage_error(o, "needs --out DATA.db");
  gen_opts g = {o->families, (uint64_t)o->seed, GEN_KEY, o->no_index};
  if (o->layout && gen_layout_parse(o->layout, &g.layout) < 0)
    return cli_usage_error(o, "--layout must be key, registry or shuffled, not '%s'", o->layout);
  af_err e;
  double t0 = cli_now();
  if (access(o->out, F_OK) == 0 && !o->force)
    return cli_fail("%s: already exists (--force replaces it)", o->out);
  /* Generated beside the target and renamed over it only when complete. */
  char *tmp = af_sprintf("%s.tmp-%ld", o->out, (long)getpid());
  int rc = gen_population(tmp, &g, &e);
  if (rc == 0 && rename(tmp, o->out) != 0) {
    rc = af_fail(&e, "%s: cannot write: %s", o->out, strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  if (rc < 0) return cli_fail("%s", e.msg);
  af_textf(stderr, "generated %lld families into %s in %.1f s\n", o->families, o->out,
          cli_now() - t0);
  return 0;
}
