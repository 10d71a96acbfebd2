/* The command line's shared pieces: exit codes, error messages, the one option parser (driven by
 * each command's table, which also writes the options of its --help), lab arguments, colour.
 * Only the CLI (main.c, cli.c, cmd_*.c, print.c) prints or exits (HACKING.md, "Layout"). */
#ifndef NETLAB_CLI_H
#define NETLAB_CLI_H

#include <getopt.h>	/* optind: where cli_options left off */
#include <stdbool.h>

#include "error.h"
#include "state.h"

/* netlab's exit codes; a command run in a host passes its own through (exec, shell). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Keys of options without a short form start here, above every letter. */
#define CLI_LONG_ONLY 0x100

/* One option of a command: parsed by cli_options and shown by --help from the same entry. */
struct cli_opt {
	const char *name;	/* the long option, without "--" */
	int key;		/* a letter, also the short option -K; or CLI_LONG_ONLY + n */
	const char *arg;	/* the value's name in --help ("LAB"); NULL: the option takes none */
	const char *help;	/* its --help text; '\n' goes on in the help column of the next line */
};

struct cli_command {
	const char *name;
	const char *summary;		/* its line in `netlab --help` */
	int (*run)(const struct cli_command *self, int argc, char **argv);	/* an exit code */
	const char *usage;		/* --help before the options: "Usage: ...\n\nWhat it does.\n" */
	const char *options_title;	/* NULL: "Options:" */
	int column;			/* where the options' help text starts in --help */
	const struct cli_opt *opts;	/* ends with { NULL }; -h, --help comes last on its own */
	const char *example;		/* --help after the options, or NULL */
	bool in_order;			/* options end at the first operand (exec: a command follows) */
};

/* The commands, one file per group (cmd_lab.c, cmd_host.c, cmd_lesson.c); main.c lists them. */
extern const struct cli_command cmd_up, cmd_down, cmd_status, cmd_clean, cmd_graph;
extern const struct cli_command cmd_exec, cmd_shell, cmd_console, cmd_link, cmd_logs;
extern const struct cli_command cmd_compare, cmd_verify, cmd_pingall, cmd_doctor;

/* Remember argv[0], as the user ran netlab, for cli_self. */
void cli_set_argv0(const char *argv0);

/* Run cmd with its arguments (argv[0] is the command's name): the usage errors it prints name
 * it. Returns the exit code. */
int cli_run(const struct cli_command *cmd, int argc, char **argv);

/* What cli_options returns when the command goes on: optind is at its first operand. */
#define CLI_CONTINUE (-1)

/* Parse the options of argv by cmd's table, from optind on, handing each to on_opt(key, its value
 * or NULL, ctx), which returns 0 to go on or an exit code to stop with (usually a usage error's).
 * -h/--help prints the command's help (EXIT_OK); an unknown option or one missing its value is a
 * usage error (EXIT_USAGE). Returns CLI_CONTINUE, or the exit code to end the command with.
 * cmd->in_order: stops at the first operand; call again to read options after it. */
int cli_options(const struct cli_command *cmd, int argc, char **argv,
		int (*on_opt)(int key, const char *arg, void *ctx), void *ctx);

/* "netlab: <message>" and "Try 'netlab CMD --help' for more information." on stderr. Returns
 * EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print *err (a usage error as cli_usage_error does), free it, and return the exit code of its
 * kind: EXIT_USAGE, EXIT_FAIL, or 128+signal when a signal interrupted the operation. */
int cli_fail(struct lab_error **err);

/* An option's value that names a lab (-l LAB, --name LAB): checked, then stored in *out. Returns 0
 * or the exit code of a usage error (printed). */
int cli_lab_opt(const char *arg, const char **out);

/* The optional [LAB] operand at optind: NULL when there is none; a usage error (its exit code in
 * *bad, else *bad is 0) for a bad name or a second operand. */
const char *cli_lab_arg(int argc, char **argv, int *bad);

/* The options (as cli_options), then the optional [LAB] operand, then that lab loaded into *out
 * (or the only one that is up, when none is named: lab_load_default; state_free it).
 * Returns CLI_CONTINUE with *out loaded, or the exit code to end the command with. */
int cli_options_lab(const struct cli_command *cmd, int argc, char **argv,
		    int (*on_opt)(int key, const char *arg, void *ctx), void *ctx, struct lab *out);

/* netlab as this user can run it again, for the commands we print: "netlab" when that is this
 * binary on PATH, else the path it was run by ("./netlab"), quoted for the shell where needed. */
const char *cli_self(void);

/* Colour only on a terminal, and never when NO_COLOR is set (no-color.org). */
bool cli_colour(void);
#define GREEN(s) (cli_colour() ? "\033[32m" s "\033[0m" : s)
#define RED(s) (cli_colour() ? "\033[1;31m" s "\033[0m" : s)
#define YELLOW(s) (cli_colour() ? "\033[33m" s "\033[0m" : s)

#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)	/* a number's #define as text, for help lines */

#endif
