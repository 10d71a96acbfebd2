/* netlab's command line: the command table and the dispatch. The commands are in cmd_*.c, what
 * they share in cli.c, what they print in print.c and print_json.c. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#ifndef NETLAB_VERSION
#define NETLAB_VERSION "0.1.0"
#endif

/* In the order of `netlab --help`. */
static const struct cli_command *const commands[] = {
	&cmd_up, &cmd_down, &cmd_status, &cmd_shell, &cmd_exec, &cmd_logs, &cmd_compare, &cmd_verify,
	&cmd_pingall, &cmd_console, &cmd_link, &cmd_graph, &cmd_clean, &cmd_doctor,
};

/* The help: on stdout when asked for, on stderr (with exit 2) when no command was given. */
static void usage(FILE *f)
{
	fprintf(f, "Usage: netlab COMMAND [ARGS...]\n\n"
		"Build small, real networks of hosts out of Linux namespaces on this machine.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nOptions:\n  -h, --help      show this help (netlab COMMAND --help for a command)\n"
		"  -V, --version   show the version\n\n"
		"Example: netlab up 2 && netlab exec h1 -- ping -c1 h2 && netlab down\n");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int fd;

	/* make sure fds 0-2 exist, so nothing we open lands on them */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	cli_set_argv0(argv[0]);
	util_proctitle_init(argc, argv);
	opterr = 0;	/* getopt's messages are worded by cli_options */
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("netlab %s\n", NETLAB_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i]->name))
			return cli_run(commands[i], argc - 1, argv + 1);
	return cli_usage_error("unknown command '%s'", cmd);
}
