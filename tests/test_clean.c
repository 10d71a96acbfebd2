/* `netlab clean`: what crashed labs and killed `up`s left is removed, and nothing else: not a
 * look-alike interface or table, not a live lab. On real labs. */
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
static char NSLAB[16];
static void down_nslab(void) { if (*NSLAB) lab_down_quiet(NSLAB); }

Test(clean, clean_finishes_after_ip_netns_add_covered_a_dead_labs_mounts, .fini = down_nslab,
     .timeout = 60)
{
	pid_t pids[2];
	char want[64];

	own_mount_ns();
	lab_up_unique(NSLAB, "tnc", "2", "0");
	pids[0] = host_pid(NSLAB, "h1");
	pids[1] = host_pid(NSLAB, "h2");
	cover_with_ip_netns();
	int lock = clean_lock();
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGKILL);
	for (int i = 0; i < 200 && (kill(pids[0], 0) == 0 || kill(pids[1], 0) == 0); i++)
		usleep(10000);	/* zombies count as gone for clean (it checks start times) */
	nl(&r, "clean", NULL);
	close(lock);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	snprintf(want, sizeof(want), "removed /run/netlab/%s\n", NSLAB);
	cr_assert(strstr(r.out, want), "%s", r.out);
	assert_lab_gone(NSLAB, pids, 2);
}

Test(clean, clean_removes_a_crashed_lab_but_not_lookalikes_or_live_labs, .timeout = 60)
{
	pid_t pids[2];
	char br[16], like[16], likep[16], want[48];

	lab_up_or_die("tcln", "10.99.11.0/24", "2", "0");
	lab_up_or_die("tlive", "10.99.12.0/24", "1", "0");
	pids[0] = host_pid("tcln", "h1");
	pids[1] = host_pid("tcln", "h2");
	cr_assert(state_bridge("tcln", NULL, br));
	int lock = clean_lock();
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGKILL);
	usleep(100000);
	/* a look-alike that netlab did not make: the lab's naming pattern, no marker */
	snprintf(like, sizeof(like), "nl%u-h9", state_number("tcln"));
	snprintf(likep, sizeof(likep), "nl%u-h9p", state_number("tcln"));
	cr_assert_eq(run(&r, "ip", "link", "add", like, "type", "veth", "peer", "name", likep, NULL), 0,
		     "%s", r.err);
	/* the MLD table of a lab whose state is gone, and a table netlab did not make */
	cr_assert_eq(run(&r, "nft", "add", "table", "bridge", "netlab-tgone", NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "nft", "add", "table", "bridge", "tclnkeep", NULL), 0, "%s", r.err);
	nl(&r, "clean", NULL);
	close(lock);
	int status = r.status;
	static char out[sizeof(r.out)];
	snprintf(out, sizeof(out), "%s", r.out);
	int kept = run(&r, "ip", "link", "show", like, NULL);
	run(&r, "ip", "link", "del", like, NULL);
	int gone = run(&r, "nft", "list", "table", "bridge", "netlab-tgone", NULL);
	int kept_table = run(&r, "nft", "list", "table", "bridge", "tclnkeep", NULL);
	run(&r, "nft", "delete", "table", "bridge", "tclnkeep", NULL);
	cr_assert_eq(status, 0, "%s", out);
	cr_assert_neq(gone, 0, "clean left the table of a lab that is gone:\n%s", out);
	cr_assert(strstr(out, "deleted the nftables table bridge netlab-tgone"), "%s", out);
	cr_assert_eq(kept_table, 0, "clean removed a table netlab did not make");
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", "netlab-tlive", NULL), 0,
		     "clean removed a live lab's table");
	/* (its veths may have gone with the hosts' network namespaces already) */
	snprintf(want, sizeof(want), "deleted interface %s\n", br);
	cr_assert(strstr(out, want), "the bridge of the crashed lab: %s", out);
	cr_assert_eq(kept, 0, "clean removed an interface netlab did not make");
	assert_lab_gone("tcln", pids, 2);
	cr_assert_eq(nl(&r, "exec", "tlive/h1", "--", "true", NULL), 0, "clean broke a live lab");
	lab_down_quiet("tlive");
	assert_lab_gone("tlive", NULL, 0);
}

Test(clean, sigkill_at_any_step_then_clean_restores_the_machine, .timeout = 120)
{
	for (int k = 1; k <= 9; k++) {
		pid_t pid = start_stopped_up("tkill", "10.99.9.0/24", k);
		int status, lock = clean_lock();

		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		usleep(20000);	/* hosts die by their parent-death signal */
		nl(&r, "clean", NULL);
		close(lock);
		cr_assert_eq(r.status, 0, "step %d: %s", k, r.err);
		assert_lab_gone("tkill", NULL, 0);
	}
}
