/* A lab's state file (/run/netlab/LAB/state) gone wrong: corrupt, truncated, a symbolic link, a
 * directory others can read. Commands say so, and `down` still removes everything, finding hosts
 * from their netns mounts and links from their aliases. The format itself: suite state_file
 * (test_units.c). */
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

static struct run r;

/* Break the state file of a fresh lab in some way; commands must say so, and `down` must still
 * remove everything, finding hosts from their netns mounts and links from their aliases. */
static void break_state_then_down(const char *how)
{
	char lab[16], path[64];
	pid_t pids[3];

	lab_up_unique(lab, how[0] == 's' ? "tsym" : how[0] == 't' ? "ttru" : "tcor", "2", "1");
	pids[0] = host_pid(lab, "h1");
	pids[1] = host_pid(lab, "h2");
	pids[2] = host_pid(lab, "e1");
	snprintf(path, sizeof(path), "/run/netlab/%s/state", lab);
	if (!strcmp(how, "symlink")) {
		cr_assert_eq(unlink(path), 0);
		cr_assert_eq(symlink("/etc/passwd", path), 0);
	} else if (!strcmp(how, "truncated")) {
		cr_assert_eq(truncate(path, 100), 0);
	} else {
		FILE *f = fopen(path, "w");
		fputs("netlab-state 1\nname \x01\x02garbage\n", f);
		fclose(f);
	}
	cr_assert_eq(nl(&r, "status", lab, NULL), 1, "%s", r.out);
	cr_assert(strstr(r.err, !strcmp(how, "symlink") ? "symbolic link" : "is corrupt"), "%s", r.err);
	cr_assert_eq(count_lines(r.err, "netlab: "), 1, "%s", r.err);
	char target[32];
	snprintf(target, sizeof(target), "%s/h1", lab);
	cr_assert_eq(nl(&r, "exec", target, "--", "true", NULL), 1);
	cr_assert_eq(nl(&r, "down", lab, NULL), 0, "%s", r.err);
	char what[128];
	cr_assert(!lab_leftovers(lab, pids, 3, what, sizeof(what)), "%s state: %s left", how, what);
}

Test(state, a_corrupt_state_file_is_reported_and_down_still_cleans, .timeout = 60)
{
	break_state_then_down("corrupt");
}

Test(state, a_truncated_state_file_is_reported_and_down_still_cleans, .timeout = 60)
{
	break_state_then_down("truncated");
}

Test(state, a_state_file_that_is_a_symlink_is_not_followed, .timeout = 60)
{
	break_state_then_down("symlink");
}

Test(state, a_state_directory_others_can_read_is_refused, .timeout = 60)
{
	char lab[16], dir[64];

	lab_up_unique(lab, "tprm", "1", "0");
	snprintf(dir, sizeof(dir), "/run/netlab/%s", lab);
	chmod(dir, 0755);
	nl(&r, "status", lab, NULL);
	int status = r.status;
	char err[512];
	snprintf(err, sizeof(err), "%.500s", r.err);
	chmod(dir, 0700);
	lab_down_quiet(lab);
	cr_assert_eq(status, 1);
	cr_assert(strstr(err, "not a root-owned directory with mode 0700"), "%s", err);
}
