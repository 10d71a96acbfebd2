/* `netlab down`: it leaves nothing and is idempotent, with a dead host, a reused PID, /run/netns
 * covered by `ip netns add` or a tmpfs, and without a lab name. On real labs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */

Test(down, down_leaves_nothing_and_is_idempotent, .timeout = 60)
{
	pid_t pids[3];

	lab_up_or_die("tdown", "10.99.2.0/24", "2", "1");
	pids[0] = host_pid("tdown", "h1");
	pids[1] = host_pid("tdown", "h2");
	pids[2] = host_pid("tdown", "e1");
	cr_assert_eq(nl(&r, "down", "tdown", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "lab \"tdown\" down"), "%s", r.out);
	assert_lab_gone("tdown", pids, 3);
	cr_assert_eq(nl(&r, "down", "tdown", NULL), 0);
	cr_assert(strstr(r.out, "nothing to do"), "%s", r.out);
}

Test(down, a_dead_host_shows_dead_and_down_still_cleans_up, .timeout = 60)
{
	pid_t pids[2];

	lab_up_or_die("tdead", "10.99.6.0/24", "2", "0");
	pids[0] = host_pid("tdead", "h1");
	pids[1] = host_pid("tdead", "h2");
	cr_assert_eq(kill(pids[1], SIGKILL), 0);
	for (int i = 0; i < 100 && kill(pids[1], 0) == 0; i++) {
		char p[64];
		struct stat st;
		snprintf(p, sizeof(p), "/proc/%d/stat", (int)pids[1]);
		FILE *f = fopen(p, "r");
		char buf[256] = "";
		if (f) {
			(void)!fgets(buf, sizeof(buf), f);
			fclose(f);
		}
		if (!f || strstr(buf, ") Z "))
			break;
		(void)st;
		usleep(20000);
	}
	cr_assert_eq(nl(&r, "status", "tdead", NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "DEAD"), 1, "%s", r.out);
	cr_assert_eq(nl(&r, "exec", "tdead/h2", "--", "true", NULL), 1);
	cr_assert(strstr(r.err, "not running any more"), "%s", r.err);
	cr_assert_eq(nl(&r, "down", "tdead", NULL), 0, "%s", r.err);
	assert_lab_gone("tdead", pids, 2);
}

Test(down, a_reused_pid_is_never_joined_or_signalled, .timeout = 60)
{
	char path[] = "/run/netlab/treuse/state", buf[4096], *p;
	pid_t pid;
	FILE *f;
	size_t n;

	lab_up_or_die("treuse", "10.99.7.0/24", "1", "0");
	pid = host_pid("treuse", "h1");
	/* make the record claim another start time: as if PID `pid` now were some other process */
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "host h1 ");
	cr_assert_not_null(p);
	p = strchr(p + strlen("host h1 "), ' ');	/* "host h1 PID START ...": the start time */
	cr_assert_not_null(p);
	p[1] = p[1] == '9' ? '8' : p[1] + 1;
	f = fopen(path, "w");
	fputs(buf, f);
	fclose(f);

	cr_assert_eq(nl(&r, "exec", "treuse/h1", "--", "true", NULL), 1);
	cr_assert(strstr(r.err, "not running any more"), "%s", r.err);
	cr_assert_eq(nl(&r, "down", "treuse", NULL), 0, "%s", r.err);
	cr_assert_eq(kill(pid, 0), 0, "down signalled a process that is not (any more) its host");
	kill(pid, SIGKILL);	/* ours: the test made it look foreign */
	usleep(100000);
	assert_lab_gone("treuse", &pid, 1);
}

static char NSLAB[16];
static void down_nslab(void) { if (*NSLAB) lab_down_quiet(NSLAB); }

Test(down, down_finishes_after_ip_netns_add_covered_the_lab_mounts, .fini = down_nslab,
     .timeout = 60)
{
	pid_t pids[2];

	own_mount_ns();
	lab_up_unique(NSLAB, "tna", "2", "0");
	pids[0] = host_pid(NSLAB, "h1");
	pids[1] = host_pid(NSLAB, "h2");
	cover_with_ip_netns();
	cr_assert_eq(nl(&r, "down", NSLAB, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, " down, "), "%s", r.out);
	assert_lab_gone(NSLAB, pids, 2);
	cr_assert_eq(nl(&r, "status", NSLAB, NULL), 1, "the lab is gone: %s", r.out);
}

Test(down, down_finishes_under_a_tmpfs_over_run_netns_and_stacked_mounts, .fini = down_nslab,
     .timeout = 60)
{
	char path[64];
	pid_t pids[2];
	int st;

	own_mount_ns();
	lab_up_unique(NSLAB, "tnt", "1", "1");
	pids[0] = host_pid(NSLAB, "h1");
	pids[1] = host_pid(NSLAB, "e1");
	snprintf(path, sizeof(path), "/run/netns/%s-h1", NSLAB);
	cr_assert_eq(run(&r, "mount", "--bind", "/etc/hostname", path, NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "mount", "-t", "tmpfs", "tnt", "/run/netns", NULL), 0, "%s", r.err);
	nl(&r, "down", NSLAB, NULL);
	st = r.status;
	umount2("/run/netns", MNT_DETACH);	/* the test's tmpfs: what is under it shows again */
	cr_assert_eq(st, 0, "%s", r.err);
	assert_lab_gone(NSLAB, pids, 2);
}

static char DN1[16], DN2[16];

static void down_dn(void)
{
	if (*DN1)
		lab_down_quiet(DN1);
	if (*DN2)
		lab_down_quiet(DN2);
}

Test(down, down_without_a_name_takes_the_only_lab_and_refuses_among_several, .fini = down_dn,
     .timeout = 60)
{
	char want[128], dir[64];

	/* on the machine: other tests' labs may be up too, so either answer, but never "lab" */
	lab_up_unique(DN1, "tdn", "1", "0");
	nl(&r, "down", NULL);
	if (r.status == 0) {
		snprintf(want, sizeof(want), "lab \"%s\" down", DN1);
		cr_assert(strstr(r.out, want), "%s", r.out);
	} else {
		cr_assert_eq(r.status, 1, "%s", r.err);
		cr_assert(strstr(r.err, "several labs are up: name one (") && strstr(r.err, DN1), "%s",
			  r.err);
		snprintf(want, sizeof(want), "%s/h1", DN1);
		cr_assert_eq(nl(&r, "exec", want, "--", "true", NULL), 0, "refused, and the lab is still up");
		lab_down_quiet(DN1);
	}
	assert_lab_gone(DN1, NULL, 0);

	/* the exact cases, in a /run of the test's own (a tmpfs in its mount namespace, so that no
	 * other test's lab shows): two labs recorded, then one, then none */
	own_mount_ns();
	cr_assert_eq(run(&r, "mount", "-t", "tmpfs", "-o", "mode=0755", "tdn", "/run", NULL), 0, "%s",
		     r.err);
	cr_assert_eq(mkdir("/run/netlab", 0700), 0);
	snprintf(DN2, sizeof(DN2), "tdo%d", (int)(getpid() % 100000));
	snprintf(dir, sizeof(dir), "/run/netlab/%s", DN2);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "/run/netlab/tdp%d", (int)(getpid() % 100000));
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(nl(&r, "down", NULL), 1, "%s", r.out);
	snprintf(want, sizeof(want), "several labs are up: name one (%s, %s)", DN2, dir + 12);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert_eq(rmdir(dir), 0);
	cr_assert_eq(nl(&r, "down", NULL), 0, "%s", r.err);
	snprintf(want, sizeof(want), "lab \"%s\" down", DN2);
	cr_assert(strstr(r.out, want), "%s", r.out);
	cr_assert_eq(nl(&r, "down", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "no lab is up: nothing to do"), "%s", r.out);
	umount2("/run", MNT_DETACH);
	*DN2 = '\0';
}
