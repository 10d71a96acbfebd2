/* The command line's shared pieces (cli.h): option parsing and --help from one table per command,
 * usage errors, failures and their exit codes. */
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "names.h"
#include "output.h"

#define CLI_OPTS_MAX 31		/* options of one command, -h/--help aside */

static const char *argv0 = "netlab";		/* as invoked */
static const struct cli_command *current;	/* the command being run, for the "Try" line */

void cli_set_argv0(const char *arg)
{
	argv0 = arg && arg[0] ? arg : "netlab";
}

int cli_run(const struct cli_command *cmd, int argc, char **argv)
{
	current = cmd;
	optind = 1;
	return cmd->run(cmd, argc, argv);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("netlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'netlab %s%s--help' for more information.\n",
		current ? current->name : "", current ? " " : "");
	return EXIT_USAGE;
}

int cli_fail(struct lab_error **err)
{
	char buf[1024];
	int code = EXIT_FAIL;

	if (*err && (*err)->kind == LAB_ERR_USAGE) {
		code = cli_usage_error("%s", (*err)->msg);
		lab_err_free(err);
		return code;
	}
	/* messages can carry host-made names: escaped like everything printed from a host */
	fprintf(stderr, "netlab: %s\n", out_safe(lab_err_str(*err, buf, sizeof(buf))));
	if (*err && (*err)->kind == LAB_ERR_INTERRUPTED)
		code = 128 + (*err)->signo;	/* the shell's convention */
	lab_err_free(err);
	return code;
}

/* getopt's complaint, worded by us (opterr is 0; optstrings start with ':'). */
static int bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error("option '%s' needs a value", arg);
	if (optopt > 0 && optopt < CLI_LONG_ONLY)
		return cli_usage_error("unknown option '-%c'", optopt);
	return cli_usage_error("unknown option '%s'", arg);
}

static const struct cli_opt help_opt = { "help", 'h', NULL, "show this help" };

/* "  -n, --name LAB      lab name ...": the entry's text from the command's column on (at least
 * two spaces after the option), its continuation lines aligned there. */
static void print_opt(const struct cli_opt *o, int column)
{
	int n = o->key < CLI_LONG_ONLY ? printf("  -%c, --%s", o->key, o->name) : printf("      --%s", o->name);

	if (o->arg)
		n += printf(" %s", o->arg);
	printf("%*s", (n + 2 > column ? 2 : column - n), "");
	for (const char *p = o->help; *p; p++) {
		putchar(*p);
		if (*p == '\n')
			printf("%*s", column, "");
	}
	putchar('\n');
}

static void print_help(const struct cli_command *cmd)
{
	fputs(cmd->usage, stdout);
	printf("\n%s\n", cmd->options_title ? cmd->options_title : "Options:");
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
		print_opt(o, cmd->column);
	print_opt(&help_opt, cmd->column);
	if (cmd->example)
		printf("\n%s", cmd->example);
}

int cli_options(const struct cli_command *cmd, int argc, char **argv,
		int (*on_opt)(int key, const char *arg, void *ctx), void *ctx)
{
	struct option longs[CLI_OPTS_MAX + 2];
	char shorts[3 * CLI_OPTS_MAX + 6], *s = shorts;
	size_t n = 0;
	int c, r;

	if (cmd->in_order)
		*s++ = '+';	/* stop at the first operand */
	*s++ = ':';		/* a missing value is ':', not '?' (bad_option words both) */
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++, n++) {
		if (n == CLI_OPTS_MAX) {
			fprintf(stderr, "netlab: %s has more than %d options\n", cmd->name, CLI_OPTS_MAX);
			return EXIT_FAIL;
		}
		longs[n] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL, o->key };
		if (o->key < CLI_LONG_ONLY) {
			*s++ = (char)o->key;
			if (o->arg)
				*s++ = ':';
		}
	}
	longs[n++] = (struct option){ help_opt.name, no_argument, NULL, help_opt.key };
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	*s++ = (char)help_opt.key;
	*s = '\0';

	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == help_opt.key) {
			print_help(cmd);
			return EXIT_OK;
		}
		if (c == '?' || c == ':')
			return bad_option(c, argv);
		if (on_opt && (r = on_opt(c, optarg, ctx)) != 0)
			return r;
	}
	return CLI_CONTINUE;
}

const char *cli_lab_arg(int argc, char **argv, int *bad)
{
	struct lab_error *err = NULL;

	*bad = 0;
	if (optind >= argc)
		return NULL;
	if (optind + 1 < argc) {
		*bad = cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
		return NULL;
	}
	if (names_check_lab(argv[optind], &err) < 0) {
		*bad = cli_fail(&err);
		return NULL;
	}
	return argv[optind];
}

int cli_lab_opt(const char *arg, const char **out)
{
	struct lab_error *err = NULL;

	if (names_check_lab(arg, &err) < 0)
		return cli_fail(&err);
	*out = arg;
	return 0;
}

int cli_options_lab(const struct cli_command *cmd, int argc, char **argv,
		    int (*on_opt)(int key, const char *arg, void *ctx), void *ctx, struct lab *out)
{
	struct lab_error *err = NULL;
	const char *name;
	int r;

	if ((r = cli_options(cmd, argc, argv, on_opt, ctx)) != CLI_CONTINUE)
		return r;
	name = cli_lab_arg(argc, argv, &r);
	if (r)
		return r;
	if (lab_load_default(name, out, &err) < 0)
		return cli_fail(&err);
	return CLI_CONTINUE;
}

const char *cli_self(void)
{
	static char buf[512];
	struct stat self, st;
	const char *path = getenv("PATH");
	bool plain = true;

	if (buf[0])
		return buf;
	if (!strchr(argv0, '/') || stat("/proc/self/exe", &self) < 0)
		return snprintf(buf, sizeof(buf), "netlab"), buf;
	for (const char *p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");
		char cand[PATH_MAX];

		if (n && (size_t)snprintf(cand, sizeof(cand), "%.*s/netlab", (int)n, p) < sizeof(cand) &&
		    stat(cand, &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino)
			return snprintf(buf, sizeof(buf), "netlab"), buf;
		p += n + (p[n] == ':');
	}
	for (const char *c = argv0; *c; c++)
		plain &= !!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:,@%=",
				  *c);
	if (plain)
		snprintf(buf, sizeof(buf), "%s", argv0);
	else if (!strchr(argv0, '\''))
		snprintf(buf, sizeof(buf), "'%s'", argv0);
	else
		snprintf(buf, sizeof(buf), "netlab");
	return buf;
}

bool cli_colour(void)
{
	static int on = -1;

	if (on < 0)
		on = isatty(1) && !getenv("NO_COLOR");
	return on;
}
