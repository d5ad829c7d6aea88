/*
** cli.h: the afscore command line (check, score, compare, replay, explain,
** sweep, runs, generate). Returns the process exit status: 0 success, 1 the
** work failed or the check found errors, 2 usage error.
*/
#ifndef AF_CLI_H
#define AF_CLI_H

int cli_main(int argc, char **argv);

#endif
