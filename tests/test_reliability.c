/* Concurrency and defensive state handling, on real labs. */
#include <criterion/criterion.h>
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

static pid_t start_up(const char *name, const char *subnet)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 1);
		dup2(fd, 2);
		if (subnet)
			execl(netlab_bin(), "netlab", "up", "1", "--name", name, "--subnet", subnet, "-q", NULL);
		else
			execl(netlab_bin(), "netlab", "up", "2", "--name", name, "--empty", "0", "-q", NULL);
		_exit(127);
	}
	return pid;
}

static int wait_code(pid_t pid)
{
	int status;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(concurrency, the_same_name_from_four_shells_succeeds_exactly_once, .timeout = 60)
{
	pid_t p[4];
	int ok = 0, refused = 0;
	char lab[16];

	snprintf(lab, sizeof(lab), "ts%d", (int)(getpid() % 100000));
	for (int i = 0; i < 4; i++)
		p[i] = start_up(lab, "10.99.20.0/24");
	for (int i = 0; i < 4; i++) {
		int c = wait_code(p[i]);
		ok += c == 0;
		refused += c == 1;
	}
	cr_assert_eq(ok, 1, "%d of 4 concurrent 'up' of one lab succeeded", ok);
	cr_assert_eq(refused, 3);
	cr_assert_eq(nl(&r, "verify", lab, NULL), 0, "%s", r.out);
	lab_down_quiet(lab);

	char what[128];
	cr_assert(!lab_leftovers(lab, NULL, 0, what, sizeof(what)), "%s", what);
}

Test(concurrency, labs_started_together_get_distinct_subnets_and_work, .timeout = 60)
{
	char names[4][32], subnets[4][32] = { "" }, path[80], line[128];
	pid_t p[4];

	for (int i = 0; i < 4; i++) {
		snprintf(names[i], sizeof(names[i]), "tp%d%u", i, (unsigned)getpid() % 10000u);
		p[i] = start_up(names[i], NULL);
	}
	for (int i = 0; i < 4; i++)
		cr_assert_eq(wait_code(p[i]), 0, "lab %s", names[i]);
	for (int i = 0; i < 4; i++) {
		FILE *f;
		snprintf(path, sizeof(path), "/run/netlab/%s/state", names[i]);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		while (fgets(line, sizeof(line), f))
			sscanf(line, "segment %*s %*s %31s", subnets[i]);
		fclose(f);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(subnets[i], subnets[j], "labs %s and %s share %s", names[i],
					  names[j], subnets[i]);
		cr_assert_eq(nl(&r, "pingall", names[i], "-W", "2", NULL), 0, "%s", r.out);
	}
	for (int i = 0; i < 4; i++) {
		char what[128];
		lab_down_quiet(names[i]);
		cr_assert(!lab_leftovers(names[i], NULL, 0, what, sizeof(what)), "%s", what);
	}
}

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
