/*
** cli_generate.c: `afscore generate`: a synthetic population for demos,
** tests and benchmarks (gen.h).
*/
#include "cli.h"

#include "gen.h"

int cmd_generate(cli_opts *o) {
  if (!o->out || o->npos) return cli_usage_error(o, "needs --out DATA.db");
  gen_opts g = {o->families, (uint64_t)o->seed, o->shuffled, o->no_index};
  af_err e;
  double t0 = cli_now();
  if (gen_population(o->out, &g, &e) < 0) return cli_fail("%s", e.msg);
  fprintf(stderr, "generated %lld families into %s in %.1f s\n", o->families, o->out,
          cli_now() - t0);
  return 0;
}
