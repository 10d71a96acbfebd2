/* A topology file's files:, sysctls: and exec: on real labs, and `netlab logs`: files land in the
 * host's own root with their modes and never on the machine, a symbolic link resolves inside the
 * host, sysctls are the host's own, commands run in order once the network is up and their output
 * is logged, a failing command rolls the lab back (or keeps it when asked), a command that does not
 * exit is killed, a daemon left running neither hangs `up` nor dies, and nginx serves a page that
 * files: put there. Each test writes its file and trees into a temporary directory, brings its lab
 * up under its own name (subnets picked by netlab) and takes it down in .fini. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;
static char dir[64];		/* the test's temporary directory: lab.yaml and its trees */
static char lab[16];

static void cleanup(void)
{
	if (lab[0])
		lab_down_quiet(lab);
	if (dir[0])
		rm_tree(dir);
}

TestSuite(hostsetup, .fini = cleanup, .timeout = 90);

/* A name for this test's lab (PREFIX + PID digits) and its directory. */
static void setup_dir(const char *prefix)
{
	snprintf(lab, sizeof(lab), "%s%d", prefix, (int)(getpid() % 100000));
	snprintf(dir, sizeof(dir), "/tmp/netlab-hs-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

/* dir/rel with the text and mode, its directories made (0755) on the way. */
static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *s = strchr(path + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

/* The topology file: lab.yaml in dir, with name: the test's lab. */
static void yaml(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void yaml(const char *fmt, ...)
{
	char path[128], body[4096];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/lab.yaml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "name: %s\n%s", lab, body);
	fclose(f);
}

/* netlab up -f dir/lab.yaml [extra options...] */
static int up(const char *first, ...)
{
	char file[128];
	char *argv[16] = { (char *)netlab_bin(), "up", "-q", "-f", file };
	int n = 5;
	va_list ap;

	snprintf(file, sizeof(file), "%s/lab.yaml", dir);
	va_start(ap, first);
	for (const char *a = first; a && n < 15; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return run_argv(&r, argv);
}

static void in_host(const char *host, const char *script)
{
	nl_sh(&r, lab, host, script);
}

static void logs(const char *host)
{
	char target[64];

	snprintf(target, sizeof(target), "%s/%s", lab, host);
	nl(&r, "logs", target, NULL);
}

static bool machine_has(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void assert_gone(void)
{
	char what[128];

	cr_assert(!lab_leftovers(lab, NULL, 0, what, sizeof(what)), "%s left", what);
}

Test(hostsetup, files_appear_in_the_host_with_their_modes_and_never_on_the_machine)
{
	setup_dir("hsf");
	put("r1/etc/netlab-hs-test/app.conf", "secret=42\n", 0640);
	put("r1/etc/netlab-hs-test/run.sh", "#!/bin/sh\necho ran\n", 0755);
	put("r1/etc/motd", "a motd of r1's own\n", 0644);
	/* /var/run is the machine's symbolic link to /run: followed inside the host */
	put("r1/var/run/netlab-hs-test/pid", "123\n", 0600);
	{
		char sub[160];

		snprintf(sub, sizeof(sub), "%s/r1/etc/netlab-hs-test/private", dir);
		cr_assert_eq(mkdir(sub, 0750), 0);
		cr_assert_eq(chmod(sub, 0750), 0);
	}
	yaml("segments: {lan: {}}\nhosts:\n  r1:\n    links: [lan]\n    files: r1\n  h2: {links: [lan]}\n");
	cr_assert_eq(up(NULL), 0, "%s", r.err);

	in_host("r1", "cd /etc/netlab-hs-test && stat -c '%n %a %U:%G %F' app.conf run.sh private "
		      "/var/run/netlab-hs-test/pid /etc && cat app.conf && ./run.sh && cat /etc/motd");
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "app.conf 640 root:root regular file\n"), "%s", r.out);
	cr_expect(strstr(r.out, "run.sh 755 root:root regular file\n"), "%s", r.out);
	cr_expect(strstr(r.out, "private 750 root:root directory\n"), "%s", r.out);
	cr_expect(strstr(r.out, "/var/run/netlab-hs-test/pid 600 root:root regular file\n"), "%s", r.out);
	cr_expect(strstr(r.out, "/etc 755 root:root directory\n"), "an existing directory keeps its "
		  "mode: %s", r.out);
	cr_expect(strstr(r.out, "secret=42\nran\na motd of r1's own\n"), "%s", r.out);
	/* the other host and the machine have none of it */
	in_host("h2", "ls /etc/netlab-hs-test /run/netlab-hs-test 2>&1; grep -c 'of r1' /etc/motd");
	cr_expect(strstr(r.out, "No such file"), "%s", r.out);
	cr_expect(strstr(r.out, "\n0\n"), "%s", r.out);
	cr_expect_not(machine_has("/etc/netlab-hs-test"));
	cr_expect_not(machine_has("/run/netlab-hs-test"));
	{
		FILE *f = fopen("/etc/motd", "r");
		char buf[256] = "";

		if (f) {
			(void)!fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		cr_expect_null(strstr(buf, "of r1's own"), "the machine's /etc/motd changed");
	}
}

Test(hostsetup, a_symlink_to_the_machines_shadow_resolves_inside_the_host)
{
	char link[160], shadow[4096] = "";
	FILE *f = fopen("/etc/shadow", "r");

	cr_assert_not_null(f);
	(void)!fread(shadow, 1, sizeof(shadow) - 1, f);
	fclose(f);
	setup_dir("hsl");
	put("h1/etc/netlab-hs-test/readme", "x\n", 0644);
	snprintf(link, sizeof(link), "%s/h1/etc/netlab-hs-test/leak", dir);
	cr_assert_eq(symlink("/etc/shadow", link), 0);
	snprintf(link, sizeof(link), "%s/h1/etc/netlab-hs-test/up", dir);
	cr_assert_eq(symlink("../../../../../../../etc/shadow", link), 0);
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    files: h1\n");
	cr_assert_eq(up(NULL), 0, "%s", r.err);

	in_host("h1", "cd /etc/netlab-hs-test && readlink leak up && test -L leak && cat leak && cat up");
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "/etc/shadow\n../../../../../../../etc/shadow\n"), "copied as "
		  "symbolic links: %s", r.out);
	cr_expect(strstr(r.out, "\nroot:*:"), "the host's own masked shadow: %s", r.out);
	/* nothing of the machine's hashes: every line the machine has with a hash is absent */
	for (char *line = strtok(shadow, "\n"); line; line = strtok(NULL, "\n")) {
		char *hash = strchr(line, ':');

		if (hash && hash[1] != '*' && hash[1] != '!' && hash[1] != ':')
			cr_expect_null(strstr(r.out, line), "the machine's shadow leaked: %s", line);
	}
}

Test(hostsetup, sysctls_are_the_hosts_own_and_set_after_its_links)
{
	char before_ttl[64] = "", before_shm[64] = "", after[64] = "";
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_default_ttl", "r");
	cr_assert(f && fgets(before_ttl, sizeof(before_ttl), f));
	fclose(f);
	f = fopen("/proc/sys/kernel/shmmni", "r");
	cr_assert(f && fgets(before_shm, sizeof(before_shm), f));
	fclose(f);
	setup_dir("hss");
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls:\n"
	     "      net.ipv4.ip_default_ttl: 33\n"
	     "      net.ipv4.conf.all.rp_filter: 2\n"
	     "      net/ipv4/conf/eth0/arp_ignore: 2\n"	/* eth0: after its link is made */
	     "      kernel.shmmni: 1234\n"			/* the host's IPC namespace */
	     "  h2: {links: [lan]}\n");
	cr_assert_eq(up(NULL), 0, "%s", r.err);

	in_host("h1", "cd /proc/sys && cat net/ipv4/ip_default_ttl net/ipv4/conf/all/rp_filter "
		      "net/ipv4/conf/eth0/arp_ignore kernel/shmmni");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "33\n2\n2\n1234\n");
	in_host("h2", "cd /proc/sys && cat net/ipv4/ip_default_ttl kernel/shmmni");
	cr_expect_str_eq(r.out, "64\n4096\n", "h2 has the kernel's defaults");
	f = fopen("/proc/sys/net/ipv4/ip_default_ttl", "r");
	cr_assert(f && fgets(after, sizeof(after), f));
	fclose(f);
	cr_expect_str_eq(after, before_ttl, "the machine's TTL changed");
	f = fopen("/proc/sys/kernel/shmmni", "r");
	cr_assert(f && fgets(after, sizeof(after), f));
	fclose(f);
	cr_expect_str_eq(after, before_shm, "the machine's shmmni changed");
}

Test(hostsetup, a_wrong_sysctl_fails_up_naming_host_key_and_errno_and_rolls_back)
{
	setup_dir("hsw");
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n"
	     "    sysctls: {net.ipv4.conf.eth9.rp_filter: 1}\n");
	cr_assert_eq(up(NULL), 1, "%s", r.err);
	cr_expect(strstr(r.err, "host h1: sysctl net.ipv4.conf.eth9.rp_filter = 1: No such file or "
				"directory"), "%s", r.err);
	assert_gone();
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n"
	     "    sysctls: {net.ipv4.ip_default_ttl: 0}\n");
	cr_assert_eq(up(NULL), 1, "%s", r.err);
	cr_expect(strstr(r.err, "host h1: sysctl net.ipv4.ip_default_ttl = 0: Invalid argument"),
		  "%s", r.err);
	assert_gone();
}

Test(hostsetup, exec_runs_in_order_once_the_network_is_up_and_logs_show_its_output)
{
	setup_dir("hse");
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec:\n"
	     "      - echo first > /tmp/order\n"
	     "      - echo second >> /tmp/order; echo to-stdout\n"
	     "      - ping -c1 -W2 h2\n"
	     "      - echo to-stderr >&2; printf 'bell\\a esc\\033[31m tab\\tend\\n'\n"
	     "  h2: {links: [lan]}\n");
	cr_assert_eq(up(NULL), 0, "%s", r.err);

	in_host("h1", "cat /tmp/order");
	cr_expect_str_eq(r.out, "first\nsecond\n");
	logs("h1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "$ echo first > /tmp/order\n$ echo second >> /tmp/order; echo "
				"to-stdout\nto-stdout\n$ ping -c1 -W2 h2\n"), "%s", r.out);
	cr_expect(strstr(r.out, "1 packets transmitted, 1 received"), "%s", r.out);
	cr_expect(strstr(r.out, "to-stderr\n"), "%s", r.out);
	/* the host's bytes, escaped; a tab is harmless and stays */
	cr_expect(strstr(r.out, "bell\\x07 esc\\x1b[31m tab\tend\n"), "%s", r.out);
	{
		char path[128];
		struct stat st;

		snprintf(path, sizeof(path), "/run/netlab/%s/logs/h1", lab);
		cr_assert_eq(stat(path, &st), 0, "%s", path);
		cr_expect_eq(st.st_uid, 0);
		cr_expect_eq(st.st_mode & 0777, 0600);
	}
	logs("h2");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "host h2 of lab"), "%s", r.err);
	cr_expect(strstr(r.err, "has no log"), "%s", r.err);
	logs("h9");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "has no host 'h9'"), "%s", r.err);
}

static const char *failing = "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec:\n"
			     "      - echo fine\n"
			     "      - for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo out-$i; done; exit 7\n"
			     "      - touch /tmp/not-run\n"
			     "  h2: {links: [lan]}\n";

Test(hostsetup, a_failing_command_rolls_the_lab_back_naming_host_command_and_status)
{
	setup_dir("hsr");
	yaml("%s", failing);
	cr_assert_eq(up(NULL), 1, "%s", r.err);
	cr_expect(strstr(r.err, "netlab: host h1: exec: command 2 of 3, 'for i in 1 2 3 4 5 6 7 8 9 "
				"10 11 12; do echo out-$i; done; exit 7', exited with status 7\n"),
		  "%s", r.err);
	/* its last ten lines */
	cr_expect(strstr(r.err, "  | out-3\n  | out-4\n"), "%s", r.err);
	cr_expect(strstr(r.err, "  | out-12\n"), "%s", r.err);
	cr_expect_null(strstr(r.err, "out-2\n"), "%s", r.err);
	cr_expect(strstr(r.err, "rolled back"), "%s", r.err);
	assert_gone();
}

Test(hostsetup, keep_on_error_keeps_the_lab_and_exits_1)
{
	setup_dir("hsk");
	yaml("%s", failing);
	cr_assert_eq(up("--keep-on-error", NULL), 1, "%s", r.err);
	cr_expect(strstr(r.err, "command 2 of 3, 'for i in"), "%s", r.err);
	cr_expect(strstr(r.err, "exited with status 7"), "%s", r.err);
	cr_expect(strstr(r.err, "is kept (--keep-on-error)"), "%s", r.err);
	in_host("h2", "ping -c1 -W2 h1 >/dev/null && echo reached");
	cr_expect_str_eq(r.out, "reached\n", "the lab is up: %s", r.err);
	in_host("h1", "ls /tmp/not-run 2>&1");
	cr_expect(strstr(r.out, "No such file"), "the commands after it did not run: %s", r.out);
	logs("h1");
	cr_expect(strstr(r.out, "out-12\nnetlab: exit status 7\n"), "%s", r.out);
}

Test(hostsetup, a_command_that_does_not_exit_in_time_is_killed_with_what_it_started)
{
	setup_dir("hst");
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec:\n"
	     "      - sleep 1000 & echo started; sleep 1001\n");
	cr_assert_eq(up("--exec-timeout", "1", "--keep-on-error", NULL), 1, "%s", r.err);
	cr_expect(strstr(r.err, "host h1: exec: command 1 of 1, 'sleep 1000 & echo started; sleep "
				"1001', did not exit within 1 s: killed, with what it started"),
		  "%s", r.err);
	cr_expect(strstr(r.err, "  | started\n"), "%s", r.err);
	in_host("h1", "ps -eo comm=,args= | grep '^sleep' || echo none");
	cr_expect_str_eq(r.out, "none\n");
	logs("h1");
	cr_expect(strstr(r.out, "started\nnetlab: no exit within 1 s: killed, with what it started\n"),
		  "%s", r.out);
}

Test(hostsetup, a_daemon_left_running_neither_hangs_up_nor_dies)
{
	setup_dir("hsd");
	/* each keeps its stdout and stderr: up returns all the same, well before the deadline
	 * (the test's own timeout is shorter than up's: a hang fails it) */
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec:\n"
	     "      - sleep 1000 &\n"
	     "      - (while :; do echo tick; sleep 0.1; done) &\n"
	     "      - echo after\n");
	cr_assert_eq(up("--exec-timeout", "80", NULL), 0, "%s", r.err);
	logs("h1");
	cr_expect(strstr(r.out, "$ sleep 1000 &\n$ (while :; do echo tick; sleep 0.1; done) &\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "$ echo after\nafter\n"), "%s", r.out);
	/* still running after `up`: no SIGPIPE for writing to an output nobody reads */
	in_host("h1", "sleep 0.5; ps -eo args= | grep -c -e '^sleep 1000' -e '^/bin/sh -c (while'");
	cr_expect_str_eq(r.out, "2\n", "%s", r.err);
}

/* examples/web.yaml: its page and site through files:, its TTL through sysctls:, nginx by exec: */
Test(hostsetup, nginx_serves_a_page_that_files_put_there)
{
	char page[512] = "";
	FILE *f = fopen("examples/web/www/var/www/html/index.html", "r");

	cr_assert_not_null(f);
	(void)!fread(page, 1, sizeof(page) - 1, f);
	fclose(f);
	snprintf(lab, sizeof(lab), "hsn%d", (int)(getpid() % 100000));
	cr_assert_eq(nl(&r, "up", "-q", "-f", "examples/web.yaml", "-n", lab, NULL), 0, "%s", r.err);
	in_host("client", "curl -s --max-time 5 http://www/");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, page);
	in_host("client", "ping -4 -c1 -W2 www");
	cr_expect(strstr(r.out, " ttl=32 "), "www's own TTL: %s", r.out);
	logs("www");
	cr_expect(strstr(r.out, "$ nginx -t\n"), "%s", r.out);
	cr_expect(strstr(r.out, "syntax is ok"), "%s", r.out);
	cr_expect(strstr(r.out, "$ service nginx start\nStarting nginx"), "%s", r.out);
}

Test(hostsetup, files_with_fs_shared_is_refused_before_anything_is_made)
{
	setup_dir("hsh");
	put("h1/etc/x", "x\n", 0644);
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    files: h1\n");
	cr_assert_eq(up("--fs", "shared", NULL), 2, "%s", r.err);
	cr_expect(strstr(r.err, "host h1: files: needs a root filesystem of its own"), "%s", r.err);
	cr_expect(strstr(r.err, "use --fs own"), "%s", r.err);
	assert_gone();
}

Test(hostsetup, a_signal_while_commands_run_rolls_back)
{
	char file[128], path[128];
	struct stat st;
	pid_t pid;
	int status;

	setup_dir("hsi");
	yaml("segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec: [\"true\", sleep 100]\n");
	snprintf(file, sizeof(file), "%s/lab.yaml", dir);
	snprintf(path, sizeof(path), "/run/netlab/%s/logs/h1", lab);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl(netlab_bin(), netlab_bin(), "up", "-q", "-f", file, (char *)NULL);
		_exit(127);
	}
	/* the log appears once the first command has run: the second one runs now */
	for (int i = 0; i < 3000 && stat(path, &st) < 0; i++)
		usleep(10000);
	cr_assert_eq(stat(path, &st), 0, "the first command did not run");
	kill(pid, SIGINT);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
	assert_gone();
}
