/* `up --explain`, `exec --explain`, `down --explain`: what they print is what netlab did, and the
 * printed commands, run by hand, build a lab that works and take it down. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;

/* The explain test checks what `up --explain` prints against the kernel, then runs the printed
 * commands by hand, after `down`, under the same names: the lab they make must work. While they
 * run, the test holds the lock of /run/netlab/LAB, so that a `netlab clean` of another test does
 * not take the by-hand lab for a crashed one. The by-hand hosts are unshare processes (--kill-child:
 * killing one kills its host). The commands run in a network namespace of their own (unshare
 * --net): after `down`, another test's lab may take the lab's number, and with it its interface
 * names (nlN-...) and group; the bridge and veths go with that namespace when the script ends. The
 * cleanup runs `down --explain`'s printed commands, but for the group delete and the kills of
 * netlab's PIDs (the by-hand PIDs instead). */
static char xlab[16], xdown[sizeof(r.out)];

static pid_t byhand[3];
static int xlock = -1;

static void byhand_cleanup(void)
{
	static struct run c;
	char *save = NULL;

	for (int i = 0; i < 3; i++)
		if (byhand[i] > 0)
			kill(byhand[i], SIGKILL);
	for (char *line = strtok_r(xdown, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cmd = strstr(line, "$ ");
		if (!cmd || strstr(cmd, "ip link delete group") || strstr(cmd, "kill -KILL"))
			continue;
		run(&c, "sh", "-c", cmd + 2, NULL);
	}
	xdown[0] = '\0';
	if (xlock >= 0)
		close(xlock);
	xlock = -1;
	rmdir("/run/netlab");	/* if no other lab is up: as remove_empty_dirs does */
	rmdir("/run/netns");
}

static void down_xlab(void)
{
	byhand_cleanup();	/* first: it releases the lock that `down` would wait for */
	if (*xlab)
		lab_down_quiet(xlab);
}

Test(explain, up_and_down_print_what_netlab_does_and_it_runs_by_hand, .timeout = 60,
     .fini = down_xlab)
{
	char *lab = xlab, line[256], want[256], path[128], script[64], log[64], br[16], veth[16];
	static char out[sizeof(r.out)], text[1 << 16];
	pid_t h1, h2, e1;
	unsigned long h1base = 0;
	unsigned group = 0;
	FILE *f;

	snprintf(xlab, sizeof(xlab), "tx%d", (int)(getpid() % 100000));
	cr_assert_eq(nl(&r, "up", "2", "--name", lab, "--explain", NULL), 0, "%s", r.err);
	snprintf(out, sizeof(out), "%s", r.out);
	h1 = host_pid(lab, "h1");
	h2 = host_pid(lab, "h2");
	e1 = host_pid(lab, "e1");
	/* the kernel's view of what was made */
	cr_assert(state_bridge(lab, NULL, br));
	cr_assert_eq(run(&r, "ip", "-d", "link", "show", br, NULL), 0);
	cr_assert(sscanf(strstr(r.out, " group ") ? strstr(r.out, " group ") : "", " group %u", &group) == 1,
		  "%s", r.out);
	cr_assert_eq(group, 0x4e4c0000u + state_number(lab), "%s", r.out);
	snprintf(want, sizeof(want), "$ ip link add %s group %u type bridge mcast_snooping 0", br, group);
	cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
	snprintf(want, sizeof(want), "input meta iifgroup %u drop", group);
	cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
	for (int i = 0; i < 2; i++) {
		pid_t pid = i ? h2 : h1;
		cr_assert(state_veth(lab, i ? "h2" : "h1", 0, veth));
		snprintf(want, sizeof(want), "$ ip link add %s group %u master %s up type veth peer "
			 "name eth0 netns $pid_h%d", veth, group, br, i + 1);
		cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
		/* the address it says it adds is the one the host has */
		char target[32], addr[32];
		snprintf(target, sizeof(target), "%s/h%d", lab, i + 1);
		cr_assert_eq(nl(&r, "exec", target, "--", "ip", "-br", "-4", "addr", "show", "eth0", NULL), 0);
		cr_assert(sscanf(r.out, "%*s %*s %31s", addr) == 1, "%s", r.out);
		snprintf(want, sizeof(want), "ip addr add %s brd + dev eth0;", addr);
		cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
		cr_assert_eq(nl(&r, "exec", target, "--", "ip", "-br", "-6", "addr", "show", "eth0", NULL), 0);
		cr_assert(sscanf(r.out, "%*s %*s %31s", addr) == 1, "%s", r.out);
		snprintf(want, sizeof(want), "ip addr add %s dev eth0 nodad;", addr);
		cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
		snprintf(want, sizeof(want), "hostname h%d;", i + 1);
		cr_assert(strstr(out, want), "%s", out);
		snprintf(want, sizeof(want), "# host h%d (netlab's: pid %d)", i + 1, (int)pid);
		cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
		snprintf(want, sizeof(want), "mount --bind /proc/$pid_h%d/ns/net /run/netns/%s-h%d", i + 1,
			 lab, i + 1);
		cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
	}
	snprintf(want, sizeof(want), "# host e1 (netlab's: pid %d)", (int)e1);
	cr_assert(strstr(out, want), "%s", out);
	/* the maps as netlab writes them, from outside: no /etc/subuid range needed */
	cr_assert_eq(count_lines(out, " 65536' > /proc/$user_"), 3, "%s", out);
	for (int i = 0; i < 3; i++) {	/* each host's own id range, as its uid_map has it */
		unsigned long base = 0;
		FILE *m;

		snprintf(line, sizeof(line), "/proc/%d/uid_map", (int)(i == 0 ? h1 : i == 1 ? h2 : e1));
		m = fopen(line, "r");
		cr_assert(m && fscanf(m, "%*u %lu", &base) == 1, "%s", line);
		fclose(m);
		snprintf(want, sizeof(want), "echo '0 %lu 65536' > /proc/$user_%s/uid_map", base,
			 i == 0 ? "h1" : i == 1 ? "h2" : "e1");
		cr_assert_eq(count_lines(out, want), 1, "missing '%s' in:\n%s", want, out);
		if (i == 0)
			h1base = base;
	}
	cr_assert_eq(count_lines(out, "--map-users"), 0, "%s", out);
	cr_assert_eq(count_lines(out, "$ unshare --user sleep infinity"), 3, "one per host:\n%s", out);
	/* in the order the work is done: the first port's MLD table before h1 is configured */
	cr_assert(strstr(out, "$ nft add table bridge") && strstr(out, "ip addr add") &&
		  strstr(out, "$ nft add table bridge") < strstr(out, "ip addr add"), "%s", out);

	cr_assert_eq(nl(&r, "exec", "--explain", "--lab", lab, "h1", "--", "true", NULL), 0);
	snprintf(want, sizeof(want), "$ nsenter --target %d --all --setuid 0 --setgid 0", (int)h1);
	cr_assert(strstr(r.out, want), "%s", r.out);

	cr_assert_eq(nl(&r, "down", lab, "--explain", NULL), 0, "%s", r.err);
	snprintf(xdown, sizeof(xdown), "%s", r.out);
	snprintf(want, sizeof(want), "$ ip link delete group %u", group);
	cr_assert(strstr(r.out, want), "%s", r.out);
	snprintf(want, sizeof(want), "$ kill -KILL %d", (int)h2);
	cr_assert(strstr(r.out, want), "%s", r.out);
	snprintf(want, sizeof(want), "$ umount -l /run/netns/%s-e1; rm -f /run/netns/%s-e1", lab, lab);
	cr_assert(strstr(r.out, want), "%s", r.out);
	pid_t pids[] = { h1, h2, e1 };
	char what[256];
	cr_assert(!lab_leftovers(lab, pids, 3, what, sizeof(what)), "%s", what);

	/* now by hand: every command `up --explain` printed, in order, in one shell */
	mkdir("/run/netlab", 0700);
	snprintf(path, sizeof(path), "/run/netlab/%s", lab);
	cr_assert_eq(mkdir(path, 0700), 0, "%s: %s", path, strerror(errno));
	xlock = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(xlock >= 0 && flock(xlock, LOCK_EX) == 0);
	snprintf(script, sizeof(script), "/tmp/%s.sh", lab);
	snprintf(log, sizeof(log), "/tmp/%s.log", lab);
	f = fopen(script, "w");
	cr_assert_not_null(f);
	fputs("set -e\n", f);
	for (const char *p = out; (p = strstr(p, "\n  $ ")); p++)
		fprintf(f, "%.*s\n", (int)strcspn(p + 5, "\n"), p + 5);
	fputs("echo pids $pid_h1 $pid_h2 $pid_e1\n"
	      "nsenter -t $pid_h1 -m -n ping -4 -c1 -W2 h2\n"
	      "nsenter -t $pid_h1 -m -n ping -6 -c1 -W2 h2\n"
	      "echo hostname=$(nsenter -t $pid_h1 -u hostname)\n"
	      "echo map $(cat /proc/$pid_h1/uid_map)\n"
	      "echo byhand-ok\n", f);
	fclose(f);
	snprintf(line, sizeof(line), "unshare --net sh %s </dev/null >%s 2>&1", script, log);
	int st = run(&r, "sh", "-c", line, NULL);
	f = fopen(log, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	const char *p = strstr(text, "pids ");
	if (p)
		sscanf(p, "pids %d %d %d", &byhand[0], &byhand[1], &byhand[2]);
	unlink(script);
	unlink(log);
	cr_assert_eq(st, 0, "the printed commands failed by hand:\n%s", text);
	cr_assert(strstr(text, "byhand-ok"), "%s", text);
	cr_assert(strstr(text, "hostname=h1\n"), "%s", text);
	snprintf(want, sizeof(want), "map 0 %lu 65536\n", h1base);
	cr_assert(strstr(text, want), "no '%s' in:\n%s", want, text);
	cr_assert(byhand[0] > 0 && byhand[1] > 0 && byhand[2] > 0, "%s", text);
	/* and what `down --explain` printed removes it */
	byhand_cleanup();
	for (int i = 0; i < 100 && lab_leftovers(lab, byhand, 3, what, sizeof(what)); i++)
		usleep(10000);	/* the hosts die by --kill-child's signal, a moment later */
	cr_assert(!lab_leftovers(lab, byhand, 3, what, sizeof(what)), "by hand: %s", what);
}
