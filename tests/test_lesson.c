/* compare, verify, pingall on real labs, including labs broken on purpose. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;
static char LAB[16];

static void down(void) { lab_down_quiet(LAB); }
static void up3(void) { lab_up_unique(LAB, "tl", "3", "1"); }

TestSuite(lesson, .init = up3, .fini = down, .timeout = 60);

static const char *host(const char *h)
{
	static char buf[4][32];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", LAB, h);
	return buf[k];
}

static const char *netns(const char *h)
{
	static char buf[2][32];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s-%s", LAB, h);
	return buf[k];
}

Test(lesson, compare_shows_six_isolated_rows_and_cgroup_time_shared)
{
	cr_assert_eq(nl(&r, "compare", host("h1"), NULL), 0, "%s%s", r.out, r.err);
	cr_assert_eq(count_lines(r.out, "isolated"), 14, "8 exercises (IPv6, root too) + 6 inodes:\n%s",
		     r.out);
	cr_assert(strstr(r.out, "machine's root    own root"), "root row: %s", r.out);
	cr_assert_eq(count_lines(r.out, "fd4e:4c00:"), 1, "h1's unique local address:\n%s", r.out);
	cr_assert_eq(count_lines(r.out, "shared (not requested)"), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "SHARED"), 0, "%s", r.out);
	{	/* root of each host is a different unprivileged uid outside */
		const char *u = strstr(r.out, "uid_map 0 -> 0 ");
		unsigned long a = 0, b = 0;

		cr_assert(u && sscanf(u, "uid_map 0 -> 0 0 -> %lu 0 -> %lu", &a, &b) == 2,
			  "user row: %s", r.out);
		cr_assert(a >= 1000000000ul && b >= 1000000000ul && a != b, "user row: %s", r.out);
	}
	cr_assert(strstr(r.out, "1 if, lo only"), "the empty host's net row: %s", r.out);
	for (const char *p = r.out; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
		cr_assert_leq(strcspn(p, "\n"), 100, "line wider than 100 columns: %.*s",
			      (int)strcspn(p, "\n"), p);
	cr_assert(!strstr(r.out, "\033["), "no colour when stdout is not a terminal");
}

Test(lesson, compare_json_and_an_empty_host_is_compared_with_a_networked_one)
{
	struct json_object *root, *v, *rows;

	cr_assert_eq(nl(&r, "compare", host("e1"), "--json", NULL), 0, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "other", &v));
	cr_assert_str_eq(json_object_get_string(v), "h1");
	cr_assert(json_object_object_get_ex(root, "exercises", &rows));
	cr_assert_eq(json_object_array_length(rows), 8);
	cr_assert(json_object_object_get_ex(root, "inodes", &rows));
	cr_assert_eq(json_object_array_length(rows), 8);
	for (size_t i = 0; i < 8; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i), *iso, *ns;
		cr_assert(json_object_object_get_ex(row, "isolated", &iso));
		cr_assert(json_object_object_get_ex(row, "namespace", &ns));
		bool want = i < 6;
		cr_assert_eq(json_object_get_boolean(iso), want, "%s", json_object_get_string(ns));
	}
	json_object_put(root);
}

Test(lesson, verify_passes_on_a_healthy_lab)
{
	struct json_object *root, *v;

	cr_assert_eq(nl(&r, "verify", LAB, NULL), 0, "%s%s", r.out, r.err);
	/* 4 hosts x (running + 6 namespaces + links) + 6 networked pairs + 1 empty host
	 * + IPv6 reachability of the 3 networked hosts */
	cr_assert_eq(count_lines(r.out, "PASS"), 42, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches all over IPv6"), 3, "%s", r.out);
	cr_assert(strstr(r.out, "\n42 passed, 0 failed\n"), "%s", r.out);
	cr_assert_eq(nl(&r, "verify", LAB, "--json", NULL), 0);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "failed", &v) && json_object_get_int(v) == 0);
	cr_assert(json_object_object_get_ex(root, "checks", &v) && json_object_array_length(v) == 42);
	json_object_put(root);
}

Test(lesson, eth0_down_in_h2_fails_exactly_the_h2_checks_and_pairs)
{
	struct json_object *root, *v;
	size_t mismatches = 0;

	cr_assert_eq(nl(&r, "exec", host("h2"), "--", "ip", "link", "set", "eth0", "down", NULL), 0);
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.3", NULL), 1, "%s", r.out);
	/* h2's link check, the 4 IPv4 pairs with h2, and the IPv6 line of each networked host */
	cr_assert_eq(count_lines(r.out, "FAIL"), 8, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   lo, eth0 up"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   reaches h"), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches h2 "), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches all over IPv6"), 3, "%s", r.out);
	cr_assert(strstr(r.out, "34 passed, 8 failed"), "%s", r.out);

	cr_assert_eq(nl(&r, "pingall", LAB, "-W", "0.3", "--json", NULL), 1, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "matrix", &v));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i), *f, *t, *e, *g;
		json_object_object_get_ex(p, "from", &f);
		json_object_object_get_ex(p, "to", &t);
		json_object_object_get_ex(p, "expected", &e);
		json_object_object_get_ex(p, "reachable", &g);
		if (json_object_get_boolean(e) != json_object_get_boolean(g)) {
			mismatches++;
			cr_assert(!strcmp(json_object_get_string(f), "h2") ||
					  !strcmp(json_object_get_string(t), "h2"),
				  "%s -> %s is not an h2 pair", json_object_get_string(f),
				  json_object_get_string(t));
		}
	}
	cr_assert_eq(mismatches, 4);
	json_object_put(root);
	/* and it heals */
	cr_assert_eq(nl(&r, "exec", host("h2"), "--", "ip", "link", "set", "eth0", "up", NULL), 0);
	cr_assert_eq(nl(&r, "pingall", LAB, "-W", "2", NULL), 0, "%s", r.out);
}

Test(lesson, an_interface_moved_from_h2_into_h1_is_caught)
{
	cr_assert_eq(run(&r, "ip", "-n", netns("h2"), "link", "set", "eth0", "netns", netns("h1"),
			 "name", "eth9", NULL), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.3", NULL), 1);
	cr_assert_eq(count_lines(r.out, "FAIL  h1   lo, eth0 up"), 1, "h1 has a third link:\n%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   lo, eth0 up"), 1, "h2 lost eth0:\n%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h1   reaches h3"), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL"), 9, "2 link checks + the 4 h2 pairs + 3 IPv6 lines:\n%s",
		     r.out);
	cr_assert_eq(count_lines(r.out, "PASS  h1   net namespace isolated"), 1, "%s", r.out);
}

Test(lesson, an_interface_pushed_into_the_empty_host_is_caught)
{
	cr_assert_eq(run(&r, "ip", "link", "add", "tlx0", "type", "veth", "peer", "name", "x0", "netns",
			 netns("e1"), NULL), 0, "%s", r.err);
	nl(&r, "verify", LAB, "-W", "0.3", NULL);
	int first = r.status, first_caught = count_lines(r.out, "FAIL  e1   only lo");
	run(&r, "ip", "link", "del", "tlx0", NULL);
	cr_assert_eq(first, 1, "an interface pushed into e1 fails verify");
	cr_assert_eq(first_caught, 1, "and it is e1's 'only lo' check that fails");
	nl(&r, "verify", LAB, "-W", "0.3", NULL);
	cr_assert_eq(r.status, 0, "removing it heals the lab: %s", r.out);
	cr_assert_eq(run(&r, "ip", "link", "add", "tlx1", "type", "veth", "peer", "name", "x1", "netns",
			 netns("e1"), NULL), 0, "%s", r.err);
	nl(&r, "verify", LAB, "-W", "0.3", NULL);
	int status = r.status;
	int fails = count_lines(r.out, "FAIL"), caught = count_lines(r.out, "FAIL  e1   only lo");
	run(&r, "ip", "link", "del", "tlx1", NULL);
	cr_assert_eq(status, 1);
	cr_assert_eq(fails, 1);
	cr_assert_eq(caught, 1);
}

Test(lesson, pingall_counts_pairs_and_takes_count_and_timeout)
{
	struct json_object *root, *v;

	cr_assert_eq(nl(&r, "pingall", LAB, "-c", "3", "-W", "2", "--json", NULL), 0, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root);
	cr_assert(json_object_object_get_ex(root, "pairs", &v) && json_object_get_int(v) == 12);
	cr_assert(json_object_object_get_ex(root, "reachable", &v) && json_object_get_int(v) == 6);
	cr_assert(json_object_object_get_ex(root, "matrix", &v) && json_object_array_length(v) == 12);
	struct json_object *first = json_object_array_get_idx(v, 0), *rep;
	cr_assert(json_object_object_get_ex(first, "replies", &rep));
	cr_assert_eq(json_object_get_int(rep), 3, "three echo requests, three replies");
	json_object_put(root);
	cr_assert_eq(nl(&r, "pingall", LAB, NULL), 0);
	cr_assert(strstr(r.out, "6/12 pairs reachable (6 expected), as expected"), "%s", r.out);
	cr_assert_eq(nl(&r, "pingall", LAB, "-W", "0", NULL), 2);
	cr_assert_eq(nl(&r, "pingall", LAB, "-c", "x", NULL), 2);
}

/* The explain test checks what `up --explain` prints against the kernel, then runs the printed
 * commands by hand, after `down`, under the same names: the lab they make must work. While they
 * run, the test holds the lock of /run/netlab/LAB, so that a `netlab clean` of another test does
 * not take the by-hand lab for a crashed one. The by-hand hosts are unshare processes (--kill-child:
 * killing one kills its host); the cleanup runs `down --explain`'s printed commands, but for the
 * group delete (after `down` another lab may have taken the lab's number: links go by name) and
 * the kills of netlab's PIDs (the by-hand PIDs instead). */
static char xlab[16], xdown[sizeof(r.out)];
static pid_t byhand[3];
static int xlock = -1;

static void byhand_cleanup(void)
{
	static struct run c;
	char *save = NULL, name[32];

	for (int i = 0; i < 3; i++)
		if (byhand[i] > 0)
			kill(byhand[i], SIGKILL);
	for (char *line = strtok_r(xdown, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cmd = strstr(line, "$ ");
		if (!cmd || strstr(cmd, "ip link delete group") || strstr(cmd, "kill -KILL"))
			continue;
		run(&c, "sh", "-c", cmd + 2, NULL);
	}
	for (int i = 0; *xlab && i < 3; i++) {
		snprintf(name, sizeof(name), "%s-%s", xlab, (const char *const[]){ "br", "h1", "h2" }[i]);
		run(&c, "ip", "link", "del", name, NULL);
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
	char *lab = xlab, line[256], want[256], path[128], script[64], log[64];
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
	snprintf(line, sizeof(line), "%s-br", lab);
	cr_assert_eq(run(&r, "ip", "-d", "link", "show", line, NULL), 0);
	cr_assert(sscanf(strstr(r.out, " group ") ? strstr(r.out, " group ") : "", " group %u", &group) == 1,
		  "%s", r.out);
	snprintf(want, sizeof(want), "$ ip link add %s-br group %u type bridge mcast_snooping 0", lab, group);
	cr_assert(strstr(out, want), "missing '%s' in:\n%s", want, out);
	for (int i = 0; i < 2; i++) {
		pid_t pid = i ? h2 : h1;
		snprintf(want, sizeof(want), "$ ip link add %s-h%d group %u master %s-br up type veth peer "
			 "name eth0 netns $pid_h%d", lab, i + 1, group, lab, i + 1);
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
	snprintf(line, sizeof(line), "sh %s </dev/null >%s 2>&1", script, log);
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

Test(lesson_small, a_one_host_lab_has_no_pairs_and_verify_passes, .timeout = 30)
{
	char lab[16];

	lab_up_unique(lab, "t1h", "1", "0");
	cr_assert_eq(nl(&r, "pingall", lab, NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "0/0 pairs reachable (0 expected), as expected"), "%s", r.out);
	cr_assert_eq(nl(&r, "verify", lab, NULL), 0, "%s", r.out);
	lab_down_quiet(lab);
}

/* Run argv in the background (our child); returns its pid. */
static pid_t bg(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop_bg(pid_t pid)
{
	kill(-pid, SIGKILL);	/* its process group: nsenter and the command it forked */
	waitpid(pid, NULL, 0);
}

Test(lesson, a_process_of_h2_joined_to_h1s_netns_is_caught)
{
	char pidarg[32], netarg[64];
	pid_t p;

	snprintf(pidarg, sizeof(pidarg), "%d", (int)host_pid(LAB, "h2"));
	snprintf(netarg, sizeof(netarg), "--net=/run/netns/%s", netns("h1"));
	char *argv[] = { "nsenter", "-t", pidarg, "-m", "-p", "-u", "-i", netarg, "sleep", "30", NULL };
	p = bg(argv);
	usleep(200000);
	nl(&r, "verify", LAB, "-W", "0.5", NULL);
	stop_bg(p);
	/* joining h1's netns from outside means staying in the machine's user namespace (inside
	 * h2's, it would have no right to h1's netns): both are reported, and nothing else */
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL"), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   net namespace isolated"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   user namespace isolated"), 1, "%s", r.out);
	cr_assert(strstr(r.out, "(sleep) is in h1's net namespace"), "%s", r.out);
	cr_assert(strstr(r.out, "(sleep) is in the machine's user namespace"), "%s", r.out);
}

Test(lesson, a_process_of_h1_left_in_the_machines_ipc_namespace_is_caught)
{
	char pidarg[32], qid[32] = "";
	pid_t p;

	snprintf(pidarg, sizeof(pidarg), "%d", (int)host_pid(LAB, "h1"));
	/* inside h1 in every way but IPC: the queue it makes is the real machine's */
	char *argv[] = { "nsenter", "-t", pidarg, "-U", "-m", "-p", "-u", "-n",
			 "sh", "-c", "ipcmk -Q > /tmp/netlab-ipc-probe; exec sleep 30", NULL };
	p = bg(argv);
	usleep(300000);
	nl(&r, "verify", LAB, "-W", "0.5", NULL);
	char path[96];
	/* the shell wrote into h1's own /tmp: read it through h1's root */
	snprintf(path, sizeof(path), "/proc/%s/root/tmp/netlab-ipc-probe", pidarg);
	FILE *f = fopen(path, "r");
	if (f) {
		(void)!fscanf(f, "Message queue id: %31s", qid);
		fclose(f);
		unlink(path);
	}
	stop_bg(p);
	if (qid[0]) {
		static struct run rm;
		run(&rm, "ipcrm", "-q", qid, NULL);	/* leave the machine's IPC as it was */
	}
	cr_assert(qid[0], "no queue was made");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h1   ipc namespace isolated"), 1, "%s", r.out);
	cr_assert(strstr(r.out, "is in the machine's ipc namespace"), "%s", r.out);
}

Test(lesson_small, a_large_lab_gets_one_reachability_line_per_host, .timeout = 60)
{
	char lab[16];

	lab_up_unique(lab, "tbig", "20", "0");
	nl(&r, "verify", lab, "-W", "2", NULL);
	lab_down_quiet(lab);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches every networked host"), 20, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "19 of 19 as expected (19 should answer)"), 40, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches all over IPv6"), 20, "%s", r.out);
	cr_assert_eq(count_lines(r.out, " reaches h"), 0, "no per-pair lines above 16 hosts");
	cr_assert(strstr(r.out, "200 passed, 0 failed"), "%s", r.out);
}

Test(lesson_small, hosts_can_have_their_own_cgroup_and_time_namespaces_too, .timeout = 60)
{
	char lab[16], target[32], link[64];
	static const char *const kinds[] = { "cgroup", "time" };

	snprintf(lab, sizeof(lab), "tns%d", (int)(getpid() % 10000));
	cr_assert_eq(nl(&r, "up", "2", "--name", lab, "--ns", "+cgroup,+time", "-q", NULL), 0, "%s", r.err);
	pid_t h1 = host_pid(lab, "h1"), h2 = host_pid(lab, "h2");
	for (int k = 0; k < 2; k++) {
		char a[64], b[64], self[64];
		snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)h1, kinds[k]);
		snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)h2, kinds[k]);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", kinds[k]);
		struct stat sa, sb, ss;
		cr_assert_eq(stat(a, &sa), 0);
		cr_assert_eq(stat(b, &sb), 0);
		cr_assert_eq(stat(self, &ss), 0);
		cr_assert_neq(sa.st_ino, ss.st_ino, "%s shared with the machine", kinds[k]);
		cr_assert_neq(sa.st_ino, sb.st_ino, "%s shared between hosts", kinds[k]);
		/* exec joins it too */
		snprintf(target, sizeof(target), "%s/h1", lab);
		snprintf(link, sizeof(link), "/proc/self/ns/%s", kinds[k]);
		cr_assert_eq(nl(&r, "exec", target, "--", "readlink", link, NULL), 0, "%s", r.err);
		char want[64];
		snprintf(want, sizeof(want), "%s:[%lu]", kinds[k], (unsigned long)sa.st_ino);
		cr_assert(strstr(r.out, want), "exec is in %s, not %s", r.out, want);
	}
	cr_assert_eq(nl(&r, "verify", lab, NULL), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "namespace isolated"), 3 * 8, "%s", r.out);
	snprintf(target, sizeof(target), "%s/h1", lab);
	cr_assert_eq(nl(&r, "compare", target, NULL), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "isolated"), 16, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "not requested"), 0, "%s", r.out);
	lab_down_quiet(lab);
	cr_assert_eq(nl(&r, "up", "1", "--name", lab, "--ns", "+net", NULL), 2);
}

/* Issue 19.6: root in h1 puts h2's addresses on its own lo; h2's link is down. The echo is
 * answered inside h1, so a probe that only trusts the reply reports h1 -> h2 as reachable. */
static bool pair_reachable(const char *json, const char *from, const char *to)
{
	struct json_object *root = json_tokener_parse(json), *v;
	bool got = false;

	cr_assert_not_null(root, "%s", json);
	cr_assert(json_object_object_get_ex(root, "matrix", &v));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i), *f, *t, *g;
		json_object_object_get_ex(p, "from", &f);
		json_object_object_get_ex(p, "to", &t);
		json_object_object_get_ex(p, "reachable", &g);
		if (!strcmp(json_object_get_string(f), from) && !strcmp(json_object_get_string(t), to))
			got = json_object_get_boolean(g);
	}
	json_object_put(root);
	return got;
}

Test(lesson, a_host_cannot_answer_for_another_with_its_addresses_on_lo)
{
	char a4[64] = "", a6[80] = "", cmd[256];

	cr_assert_eq(nl(&r, "exec", host("h2"), "--", "ip", "-br", "-4", "addr", "show", "eth0", NULL), 0);
	cr_assert(sscanf(r.out, "%*s %*s %63[0-9.]", a4) == 1, "%s", r.out);
	cr_assert_eq(nl(&r, "exec", host("h2"), "--", "ip", "-br", "-6", "addr", "show", "eth0", NULL), 0);
	cr_assert(sscanf(r.out, "%*s %*s %79[0-9a-f:]", a6) == 1, "%s", r.out);
	cr_assert_eq(nl(&r, "exec", host("h2"), "--", "ip", "link", "set", "eth0", "down", NULL), 0);
	snprintf(cmd, sizeof(cmd), "ip addr add %s/32 dev lo && ip addr add %s/128 dev lo", a4, a6);
	cr_assert_eq(nl_sh(&r, LAB, "h1", cmd), 0, "%s", r.err);
	/* the fake does answer inside h1 */
	cr_assert_eq(nl(&r, "exec", host("h1"), "--", "ping", "-c1", "-W1", a4, NULL), 0, "%s", r.out);

	cr_assert_eq(nl(&r, "pingall", LAB, "-W", "0.3", "--json", NULL), 1, "%s", r.err);
	cr_assert(!pair_reachable(r.out, "h1", "h2"), "h1's own lo answered for h2:\n%s", r.out);
	cr_assert(pair_reachable(r.out, "h1", "h3"), "%s", r.out);
	cr_assert_eq(nl(&r, "pingall", LAB, "-6", "-W", "0.3", "--json", NULL), 1, "%s", r.err);
	cr_assert(!pair_reachable(r.out, "h1", "h2"), "over IPv6:\n%s", r.out);
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.3", NULL), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h1   reaches h2"), 1, "%s", r.out);
	cr_assert(strstr(r.out, "a reply came, but the request never reached h2 (answered inside h1"),
		  "%s", r.out);
	cr_assert_eq(count_lines(r.out, "PASS  h1   reaches h3"), 1, "%s", r.out);
	cr_assert_eq(nl(&r, "pingall", LAB, "-W", "0.3", NULL), 1, "%s", r.err);
	cr_assert(strstr(r.out, "h1 -> h2: a reply came, but the request never reached h2"), "%s", r.out);
}

/* Issue 19.6: root in h1 makes `hostname` hang (a script bind-mounted over it). compare must end
 * within its timeout per command and name the host that did not answer. */
Test(lesson, compare_does_not_wait_for_a_hanging_hostname_and_names_the_host, .timeout = 40)
{
	uint64_t t0;
	double secs;

	cr_assert_eq(nl_sh(&r, LAB, "h1", "printf '#!/bin/sh\\nexec sleep 600\\n' > /tmp/fake && "
			   "chmod +x /tmp/fake && mount --bind /tmp/fake \"$(command -v hostname)\""), 0,
		     "%s", r.err);
	t0 = (uint64_t)time(NULL);
	nl(&r, "compare", host("h1"), NULL);
	secs = (double)((uint64_t)time(NULL) - t0);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_leq(secs, 15, "compare took %.0f s", secs);
	cr_assert(strstr(r.err, "host h1 did not answer 'hostname' within 5 s"), "%s", r.err);
	cr_assert(strstr(r.out, "no answer"), "%s", r.out);
	cr_assert_eq(count_lines(r.out, "isolated"), 13, "the verdicts are the kernel's:\n%s", r.out);
	/* nothing of the fake command is left running in h1 */
	cr_assert_eq(nl(&r, "exec", host("h1"), "--", "sh", "-c", "ps -e -o comm= | grep -c sleep", NULL),
		     1, "a sleep still runs in h1: %s", r.out);
}

/* Issue 19.7: names made inside a host reach the terminal escaped, never as raw escape codes. */
Test(lesson, escape_sequences_made_inside_a_host_are_printed_escaped)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "ip link add name \"$(printf '\\033]0;X\\a\\033[2K')\" type veth "
			   "peer name \"$(printf 'tv\\377')\" && python3 -c 'import socket; "
			   "socket.sethostname(b\"h\\x1b[2Kx\\xc2\\x9by\\xff\")'"), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_assert(!strchr(r.out, '\033') && !strchr(r.out, '\a'), "raw escape in status:\n%s", r.out);
	cr_assert(strstr(r.out, "\\x1b]0;X\\x07\\x1b[2K(down)"), "%s", r.out);
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.5", NULL), 1, "%s", r.out);
	cr_assert(!strchr(r.out, '\033') && !strchr(r.out, '\a'), "raw escape in verify:\n%s", r.out);
	cr_assert(strstr(r.out, "\\x1b]0;X\\x07\\x1b[2K(down)"), "%s", r.out);
	cr_assert_eq(nl(&r, "compare", host("h1"), NULL), 0, "%s", r.err);
	cr_assert(!strchr(r.out, '\033') && !strstr(r.out, "\302\233") && !strstr(r.out, "\377"),
		  "raw bytes in compare:\n%s", r.out);
	cr_assert(strstr(r.out, "h\\x1b[2Kx\\xc2\\x9b"), "the column's 17 characters:\n%s", r.out);
	cr_assert_eq(nl(&r, "compare", host("h1"), "--json", NULL), 0, "%s", r.err);
	cr_assert(!strchr(r.out, '\033'), "%s", r.out);
	/* JSON has its own escaping, and keeps the name whole */
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.5", "--json", NULL), 1);
	cr_assert(strstr(r.out, "\\u001b]0;X\\u0007\\u001b[2K(down)"), "%s", r.out);
	/* invalid UTF-8 stays valid JSON: the stray byte 0xff reads back as U+00FF */
	{
		struct json_tokener *tok = json_tokener_new();
		struct json_object *root, *checks, *ev;
		bool found = false;

		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		root = json_tokener_parse_ex(tok, r.out, (int)strlen(r.out));
		cr_assert_not_null(root, "invalid JSON (%s): %s",
				   json_tokener_error_desc(json_tokener_get_error(tok)), r.out);
		json_tokener_free(tok);
		cr_assert(json_object_object_get_ex(root, "checks", &checks));
		for (size_t i = 0; i < json_object_array_length(checks); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(checks, i), "evidence", &ev) &&
			    strstr(json_object_get_string(ev), "tv\xc3\xbf(down)"))
				found = true;
		cr_assert(found, "tv\\xff as U+00FF: %s", r.out);
		json_object_put(root);
	}
}

/* Issue 18: evidence is never cut: JSON carries all of it, and so does the table. */
Test(lesson, verify_evidence_is_whole_in_json_and_text)
{
	char want[96] = "";

	cr_assert_eq(nl_sh(&r, LAB, "h1", "for i in 101 102 103 104 105 106 107 108; do "
			   "ip addr add \"$(ip -4 -br addr show eth0 | awk '{print $3}' | cut -d. -f1-3).$i/24\" "
			   "dev eth0; done"), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "exec", host("h1"), "--", "ip", "-6", "-br", "addr", "show", "eth0", "scope",
			"link", NULL), 0);
	cr_assert(sscanf(r.out, "%*s %*s %80s", want) == 1, "%s", r.out);
	cr_assert_eq(nl(&r, "verify", LAB, "--json", NULL), 0, "%s", r.out);
	/* the link-local address comes last, after 10 others: past any fixed cut */
	cr_assert(strstr(r.out, want), "%s missing (cut?) in:\n%s", want, r.out);
	cr_assert_eq(nl(&r, "verify", LAB, NULL), 0, "%s", r.out);
	cr_assert(strstr(r.out, want), "%s missing (cut?) in:\n%s", want, r.out);
}
