/*
** cli.c: the afscore command line.
*/
#include "cli.h"
#include <stdio.h>

int cli_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "afscore: not yet\n");
  return 2;
}
