/* The command line: usage errors exit 2 with one line and change nothing; --help and --version. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */

Test(cli, usage_errors_exit_2_and_change_nothing)
{
	static const char *const cases[][8] = {
		{ "frobnicate", NULL },
		{ "up", "--bogus", NULL },
		{ "up", "0", "--name", "tbad", NULL },
		{ "up", "-1", "--name", "tbad", NULL },
		{ "up", "abc", "--name", "tbad", NULL },
		{ "up", "99999", "--name", "tbad", NULL },
		{ "up", "2", "3", "--name", "tbad", NULL },
		{ "up", "--name", NULL },
		{ "up", "--name", "tbad", "--subnet", "10.0.0.0/33", NULL },
		{ "up", "--name", "tbad", "--subnet", "10.99.13.7/24", NULL },
		{ "up", "--name", "tbad", "--subnet", "8.8.8.0/24", NULL },
		{ "up", "--name", "tbad", "--subnet", "banana", NULL },
		{ "up", "300", "--name", "tbad", "--subnet", "10.99.13.0/24", NULL },
		{ "up", "--name", "tbadtoolongforalab", NULL },
		{ "up", "--name", "t/bad", NULL },
		{ "up", "--name", "..", NULL },
		{ "up", "--name", "t bad", NULL },
		{ "up", "--name", "t;rm", NULL },
		{ "up", "--empty", "1000", "--name", "tbad", NULL },
		{ "down", "a/b", NULL },
		{ "down", "--all", "lab", NULL },
		{ "exec", NULL },
		{ "exec", "h1", NULL },
		{ "exec", "h1", "--", NULL },
		{ "exec", "../h1", "--", "true", NULL },
		{ "shell", NULL },
		{ "status", "x-y", NULL },
		{ "clean", "extra", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = { (char *)netlab_bin() };
		for (int j = 0; cases[i][j]; j++)
			argv[j + 1] = (char *)cases[i][j];
		run_argv(&r, argv);
		cr_expect_eq(r.status, 2, "case %zu (%s %s): exit %d", i, cases[i][0],
			     cases[i][1] ? cases[i][1] : "", r.status);
		cr_expect(strstr(r.err, "netlab: ") && strstr(r.err, "--help"), "case %zu: %s", i, r.err);
		cr_expect_eq(count_lines(r.err, "netlab: "), 1, "case %zu: one line: %s", i, r.err);
	}
	/* the README's wording */
	cr_assert_eq(nl(&r, "up", "--name", "tbad", "--subnet", "10.0.0.0/33", NULL), 2);
	cr_assert(strstr(r.err, "prefix length must be between /8 and /30"), "%s", r.err);
	assert_lab_gone("tbad", NULL, 0);
}

Test(cli, help_and_version_exit_0)
{
	static const char *const cmds[] = { "up", "down", "status", "exec", "shell", "clean", "compare",
					    "verify", "pingall", "doctor", "link", "console" };

	cr_assert_eq(nl(&r, "--help", NULL), 0);
	cr_assert(strstr(r.out, "Usage: netlab"), "%s", r.out);
	cr_assert_eq(nl(&r, "--version", NULL), 0);
	cr_assert(!strncmp(r.out, "netlab ", 7));
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cr_assert_eq(nl(&r, cmds[i], "--help", NULL), 0, "%s --help", cmds[i]);
		cr_assert(strstr(r.out, "Usage: netlab "), "%s", r.out);
	}
}
