/* A failed or interrupted `up` undoes what it made, and only that: a failure injected at every step
 * (NETLAB_FAIL_AT), SIGTERM/SIGINT/SIGHUP at every step (NETLAB_STOP_AT), a netns entry another
 * tool made meanwhile. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */

Test(rollback, every_failed_step_rolls_back_completely, .timeout = 120)
{
	int failed = 0, succeeded = 0;

	for (int k = 1; k <= 16; k++) {
		char env[32];
		snprintf(env, sizeof(env), "%d", k);
		setenv("NETLAB_FAIL_AT", env, 1);
		nl(&r, "up", "2", "--name", "tfail", "--subnet", "10.99.8.0/24", "--empty", "1", NULL);
		unsetenv("NETLAB_FAIL_AT");
		if (r.status == 0) {
			succeeded++;
			lab_down_quiet("tfail");
		} else {
			failed++;
			cr_assert_eq(r.status, 1, "step %d: exit %d: %s", k, r.status, r.err);
			cr_assert(strstr(r.err, "injected failure at step"), "step %d: %s", k, r.err);
		}
		char what[256];
		cr_assert(!lab_leftovers("tfail", NULL, 0, what, sizeof(what)), "step %d left %s (%s)", k,
			  what, r.err);
	}
	cr_assert_eq(failed, 13, "up 2 + 1 empty has 13 steps (bridge, the wall, 3 spawns, 2 veths, "
				 "2 MLD filters, 3 mounts, record); %d failed", failed);
	cr_assert_eq(succeeded, 3);
}

/* The clash check passed, then another tool made the first host's netns entry while `up` was
 * building (stopped at its first step, here): `up` fails on it, and its rollback leaves it. */
static char RBLAB[16];

static void down_rblab(void) { if (*RBLAB) lab_down_quiet(RBLAB); }

Test(rollback, rollback_leaves_a_netns_entry_made_by_another_tool_meanwhile, .fini = down_rblab,
     .timeout = 60)
{
	char ns[32];
	pid_t pid;
	int status;

	snprintf(RBLAB, sizeof(RBLAB), "trb%d", (int)(getpid() % 100000));
	snprintf(ns, sizeof(ns), "%s-h1", RBLAB);
	own_mount_ns();	/* ip netns add makes /run/netns a mount point: in here only */
	pid = start_stopped_up(RBLAB, "10.99.43.0/24", 1);
	int made = run(&r, "ip", "netns", "add", ns, NULL);
	kill(pid, SIGCONT);
	waitpid(pid, &status, 0);
	int kept = run(&r, "ip", "netns", "exec", ns, "true", NULL);
	run(&r, "ip", "netns", "del", ns, NULL);
	cr_assert_eq(made, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "up: status %x", status);
	cr_assert_eq(kept, 0, "the rollback removed %s, which it did not make", ns);
	assert_lab_gone(RBLAB, NULL, 0);
}

Test(rollback, sigterm_and_sigint_roll_back_and_exit_128_plus_signal, .timeout = 120)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	for (int k = 1; k <= 9; k++) {
		int sig = sigs[k % 3], status;
		pid_t pid = start_stopped_up("tterm", "10.99.10.0/24", k);

		kill(pid, sig);
		kill(pid, SIGCONT);
		waitpid(pid, &status, 0);
		cr_assert(WIFEXITED(status), "step %d: killed instead of rolling back", k);
		cr_assert_eq(WEXITSTATUS(status), 128 + sig, "step %d: exit %d", k, WEXITSTATUS(status));
		assert_lab_gone("tterm", NULL, 0);
	}
}
