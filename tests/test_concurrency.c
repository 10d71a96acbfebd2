/* Labs started at once: the same name from four shells succeeds exactly once; different labs get
 * distinct subnets and work. */
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
