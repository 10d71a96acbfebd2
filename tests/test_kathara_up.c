/* `netlab up DIR` on netlab's own Kathará labs (tests/kathara/): each lab comes up from its
 * directory and does what its startup files set up (routing across a router, OSPF with FRR, a web
 * page from apache2, names through bind9, SLAAC from radvd with fixed MACs, lab.dep's order); the
 * devices' startups run at once but for lab.dep; a failing startup is reported and the lab kept,
 * a signal during startups rolls it back; a lab needing Quagga is refused with nothing
 * made; shutdown files run at down; nothing is left behind. Labs are named ku<pid> and taken down
 * in .fini. */
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
#include "../src/state.h"

static struct run r;
static char lab[16];
static char dir[64];		/* a test's own lab directory, when it writes one */

static void cleanup(void)
{
	char what[256];

	if (lab[0]) {
		lab_down_quiet(lab);
		cr_expect_not(lab_leftovers(lab, NULL, 0, what, sizeof(what)), "left behind: %s", what);
	}
	if (dir[0])
		rm_tree(dir);
}

TestSuite(kathara_up, .fini = cleanup, .timeout = 120);

/* Bring up tests/kathara/NAME (or a directory) as ku<pid>; asserts exit 0. */
static void up_dir(const char *path)
{
	snprintf(lab, sizeof(lab), "ku%d", (int)(getpid() % 100000));
	nl(&r, "up", path, "--name", lab, NULL);
	cr_assert_eq(r.status, 0, "up %s: %s%s", path, r.out, r.err);
}

static void sh(const char *host, const char *script)
{
	nl_sh(&r, lab, host, script);
}

/* The time (date +%s.%N) a device wrote into one of its files: the last field of its one line. */
static double time_in(const char *host, const char *file)
{
	char script[128];
	char *end = NULL;
	double t;

	snprintf(script, sizeof(script), "tail -n1 %s | awk '{ print $NF }'", file);
	sh(host, script);
	cr_assert_eq(r.status, 0, "%s: %s: %s", host, file, r.err);
	t = strtod(r.out, &end);
	cr_assert(end != r.out && t > 0, "%s: %s holds no time: '%s'", host, file, r.out);
	return t;
}

/* dir/rel with the text, its directories made on the way. */
static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/netlab-ku-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
	}
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *s = strchr(path + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(kathara_up, static_routes_across_a_router)
{
	up_dir("tests/kathara/static");
	cr_assert(strstr(r.out, "Kathara lab"), "%s", r.out);
	sh("pc1", "ping -c1 -W2 192.168.20.22");
	cr_assert_eq(r.status, 0, "pc1 -> pc2 across r1: %s%s", r.out, r.err);
	/* netlab gave no address of its own: only the startup's */
	sh("pc1", "ip -4 -br address show dev eth0");
	cr_assert(strstr(r.out, "192.168.10.11/24") && !strstr(r.out, "10.77."), "%s", r.out);
	nl(&r, "pingall", lab, NULL);
	cr_assert_eq(r.status, 0, "pingall on live addresses: %s%s", r.out, r.err);
	nl(&r, "status", lab, NULL);
	cr_assert(strstr(r.out, "Two LANs joined by one router"), "LAB_DESCRIPTION in status: %s", r.out);
}

/* The line of status under host's first line that starts with "links:". */
static const char *links_line(const char *out, const char *host, char *line, size_t len)
{
	char head[48];
	const char *p, *e;

	snprintf(head, sizeof(head), "\n  %-6s ", host);
	line[0] = '\0';
	if (!(p = strstr(out, head)) || !(p = strstr(p + 1, "links: ")))
		return line;
	e = strchr(p, '\n');
	snprintf(line, len, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
	return line;
}

/* Nothing was planned on a Kathará lab: the startup files made the addresses and routes, and every
 * device forwards (Kathará's sysctls). The device that routes between two LANs is the router;
 * the PCs are hosts, whatever the plan said, and nothing is "NOT PLANNED". */
Test(kathara_up, status_says_which_device_routes_and_marks_nothing_against_a_plan)
{
	char line[256];

	up_dir("tests/kathara/static");
	cr_assert(strstr(r.out, "3 hosts (1 router)"), "up's title: %s", r.out);
	cr_assert_eq(count_lines(r.out, "(router)"), 1, "only r1 is a router at up:\n%s", r.out);
	nl(&r, "status", lab, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "3 hosts (1 router)"), "status's title: %s", r.out);
	cr_assert(strstr(links_line(r.out, "r1", line, sizeof(line)), "(router)"), "r1: %s\n%s", line,
		  r.out);
	cr_assert(strstr(line, "forwarding IPv4 on"), "r1's live forwarding: %s", line);
	cr_assert_not(strstr(links_line(r.out, "pc1", line, sizeof(line)), "router"), "pc1: %s", line);
	cr_assert(strstr(line, "forwarding IPv4 on"), "pc1 forwards, as Kathará has it: %s", line);
	cr_assert_not(strstr(links_line(r.out, "pc2", line, sizeof(line)), "router"), "pc2: %s", line);
	cr_assert(strstr(r.out, "route 0.0.0.0/0 via 192.168.10.1 dev eth0"), "pc1's live route: %s",
		  r.out);
	cr_assert_not(strstr(r.out, "NOT PLANNED"), "%s", r.out);
	cr_assert_not(strstr(r.out, "NOT AS PLANNED"), "%s", r.out);
	cr_assert_not(strstr(r.out, "does not forward"), "%s", r.out);
	nl(&r, "status", lab, "--json", NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "\"name\":\"r1\",\"kind\":\"router\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"name\":\"pc1\",\"kind\":\"host\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"name\":\"pc2\",\"kind\":\"host\""), "%s", r.out);
	cr_assert(strstr(r.out, "\"via\":\"192.168.10.1\",\"dev\":\"eth0\",\"planned\":null"),
		  "nothing planned: %s", r.out);
	cr_assert_not(strstr(r.out, "\"forwarding_as_planned\":false"), "%s", r.out);
}

/* A device's own etc/hosts (a DNS lab's, say) is the /etc/hosts it reads: netlab's does not
 * replace it. A device without one gets netlab's (localhost: netlab assigned no address). */
Test(kathara_up, a_devices_own_etc_hosts_is_the_one_it_reads)
{
	const char *mine = "127.0.0.1\tlocalhost\n10.9.9.9\twww.example.lab www\n# pc1's own\n";

	put("lab.conf", "pc1[0]=\"X\"\npc2[0]=\"X\"\n");
	put("pc1/etc/hosts", mine);
	put("pc1.startup", "ip address add 10.9.9.1/24 dev eth0\n");
	up_dir(dir);
	sh("pc1", "cat /etc/hosts");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, mine);
	sh("pc1", "getent hosts www.example.lab");
	cr_assert(strstr(r.out, "10.9.9.9"), "resolved from the device's file: %s%s", r.out, r.err);
	sh("pc2", "cat /etc/hosts");
	cr_assert(strstr(r.out, "localhost") && !strstr(r.out, "www.example.lab"), "%s", r.out);
}

Test(kathara_up, ifconfig_and_route_add_work_as_well)
{
	up_dir("tests/kathara/ifconfig/lab.conf");	/* -f's form: the lab.conf itself */
	sh("pc2", "ping -c1 -W2 192.168.10.11");
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
}

Test(kathara_up, ospf_with_frr_converges_and_shows_ospf_routes, .timeout = 150)
{
	up_dir("tests/kathara/ospf");
	for (int i = 0; i < 60; i++) {	/* convergence: a minute at most */
		nl(&r, "pingall", lab, NULL);
		if (r.status == 0)
			break;
		sleep(1);
	}
	cr_assert_eq(r.status, 0, "pingall after a minute: %s%s", r.out, r.err);
	sh("r1", "vtysh -c 'show ip route ospf'");
	cr_assert(strstr(r.out, "O>*") && strstr(r.out, "10.3.0.0/24"), "%s", r.out);
	nl(&r, "verify", lab, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
}

Test(kathara_up, apache_serves_the_page_of_the_device_directory)
{
	char want[512] = "";
	FILE *f = fopen("tests/kathara/web/server/var/www/html/index.html", "r");

	cr_assert_not_null(f);
	cr_assert(fread(want, 1, sizeof(want) - 1, f) > 0);
	fclose(f);
	up_dir("tests/kathara/web");
	sh("client", "curl -sS --max-time 5 http://server/");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, want);
}

Test(kathara_up, dig_resolves_through_the_labs_servers)
{
	up_dir("tests/kathara/dns");
	for (int i = 0; i < 20; i++) {
		sh("pc1", "dig +short +time=2 +tries=1 www.lab. A");
		if (strstr(r.out, "192.168.53.80"))
			break;
		sleep(1);
	}
	cr_assert(strstr(r.out, "192.168.53.80"), "%s%s", r.out, r.err);
}

Test(kathara_up, slaac_from_radvd_with_the_fixed_mac)
{
	up_dir("tests/kathara/ipv6");
	sh("pc1", "ip -br link show dev eth0");
	cr_assert(strstr(r.out, "02:00:00:00:0a:01"), "the MAC of lab.conf: %s", r.out);
	for (int i = 0; i < 30; i++) {
		sh("pc1", "ip -6 -br address show dev eth0");
		if (strstr(r.out, "2001:db8:a::ff:fe00:a01/64"))
			break;
		sleep(1);
	}
	cr_assert(strstr(r.out, "2001:db8:a::ff:fe00:a01/64"), "%s", r.out);
	/* pc2 configures itself too, and each address leaves its tentative state */
	for (int i = 0; i < 30; i++) {
		sh("pc1", "ping -6 -c1 -W2 2001:db8:b::ff:fe00:b02");
		if (r.status == 0)
			break;
		sleep(1);
	}
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
}

Test(kathara_up, lab_dep_starts_the_server_before_its_client)
{
	up_dir("tests/kathara/dep");
	cr_assert(!strstr(r.err, "warning"), "a startup failed: %s", r.err);
	sh("pc1", "cat /root/page.html");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(r.out[0], "pc1's startup fetched srv's page");
	/* pc1's startup began once srv's had ended, not only after it began */
	cr_assert_gt(time_in("pc1", "/var/log/started"), time_in("srv", "/var/log/ended"),
		     "pc1 began before srv's startup ended");
	/* shared/ is at /shared, a copy per device */
	sh("pc1", "test -f /shared/hosts && echo mine > /shared/mine");
	cr_assert_eq(r.status, 0, "%s", r.err);
	sh("srv", "test ! -e /shared/mine");
	cr_assert_eq(r.status, 0, "writes to /shared are the device's own");
}

Test(kathara_up, a_failing_startup_is_reported_and_the_lab_kept)
{
	char host[32];

	put("lab.conf", "a[0]=\"X\"\nb[0]=\"X\"\na[exec]=\"echo after > /tmp/after\"\n");
	put("a.startup", "echo about to fail\nexit 3\n");
	put("b.startup", "echo b > /tmp/b\n");
	up_dir(dir);
	cr_assert(strstr(r.err, "device a") && strstr(r.err, "status 3") &&
		  strstr(r.err, "about to fail"), "%s", r.err);
	sh("a", "cat /tmp/after");	/* the next step ran */
	cr_assert_str_eq(r.out, "after\n");
	sh("b", "cat /tmp/b");		/* and the next device */
	cr_assert_str_eq(r.out, "b\n");
	snprintf(host, sizeof(host), "%s/a", lab);
	nl(&r, "logs", host, NULL);
	cr_assert(strstr(r.out, "about to fail"), "%s%s", r.out, r.err);
}

/* A startup that needs software the machine lacks (exit 127) says which: a known command with its
 * Debian package, Quagga's init script with FRR's way, any other with a general line. hping3 and
 * the two others are on no machine netlab's dependencies make. */
Test(kathara_up, a_missing_command_is_named_with_its_debian_package)
{
	static const struct {
		const char *startup, *said;
	} cases[] = {
		{ "hping3 -c 1 10.0.0.1\n", "hping3 is not installed on this machine, whose software the "
					      "hosts run: apt-get install hping3" },
		{ "/etc/init.d/zebra start\n", "/etc/init.d/zebra is Quagga's, which Debian 12 does not "
						 "ship: FRR replaced it" },
		{ "nlx-no-such-command\n", "nlx-no-such-command is not installed on this machine, whose "
					     "software the hosts run: install the Debian package" },
	};

	cr_assert_neq(system("command -v hping3 >/dev/null"), 0, "this machine has hping3");
	put("lab.conf", "a[0]=\"X\"\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put("a.startup", cases[i].startup);
		up_dir(dir);
		cr_expect(strstr(r.err, "status 127") && strstr(r.err, cases[i].said), "%s", r.err);
		lab_down_quiet(lab);
	}
}

Test(kathara_up, startups_run_at_once_but_lab_dep_still_orders)
{
	double a0, a1, b0, b1, c0;

	up_dir("tests/kathara/par");
	cr_assert(!strstr(r.err, "warning"), "a startup failed: %s", r.err);
	a0 = time_in("a", "/var/log/began");
	a1 = time_in("a", "/var/log/ended");
	b0 = time_in("b", "/var/log/began");
	b1 = time_in("b", "/var/log/ended");
	c0 = time_in("c", "/var/log/began");
	/* a and b (no lab.dep between them) overlap: each began before the other ended */
	cr_expect_lt(a0, b1, "a began %.3f, after b ended %.3f: one after the other", a0, b1);
	cr_expect_lt(b0, a1, "b began %.3f, after a ended %.3f: one after the other", b0, a1);
	/* c waits for both (lab.dep: c: a b) */
	cr_expect_gt(c0, a1, "c began %.3f before a ended %.3f", c0, a1);
	cr_expect_gt(c0, b1, "c began %.3f before b ended %.3f", c0, b1);
}

Test(kathara_up, a_failing_startup_among_parallel_ones_is_reported_in_the_hosts_order)
{
	put("lab.conf", "a[0]=\"X\"\nb[0]=\"X\"\nc[0]=\"X\"\n");
	put("a.startup", "sleep 1\necho a > /tmp/a\n");
	/* c fails first; b, before it in the hosts' order, is the one reported */
	put("b.startup", "sleep 0.5\necho b about to fail\nexit 3\n");
	put("c.startup", "echo c fails\nexit 4\n");
	up_dir(dir);
	cr_assert(strstr(r.err, "device b") && strstr(r.err, "status 3") &&
		  strstr(r.err, "b about to fail"), "%s", r.err);
	cr_assert(strstr(r.err, "1 more startup step failed"), "%s", r.err);
	sh("a", "cat /tmp/a");		/* the others ran to their end, and the lab is kept */
	cr_assert_str_eq(r.out, "a\n");
	nl(&r, "status", lab, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
}

Test(kathara_up, a_startup_past_its_deadline_is_killed_while_the_others_run_on)
{
	put("lab.conf", "a[0]=\"X\"\nb[0]=\"X\"\n");
	put("a.startup", "sleep 1000 & echo started\nsleep 1001\n");
	put("b.startup", "sleep 0.5\necho b > /tmp/b\n");
	snprintf(lab, sizeof(lab), "ku%d", (int)(getpid() % 100000));
	nl(&r, "up", dir, "--name", lab, "--exec-timeout", "2", NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "device a") && strstr(r.err, "did not exit in time") &&
		  strstr(r.err, "started"), "%s", r.err);
	sh("b", "cat /tmp/b");
	cr_assert_str_eq(r.out, "b\n");
	sh("a", "pidof sleep || echo none");	/* killed with what it started */
	cr_assert_str_eq(r.out, "none\n");
}

Test(kathara_up, a_signal_during_parallel_startups_rolls_back_and_exits_130)
{
	char path[2][128];
	struct stat st;
	bool both;
	pid_t pid;
	int status;

	/* each device's startup ends at once, then its [exec] sleeps: once both logs exist (a log is
	 * written when a step ends), both sleeps run at the same time */
	put("lab.conf", "a[0]=\"X\"\nb[0]=\"X\"\na[exec]=\"sleep 100\"\nb[exec]=\"sleep 100\"\n");
	put("a.startup", "true\n");
	put("b.startup", "true\n");
	snprintf(lab, sizeof(lab), "ku%d", (int)(getpid() % 100000));
	snprintf(path[0], sizeof(path[0]), "/run/netlab/%s/logs/a", lab);
	snprintf(path[1], sizeof(path[1]), "/run/netlab/%s/logs/b", lab);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl(netlab_bin(), netlab_bin(), "up", "-q", dir, "--name", lab, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 3000 && (stat(path[0], &st) < 0 || stat(path[1], &st) < 0); i++)
		usleep(10000);
	both = stat(path[0], &st) == 0 && stat(path[1], &st) == 0;
	kill(pid, SIGINT);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(both, "a's and b's sleeps did not run at the same time");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
	assert_lab_gone(lab, NULL, 0);
}

Test(kathara_up, a_quagga_lab_is_refused_with_nothing_made)
{
	char path[128];
	struct stat st;

	put("lab.conf", "r1[0]=\"A\"\nr1[image]=\"kathara/quagga\"\n");
	snprintf(lab, sizeof(lab), "ku%d", (int)(getpid() % 100000));
	nl(&r, "up", dir, "--name", lab, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "Quagga") && strstr(r.err, "nothing was created"), "%s", r.err);
	snprintf(path, sizeof(path), "/run/netlab/%s", lab);
	cr_assert(stat(path, &st) < 0, "%s exists", path);
}

Test(kathara_up, a_parse_error_names_file_and_line_and_exits_2)
{
	put("lab.conf", "a[0]=\"X\"\nthis is not lab.conf\n");
	snprintf(lab, sizeof(lab), "ku%d", (int)(getpid() % 100000));
	nl(&r, "up", dir, "--name", lab, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "lab.conf:2"), "%s", r.err);
}

Test(kathara_up, shutdown_files_run_at_down)
{
	char cmd[256], got[64] = "";
	FILE *p;

	put("lab.conf", "a[0]=\"X\"\n");
	/* it waits (a few seconds at most) for the command below to have seen its file: down kills
	 * the host right after its shutdown files */
	put("a.shutdown", "touch /tmp/bye\nfor i in $(seq 50); do test -e /tmp/ack && break; "
	    "sleep 0.1; done\n");
	up_dir(dir);
	/* a command in the host waits for what a.shutdown makes: it sees it before the host goes */
	snprintf(cmd, sizeof(cmd), "%s exec %s/a -- sh -c 'while ! test -e /tmp/bye; do sleep 0.1; "
		 "done; echo seen; touch /tmp/ack' 2>&1", netlab_bin(), lab);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	sleep(1);
	nl(&r, "down", lab, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	if (!fgets(got, sizeof(got), p))
		got[0] = '\0';
	pclose(p);
	cr_assert_str_eq(got, "seen\n");
}

/* the state file records a segment without addresses, and reads it back (no lab needed) */
Test(kathara_up, a_noaddr_segment_round_trips_through_the_state_file)
{
	struct lab_segment seg = { .name = "a", .bridge = "x-a", .noaddr = true };
	struct lab_host host = { .name = "r1", .networked = true, .router = true, .nifaces = 1 };
	struct lab in = { .name = "x", .number = 3, .complete = true, .from_file = true,
			  .nsegs = 1, .segs = &seg, .nhosts = 1, .hosts = &host }, out;
	struct lab_error *err = NULL;
	char *text = NULL;
	size_t len;

	snprintf(host.ifaces[0].name, sizeof(host.ifaces[0].name), "eth0");
	snprintf(host.ifaces[0].veth, sizeof(host.ifaces[0].veth), "x-r1");
	cr_assert_eq(state_format(&in, &text, &len, &err), 0);
	cr_assert(strstr(text, "segment a x-a - -\n"), "%s", text);
	cr_assert_eq(state_parse(text, "state", &out, &err), 0, "%s", err ? err->msg : "");
	cr_assert(out.segs[0].noaddr && out.hosts[0].ifaces[0].addr == 0);
	state_free(&out);
	free(text);
	/* an address on such a segment is corruption */
	cr_assert_eq(state_parse("netlab-state 2\nname x\nnumber 3\nstatus up\nbuilder 0 0\nextra 0\n"
				 "kind file\nfs own\nsegments 1\nsegment a x-a - -\nhosts 1\n"
				 "host r1 0 0 router 1 0\niface eth0 0 10.0.0.1 - x-r1\nend\n", "state",
				 &out, &err), -1);
	lab_err_free(&err);
}
