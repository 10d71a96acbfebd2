/* `netlab doctor`: its probes against tc, without root, and a crashed lab it reports. */
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

Test(doctor, its_kernel_probes_agree_with_tc_and_it_exits_0_when_up_can_work, .timeout = 60)
{
	int netem = run(&r, "unshare", "-n", "sh", "-c",
			"ip link add a type veth peer name b && tc qdisc add dev a root netem delay 10ms",
			NULL) == 0;

	cr_assert_eq(nl(&r, "doctor", NULL), 0, "%s%s", r.out, r.err);
	cr_assert_eq(count_lines(r.out, "FAIL"), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "ok    veth"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "ok    bridge"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, netem ? "ok    netem" : "warn  netem"), 1,
		     "tc says netem %s:\n%s", netem ? "works" : "is missing", r.out);
	cr_assert(strstr(r.out, "doctor: "), "%s", r.out);
}

Test(doctor, without_root_it_fails_and_says_why)
{
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 (char *)netlab_bin(), "doctor", NULL };

	run_argv(&r, argv);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "FAIL  root"), "%s", r.out);
}

Test(doctor, a_crashed_lab_is_reported_with_the_fix, .timeout = 60)
{
	pid_t pids[2];
	char want[96];

	lab_up_or_die("tdoc", "10.99.30.0/24", "2", "0");
	pids[0] = host_pid("tdoc", "h1");
	pids[1] = host_pid("tdoc", "h2");
	int lock = clean_lock();	/* no other test's clean removes it before doctor sees it */
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGKILL);
	usleep(100000);
	nl(&r, "doctor", NULL);
	lab_down_quiet("tdoc");
	close(lock);
	snprintf(want, sizeof(want), "lab tdoc has no running host (a crash?): run netlab clean");
	cr_assert(strstr(r.out, want), "%s", r.out);
	assert_lab_gone("tdoc", pids, 2);
}
