/* `netlab console`: a tmux session with one window per host. */
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

Test(console, one_tmux_window_per_host_each_inside_its_host, .timeout = 60)
{
	char lab[16], session[32], win[48];
	static struct run t;

	lab_up_unique(lab, "tcn", "2", "1");
	snprintf(session, sizeof(session), "netlab-%s", lab);
	cr_assert_eq(nl(&r, "console", lab, "-d", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, session), "%s", r.out);
	run(&t, "tmux", "list-windows", "-t", session, "-F", "#W", NULL);
	int windows_ok = !strcmp(t.out, "h1\nh2\ne1\n");
	char windows[256];
	snprintf(windows, sizeof(windows), "%.255s", t.out);
	usleep(800000);	/* the shells start */
	snprintf(win, sizeof(win), "%s:h2", session);
	run(&t, "tmux", "send-keys", "-t", win, "hostname; echo MARK$((6*7))", "Enter", NULL);
	usleep(500000);
	run(&t, "tmux", "capture-pane", "-p", "-t", win, NULL);
	char pane[4096];
	snprintf(pane, sizeof(pane), "%.4095s", t.out);
	run(&t, "tmux", "kill-session", "-t", session, NULL);
	cr_assert(windows_ok, "windows: %s", windows);
	cr_assert(strstr(pane, "\nh2\n") && strstr(pane, "MARK42") && strstr(pane, "root@h2"), "%s", pane);
	/* closing the console leaves the lab up */
	cr_assert_eq(nl(&r, "verify", lab, NULL), 0, "%s", r.out);
	lab_down_quiet(lab);
}
