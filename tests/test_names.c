/* Names: the one rule for each kind (lab, host, segment), and that no name a user gives limits or
 * shapes the names of the kernel objects netlab makes. Unit tests of the validators and of the
 * machine's interface names, then real labs with names as people (and Kathará labs) write them. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/kathara_lab.h"
#include "../src/lab_int.h"
#include "../src/topo.h"
#include "helpers.h"

static struct run r;

/* 32 characters, every kind the rule allows */
#define LONG_HOST "abcdefghijklmnopqrstuvwxyz-012_3"

/* ------------------------------------------------------------------------------------ the rules */

Test(names, lab_names_are_up_to_16_letters_digits_and_underscores)
{
	static const char *const good[] = { "lab", "week_1", "A", "Week1", "abcdefghijklmnop" };
	static const char *const bad[] = { "", "abcdefghijklmnopq", "1lab", "a-b", "a/b", "..", "a b",
					   "a;b", "$(x)", "a.b", "_x" };
	struct lab_error *e = NULL;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_expect_eq(names_check_lab(good[i], NULL), 0, "'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_lt(names_check_lab(bad[i], NULL), 0, "'%s' accepted", bad[i]);
	cr_assert_lt(names_check_lab("abcdefghijklmnopq", &e), 0);
	cr_assert_str_eq(e->msg, "lab name 'abcdefghijklmnopq' is 17 characters; at most 16");
	lab_err_free(&e);
}

static void topo_refuses(const char *yaml_host, const char *want)
{
	char yaml[256];
	struct lab_error *err = NULL;
	struct lab_topo t;

	snprintf(yaml, sizeof(yaml), "segments: {s: {}}\nhosts:\n  \"%s\": {links: [s]}\n", yaml_host);
	cr_assert_lt(topo_parse(yaml, strlen(yaml), "t.yaml", &t, &err), 0, "'%s' accepted", yaml_host);
	cr_assert(!strncmp(err->msg, "t.yaml:3: ", 10) && strstr(err->msg, want), "'%s': %s", yaml_host,
		  err->msg);
	lab_err_free(&err);
}

/* One rule for host names, wherever a name comes from: the command line, a topology file, a state
 * file. Kathará's device names ([a-z0-9_]{1,30}) are all host names. */
Test(names, host_names_are_up_to_32_lowercase_letters_digits_dashes_and_underscores)
{
	static const char *const good[] = { "h1", "webserver", "as100r1", "container_1_1_1", "dnsroot",
					    "web-1", "_x", "1r", "0xg", LONG_HOST };
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "Web", "has 'W': host names are lowercase" },
		{ "", "host name is empty" },
		{ LONG_HOST "4", "is 33 characters; at most 32" },
		{ "-x", "starts with '-'" },
		{ "web.server", "has '.'" },
		{ "a/b", "has '/'" },
		{ "a b", "has a blank or control character" },
		{ "h1;rm", "has ';'" },
		{ "123", "reads as an IPv4 address" },
		{ "0x1f", "reads as an IPv4 address" },
	};
	char lab[LAB_NAME_MAX + 1], host[HOST_NAME_MAX_LEN + 1], yaml[256], arg[64];
	struct lab_error *err = NULL;
	struct lab_topo t;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		cr_assert_eq(names_check_host(good[i], NULL), 0, "%s", good[i]);
		cr_assert_eq(names_split_host(good[i], lab, host, NULL), 0, "%s", good[i]);
		cr_assert_str_eq(host, good[i]);
		snprintf(arg, sizeof(arg), "abcdefghijklmnop/%s", good[i]);
		cr_assert_eq(names_split_host(arg, lab, host, NULL), 0, "%s", arg);
		cr_assert_str_eq(lab, "abcdefghijklmnop");
		cr_assert_str_eq(host, good[i]);
		snprintf(yaml, sizeof(yaml), "segments: {s: {}}\nhosts: {\"%s\": {links: [s]}}\n", good[i]);
		cr_assert_eq(topo_parse(yaml, strlen(yaml), "t.yaml", &t, &err), 0, "%s: %s", good[i],
			     err ? err->msg : "");
		cr_assert_str_eq(t.plan.hosts[0].name, good[i]);
		lab_topo_free(&t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_lt(names_check_host(bad[i].name, &err), 0, "'%s'", bad[i].name);
		cr_assert(strstr(err->msg, bad[i].why), "'%s': %s", bad[i].name, err->msg);
		lab_err_free(&err);
		if (!strchr(bad[i].name, '/'))	/* "a/b" is host b of lab a */
			cr_assert_lt(names_split_host(bad[i].name, lab, host, NULL), 0, "'%s'",
				     bad[i].name);
		snprintf(arg, sizeof(arg), "lab/%s", bad[i].name);
		cr_assert_lt(names_split_host(arg, lab, host, NULL), 0, "'%s'", arg);
		if (bad[i].name[0])
			topo_refuses(bad[i].name, bad[i].why);
	}
	cr_assert_lt(names_split_host("abcdefghijklmnopq/h1", lab, host, NULL), 0, "lab of 17");
	cr_assert_lt(names_split_host("bad-lab/h1", lab, host, NULL), 0);
}

Test(names, segment_names_take_capitals_as_kathara_collision_domains_do)
{
	static const char *const good[] = { "A", "lan", "Lan-1", "core_2", "10", LONG_HOST };
	static const char *const bad[] = { "", "-a", "a.b", "a b", LONG_HOST "4" };
	char yaml[256];
	struct lab_error *err = NULL;
	struct lab_topo t;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		cr_assert_eq(names_check_segment(good[i], NULL), 0, "%s", good[i]);
		snprintf(yaml, sizeof(yaml), "segments: {\"%s\": {}}\nhosts: {h1: {links: [\"%s\"]}}\n",
			 good[i], good[i]);
		cr_assert_eq(topo_parse(yaml, strlen(yaml), "t.yaml", &t, &err), 0, "%s: %s", good[i],
			     err ? err->msg : "");
		lab_topo_free(&t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_lt(names_check_segment(bad[i], &err), 0, "'%s'", bad[i]);
		cr_assert(strstr(err->msg, "segment name"), "%s", err->msg);
		lab_err_free(&err);
	}
	/* segments keep their case: A and a are two */
	snprintf(yaml, sizeof(yaml), "segments: {A: {}, a: {}}\nhosts: {h1: {links: [A, a]}}\n");
	cr_assert_eq(topo_parse(yaml, strlen(yaml), "t.yaml", &t, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(t.plan.nsegs, 2);
	lab_topo_free(&t);
}

Test(names, interface_names_are_checked_never_cut)
{
	char out[IFNAMSIZ];
	struct lab_error *e = NULL;

	cr_assert_eq(names_ifname(out, NULL, "%s-%s", "abcdefgh", "h1000"), 0);
	cr_assert_str_eq(out, "abcdefgh-h1000");
	cr_assert_lt(names_ifname(out, &e, "%s-%s", "abcdefghij", "h10000"), 0);
	cr_assert(strstr(e->msg, "17 characters; the kernel allows 15"), "%s", e->msg);
	lab_err_free(&e);
	cr_assert_eq(names_check_ifname("abcdefghijklmno", NULL), 0, "15 characters fit");
	cr_assert_lt(names_check_ifname("abcdefghijklmnop", NULL), 0, "16 do not");
	cr_assert_lt(names_check_ifname("a/b", NULL), 0);
	cr_assert_lt(names_check_ifname("a b", NULL), 0);
	cr_assert_lt(names_check_ifname("..", NULL), 0);
	cr_assert_lt(names_check_ifname("", NULL), 0);
}

/* The machine's interface names come from the lab's number and the places of hosts and segments:
 * the longest lab and host names change nothing, and the largest numbers still fit. */
Test(names, machine_interface_names_always_fit_and_say_whose_they_are)
{
	struct lab_segment segs[LAB_SEGMENTS_MAX] = { 0 };
	struct lab_host *hosts = calloc(LAB_HOSTS_MAX + LAB_EMPTY_MAX, sizeof(*hosts));
	struct lab lab = { .name = "abcdefghijklmnop", .number = 65535, .nsegs = LAB_SEGMENTS_MAX,
			   .segs = segs, .nhosts = LAB_HOSTS_MAX + LAB_EMPTY_MAX, .hosts = hosts };
	char name[IFNAMSIZ];

	char longest[64];

	cr_assert_not_null(hosts);
	for (size_t i = 0; i < lab.nhosts; i++) {
		snprintf(longest, sizeof(longest), "%.27s%05zu", LONG_HOST, i);	/* 32, all distinct */
		snprintf(hosts[i].name, sizeof(hosts[i].name), "%.32s", longest);
		hosts[i].nifaces = i >= lab.nhosts - LAB_IFACES_MAX ? LAB_IFACES_MAX : 0;
		for (size_t k = 0; k < hosts[i].nifaces; k++)
			hosts[i].ifaces[k].seg = LAB_SEGMENTS_MAX - 1;
	}
	for (size_t g = 0; g < lab.nsegs; g++) {
		snprintf(longest, sizeof(longest), "%.30s%02zu", LONG_HOST, g);
		snprintf(segs[g].name, sizeof(segs[g].name), "%.32s", longest);
	}
	cr_assert_eq(name_links(&lab, NULL), 0);
	cr_assert_str_eq(segs[0].bridge, "nl65535-b1");
	cr_assert_str_eq(segs[LAB_SEGMENTS_MAX - 1].bridge, "nl65535-b64");
	cr_assert_str_eq(hosts[lab.nhosts - 1].ifaces[0].veth, "nl65535-h1100");
	cr_assert_str_eq(hosts[lab.nhosts - 1].ifaces[7].veth, "nl65535-h1100-7");
	cr_assert_eq(lab_bridge_name(&segs[LAB_SEGMENTS_MAX - 1], LAB_SEG_BRIDGES_MAX - 1, "up", name,
				     NULL), 0);
	cr_assert_str_eq(name, "nl65535-b64-8up");
	free(hosts);

	/* h1 of `up N` is host 1; a small lab reads plainly */
	struct lab_host h[2] = { { .name = "h1", .nifaces = 1 }, { .name = "h2", .nifaces = 2 } };
	struct lab_segment s[1] = { { .name = "lan" } };
	struct lab small = { .name = "lab", .number = 3, .nsegs = 1, .segs = s, .nhosts = 2, .hosts = h };

	cr_assert_eq(name_links(&small, NULL), 0);
	cr_assert_str_eq(s[0].bridge, "nl3-b1");
	cr_assert_str_eq(h[0].ifaces[0].veth, "nl3-h1");
	cr_assert_str_eq(h[1].ifaces[1].veth, "nl3-h2-1");

	/* and how netlab knows a number's interfaces (two markers: name and group) */
	cr_assert_eq(link_name_number("nl3-h1"), 3);
	cr_assert_eq(link_name_number("nl65535-b64-8up"), 65535);
	static const char *const not_ours[] = { "nl0-h1", "nl03-h1", "nl3", "nl3h1", "nl65536-h1",
						"nlab-h1", "lab-h1", "" };
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(*not_ours); i++)
		cr_assert_eq(link_name_number(not_ours[i]), 0, "%s", not_ours[i]);
	cr_assert_eq(link_group_number(LAB_GROUP_BASE + 3), 3);
	cr_assert_eq(link_group_number(LAB_GROUP_BASE), 0);
	cr_assert_eq(link_group_number(0), 0);
	cr_assert_eq(link_group_number(LAB_GROUP_BASE + 65536), 0);
}

/* What the previous netlab recorded: short names, "LAB-br" and "LAB-HOST" interfaces, no fs line */
static const char old_state[] =
	"netlab-state 2\nname old\nnumber 4\nstatus up\nbuilder 10 20\nextra 0\nkind plain\n"
	"segments 1\nsegment lan old-br 10.77.9.0/24 fd4e:4c00:4:1::/64\nhosts 3\n"
	"host h1 100 200 host 1 0\niface eth0 0 10.77.9.1 fd4e:4c00:4:1::1 old-h1\n"
	"host h2 101 201 host 1 0\niface eth0 0 10.77.9.2 fd4e:4c00:4:1::2 old-h2\n"
	"host e1 102 202 host 0 0\nend\n";

Test(names, state_files_of_the_previous_netlab_parse_and_long_names_round_trip)
{
	struct lab l, back;
	struct lab_error *err = NULL;
	char *text = NULL, *at;
	size_t len;

	cr_assert_eq(state_parse(old_state, "old", &l, &err), 0, "%s", err ? err->msg : "");
	cr_assert_str_eq(l.segs[0].bridge, "old-br");
	cr_assert_str_eq(l.hosts[1].ifaces[0].veth, "old-h2");
	state_free(&l);

	/* a lab of 16 and hosts of 32, as this netlab records them */
	text = strdup(old_state);
	cr_assert_eq(state_parse(text, "t", &l, NULL), 0);
	free(text);
	snprintf(l.name, sizeof(l.name), "abcdefghijklmnop");
	snprintf(l.hosts[0].name, sizeof(l.hosts[0].name), "%s", LONG_HOST);
	snprintf(l.hosts[1].name, sizeof(l.hosts[1].name), "container_1_1_1");
	snprintf(l.segs[0].name, sizeof(l.segs[0].name), "Collision-Domain_A");
	cr_assert_eq(name_links(&l, NULL), 0);
	cr_assert_eq(state_format(&l, &text, &len, NULL), 0);
	cr_assert_eq(state_parse(text, "t", &back, &err), 0, "%s\n%s", err ? err->msg : "", text);
	cr_assert_str_eq(back.name, "abcdefghijklmnop");
	cr_assert_str_eq(back.hosts[0].name, LONG_HOST);
	cr_assert_str_eq(back.segs[0].name, "Collision-Domain_A");
	cr_assert_str_eq(back.segs[0].bridge, "nl4-b1");
	cr_assert_str_eq(back.hosts[1].ifaces[0].veth, "nl4-h2");
	state_free(&back);
	state_free(&l);
	/* a host line naming H1, or a name of 33, is refused like any other bad host line */
	cr_assert_not_null(at = strstr(text, "host container_1_1_1 "), "%s", text);
	at[5] = 'C';
	cr_assert_lt(state_parse(text, "t", &back, &err), 0, "Container_1_1_1 accepted:\n%s", text);
	cr_assert(strstr(err->msg, "Container_1_1_1"), "%s", err->msg);
	lab_err_free(&err);
	free(text);
}

/* ----------------------------------------------------------------------------------- real labs */

/* A lab name of 16 characters for this test process: prefix (6) + 10 digits of the PID. */
static void long_lab(char name[LAB_NAME_MAX + 1], const char *prefix)
{
	snprintf(name, LAB_NAME_MAX + 1, "%.6s%010d", prefix, (int)getpid());
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* Is an interface of the machine named nlN-... and without an alias (one that `up` made but had
 * not named yet)? Describes the first in what. Another lab may have taken the number since (its
 * links have its alias; one of its being made gets it a moment later: looked at twice). */
static bool unnamed_links_of_number(unsigned n, char *what, size_t len)
{
	char prefix[16];
	bool found = false;

	snprintf(prefix, sizeof(prefix), ": nl%u-", n);
	for (int pass = 0; pass < 2 && (pass == 0 || found); pass++) {
		if (pass)
			usleep(200000);
		found = false;
		if (run(&r, "ip", "-o", "link", NULL) != 0)
			return snprintf(what, len, "ip -o link failed"), true;
		for (char *line = strtok(r.out, "\n"); line && !found; line = strtok(NULL, "\n"))
			if (strstr(line, prefix) && !strstr(line, " alias ")) {
				snprintf(what, len, "%.200s", line);
				found = true;
			}
	}
	return found;
}

static void assert_all_gone(const char *lab, unsigned number)
{
	char what[256];

	cr_assert(!lab_leftovers(lab, NULL, 0, what, sizeof(what)), "lab %s left %s", lab, what);
	cr_assert(!unnamed_links_of_number(number, what, sizeof(what)), "lab %s (number %u) left %s",
		  lab, number, what);
}

/* webserver and LONG_HOST on Lan-A, container_1_1_1 on core_1, as100r1 routing between them */
static const char kathara_like[] =
	"segments:\n"
	"  Lan-A: {}\n"
	"  core_1: {}\n"
	"hosts:\n"
	"  webserver:\n"
	"    links: [Lan-A]\n"
	"    routes: [{ to: default, via: as100r1 }]\n"
	"  as100r1:\n"
	"    router: true\n"
	"    links: [Lan-A, core_1]\n"
	"  container_1_1_1:\n"
	"    links: [core_1]\n"
	"    routes: [{ to: default, via: as100r1 }]\n"
	"  " LONG_HOST ":\n"
	"    links: [Lan-A]\n"
	"    routes: [{ to: default, via: as100r1 }]\n";

static const char *const kathara_hosts[] = { "webserver", "as100r1", "container_1_1_1", LONG_HOST };

static char LONGLAB[LAB_NAME_MAX + 1], LONGFILE[64];

static void down_longlab(void)
{
	if (*LONGLAB)
		lab_down_quiet(LONGLAB);
	if (*LONGFILE)
		unlink(LONGFILE);
}

Test(names, long_names_work_from_up_to_down, .fini = down_longlab, .timeout = 90)
{
	char target[64], want[128], veth[16], path[128];
	unsigned number;

	long_lab(LONGLAB, "tnlong");
	snprintf(LONGFILE, sizeof(LONGFILE), "/tmp/%s.yaml", LONGLAB);
	write_file(LONGFILE, kathara_like);
	cr_assert_eq(nl(&r, "up", "-f", LONGFILE, "-n", LONGLAB, NULL), 0, "%s", r.err);
	for (size_t i = 0; i < 4; i++)
		cr_assert(strstr(r.out, kathara_hosts[i]), "%s missing:\n%s", kathara_hosts[i], r.out);
	number = state_number(LONGLAB);
	cr_assert_gt(number, 0);

	/* each host: its own name inside, its interfaces on the machine numbered and marked */
	for (size_t i = 0; i < 4; i++) {
		const char *h = kathara_hosts[i];

		snprintf(target, sizeof(target), "%s/%s", LONGLAB, h);
		cr_assert_eq(nl(&r, "exec", target, "--", "sh", "-c", "hostname; echo $NETLAB_HOST", NULL),
			     0, "%s: %s", target, r.err);
		snprintf(want, sizeof(want), "%s\n%s\n", h, h);
		cr_assert_str_eq(r.out, want);
		for (int k = 0; k < (i == 1 ? 2 : 1); k++) {
			cr_assert(state_veth(LONGLAB, h, k, veth), "%s eth%d", h, k);
			snprintf(want, sizeof(want), "nl%u-h%zu%s", number, i + 1, k ? "-1" : "");
			cr_assert_str_eq(veth, want);
			cr_assert_eq(run(&r, "ip", "-o", "link", "show", "dev", veth, NULL), 0, "%s", r.err);
			snprintf(want, sizeof(want), " alias netlab:%s:%s", LONGLAB, h);
			cr_assert(strstr(r.out, want), "no '%s' on %s: %s", want, veth, r.out);
			snprintf(want, sizeof(want), " group %u", 0x4e4c0000u + number);
			cr_assert_eq(run(&r, "ip", "-d", "-o", "link", "show", "dev", veth, NULL), 0);
			cr_assert(strstr(r.out, want), "%s not in the lab's group: %s", veth, r.out);
		}
		snprintf(path, sizeof(path), "/run/netns/%s-%s", LONGLAB, h);
		cr_assert_eq(access(path, F_OK), 0, "%s", path);
	}
	snprintf(want, sizeof(want), "nl%u-b2", number);
	cr_assert(state_bridge(LONGLAB, "core_1", veth) && !strcmp(veth, want), "%s", veth);

	/* by name, across the router, to the longest name; and every pair as planned */
	snprintf(target, sizeof(target), "%s/webserver", LONGLAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "ping", "-c1", "-W2", LONG_HOST, NULL), 0, "%s%s",
		     r.out, r.err);
	cr_assert_eq(nl(&r, "exec", target, "--", "ping", "-4", "-c1", "-W2", "container_1_1_1", NULL),
		     0, "%s%s", r.out, r.err);
	snprintf(path, sizeof(path), "/run/netns/%s-container_1_1_1", LONGLAB);
	snprintf(want, sizeof(want), "%s-container_1_1_1", LONGLAB);
	cr_assert_eq(run(&r, "ip", "netns", "exec", want, "ip", "-br", "link", "show", "eth0", NULL), 0,
		     "%s", r.err);
	cr_assert_eq(nl(&r, "pingall", LONGLAB, "-W", "2", NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "as expected"), "%s", r.out);

	/* status, its JSON, the picture and compare name every host in full */
	cr_assert_eq(nl(&r, "status", LONGLAB, NULL), 0, "%s", r.err);
	for (size_t i = 0; i < 4; i++)
		cr_assert(strstr(r.out, kathara_hosts[i]), "%s missing:\n%s", kathara_hosts[i], r.out);
	cr_assert(strstr(r.out, "segment Lan-A") && strstr(r.out, "segment core_1"), "%s", r.out);
	cr_assert_eq(count_lines(r.out, "alive"), 4, "%s", r.out);
	cr_assert_eq(nl(&r, "status", LONGLAB, "--json", NULL), 0, "%s", r.err);
	snprintf(want, sizeof(want), "\"netns\":\"/run/netns/%s-%s\"", LONGLAB, LONG_HOST);
	cr_assert(strstr(r.out, want), "no %s in %s", want, r.out);
	snprintf(want, sizeof(want), "\"veth\":\"nl%u-h2-1\"", number);
	cr_assert(strstr(r.out, want), "no %s in %s", want, r.out);
	cr_assert_eq(nl(&r, "graph", LONGLAB, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"host:" LONG_HOST "\"") && strstr(r.out, "\"seg:Lan-A\""), "%s", r.out);
	snprintf(target, sizeof(target), "%s/container_1_1_1", LONGLAB);
	cr_assert_eq(nl(&r, "compare", target, NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "container_1_1_1"), "%s", r.out);

	cr_assert_eq(nl(&r, "down", LONGLAB, NULL), 0, "%s", r.err);
	assert_all_gone(LONGLAB, number);
	*LONGLAB = '\0';
}

/* Refused before anything is made: exit 2, the file and line, the rule. */
Test(names, a_name_too_long_or_badly_made_is_refused_with_its_line)
{
	static const struct {
		const char *host, *why;
	} cases[] = {
		{ LONG_HOST "4", "host name \"" LONG_HOST "4\" is 33 characters; at most 32" },
		{ "Webserver", "host name \"Webserver\" has 'W': host names are lowercase" },
		{ "web.server", "host name \"web.server\" has '.'" },
		{ "-web", "host name \"-web\" starts with '-'" },
		{ "123", "host name \"123\" reads as an IPv4 address" },
	};
	char lab[LAB_NAME_MAX + 1], path[64], text[256], want[160], what[256];

	long_lab(lab, "tnbad_");
	snprintf(path, sizeof(path), "/tmp/%s.yaml", lab);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(text, sizeof(text), "name: %s\nsegments:\n  lan: {}\nhosts:\n  h1: { links: [lan] }\n"
			 "  \"%s\": { links: [lan] }\n", lab, cases[i].host);
		write_file(path, text);
		nl(&r, "up", "-f", path, NULL);
		snprintf(want, sizeof(want), "netlab: %s:6: %s", path, cases[i].why);
		cr_assert_eq(r.status, 2, "%s: %s", cases[i].host, r.err);
		cr_assert(strstr(r.err, want), "want '%s', got: %s", want, r.err);
		cr_assert(!lab_leftovers(lab, NULL, 0, what, sizeof(what)), "%s", what);
	}
	snprintf(text, sizeof(text), "segments:\n  %s4: {}\nhosts:\n  h1: { links: [lan] }\n", LONG_HOST);
	write_file(path, text);
	nl(&r, "up", "-f", path, "-n", lab, NULL);
	unlink(path);
	snprintf(want, sizeof(want), "%s:2: segment name \"%s4\" is 33 characters; at most 32", path,
		 LONG_HOST);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert_eq(nl(&r, "up", "1", "--name", "abcdefghijklmnopq", NULL), 2, "%s", r.err);
	cr_assert(strstr(r.err, "lab name 'abcdefghijklmnopq' is 17 characters; at most 16"), "%s", r.err);
	cr_assert_eq(nl(&r, "up", "1", "--name", "a-b", NULL), 2, "%s", r.err);
	cr_assert(strstr(r.err, "lab name 'a-b' has '-'"), "%s", r.err);
	cr_assert_eq(nl(&r, "exec", "lab/Web", "--", "true", NULL), 2, "%s", r.err);
	cr_assert(strstr(r.err, "host names are lowercase"), "%s", r.err);
	cr_assert(!lab_leftovers(lab, NULL, 0, what, sizeof(what)), "%s", what);
}

/* The kernel cuts nothing: two labs of 16 characters alike in the first 15 are two labs. */
static char TWIN[2][LAB_NAME_MAX + 1];

static void down_twins(void)
{
	for (int i = 0; i < 2; i++)
		if (*TWIN[i])
			lab_down_quiet(TWIN[i]);
}

Test(names, labs_alike_in_15_characters_live_and_go_apart, .fini = down_twins, .timeout = 90)
{
	unsigned number[2];
	char target[64], br[2][16];

	for (int i = 0; i < 2; i++) {
		snprintf(TWIN[i], sizeof(TWIN[i]), "tntwin%09d%c", (int)getpid(), 'a' + i);
		cr_assert_eq(strlen(TWIN[i]), 16);
		cr_assert_eq(nl(&r, "up", "2", "--name", TWIN[i], "--empty", "0", "-q", NULL), 0, "%s: %s",
			     TWIN[i], r.err);
		number[i] = state_number(TWIN[i]);
		cr_assert(state_bridge(TWIN[i], NULL, br[i]));
	}
	cr_assert_neq(number[0], number[1]);
	cr_assert_str_neq(br[0], br[1]);
	for (int i = 0; i < 2; i++) {
		snprintf(target, sizeof(target), "%s/h1", TWIN[i]);
		cr_assert_eq(nl(&r, "exec", target, "--", "printenv", "NETLAB_LAB", NULL), 0, "%s", r.err);
		cr_assert(!strncmp(r.out, TWIN[i], 16) && r.out[16] == '\n', "%s", r.out);
		cr_assert_eq(nl(&r, "pingall", TWIN[i], "-W", "2", NULL), 0, "%s", r.out);
	}
	/* the first goes; the second keeps everything and works */
	cr_assert_eq(nl(&r, "down", TWIN[0], NULL), 0, "%s", r.err);
	assert_all_gone(TWIN[0], number[0]);
	*TWIN[0] = '\0';
	cr_assert_eq(run(&r, "ip", "link", "show", "dev", br[1], NULL), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "verify", TWIN[1], "-W", "2", NULL), 0, "%s", r.out);
	cr_assert_eq(nl(&r, "status", TWIN[1], NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "alive"), 2, "%s", r.out);
	cr_assert_eq(nl(&r, "down", TWIN[1], NULL), 0, "%s", r.err);
	assert_all_gone(TWIN[1], number[1]);
	*TWIN[1] = '\0';
}

/* `up` killed at several points of its work, then `clean`: nothing of a long-named lab is left,
 * whether its interfaces had their alias yet or not. */
Test(names, clean_after_a_killed_up_of_a_long_named_lab_removes_everything, .timeout = 120)
{
	char lab[LAB_NAME_MAX + 1], path[64], env[16];

	long_lab(lab, "tnkill");
	snprintf(path, sizeof(path), "/tmp/%s.yaml", lab);
	write_file(path, kathara_like);
	/* 2 bridges, the wall, then spawns and cabling interleaved (4 hosts, 5 veths), mounts */
	for (int step = 2; step <= 18; step += 4) {
		unsigned number;
		int status;
		pid_t pid = fork();

		snprintf(env, sizeof(env), "%d", step);
		if (pid == 0) {
			int fd = open("/dev/null", O_RDWR);
			dup2(fd, 1);
			dup2(fd, 2);
			setenv("NETLAB_STOP_AT", env, 1);
			execl(netlab_bin(), "netlab", "up", "-f", path, "-n", lab, NULL);
			_exit(127);
		}
		cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
		cr_assert(WIFSTOPPED(status), "up did not stop at step %d (status %x)", step, status);
		number = state_number(lab);
		cr_assert_gt(number, 0, "step %d: no state", step);
		int lock = clean_lock();	/* this test's clean removes it, no other's */

		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		nl(&r, "clean", NULL);
		close(lock);
		cr_assert_eq(r.status, 0, "step %d: %s%s", step, r.out, r.err);
		assert_all_gone(lab, number);
	}
	unlink(path);
}

/* An interface named like a lab number's (nlN-...), or in its netdevice group, that no lab has
 * (someone's, or left by a lab whose state is gone): `up` takes another number, and leaves it. */
Test(names, up_takes_no_number_an_interface_name_or_group_uses, .timeout = 60)
{
	char lab[LAB_NAME_MAX + 1], stray[2][16], peer[2][16], group[16];
	unsigned used[2], first_free = 1, number;
	DIR *d;
	struct dirent *e;
	bool taken[70000] = { false };

	/* the lowest number no lab has now: what `up` would take */
	if ((d = opendir("/run/netlab"))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				taken[state_number(e->d_name)] = true;
		closedir(d);
	}
	while (taken[first_free])
		first_free++;
	used[0] = first_free;
	used[1] = first_free + 1;
	snprintf(stray[0], sizeof(stray[0]), "nl%u-zz", used[0]);
	snprintf(peer[0], sizeof(peer[0]), "tnz%dp", (int)(getpid() % 100000));
	snprintf(stray[1], sizeof(stray[1]), "tnz%dg", (int)(getpid() % 100000));
	snprintf(peer[1], sizeof(peer[1]), "tnz%dq", (int)(getpid() % 100000));
	snprintf(group, sizeof(group), "%u", 0x4e4c0000u + used[1]);
	cr_assert_eq(run(&r, "ip", "link", "add", stray[0], "type", "veth", "peer", "name", peer[0], NULL),
		     0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "link", "add", stray[1], "group", group, "type", "veth", "peer", "name",
			 peer[1], NULL), 0, "%s", r.err);
	long_lab(lab, "tnstry");
	nl(&r, "up", "1", "--name", lab, "--empty", "0", "-q", NULL);
	int st = r.status;
	number = state_number(lab);
	nl(&r, "down", lab, NULL);
	int kept[2] = { run(&r, "ip", "link", "show", stray[0], NULL),
			run(&r, "ip", "link", "show", stray[1], NULL) };
	run(&r, "ip", "link", "del", stray[0], NULL);
	run(&r, "ip", "link", "del", stray[1], NULL);
	cr_assert_eq(st, 0, "%s", r.err);
	cr_assert(number != used[0] && number != used[1], "took number %u, used by %s or %s", number,
		  stray[0], stray[1]);
	cr_assert_eq(kept[0], 0, "%s was removed", stray[0]);
	cr_assert_eq(kept[1], 0, "%s was removed", stray[1]);
	assert_all_gone(lab, number);
}

/* A lab the previous netlab made (short names, interfaces "LAB-br" and "LAB-h1", no fs line in
 * its state) is torn down by this one's `down`: it follows the state and the aliases. Made here by
 * hand as that netlab made it, with a host that is gone. */
static char OLDLAB[16];

static void remove_oldlab(void)
{
	char name[32];

	if (!*OLDLAB)
		return;
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s-%s", OLDLAB, i ? "h1" : "br");
		run(&r, "ip", "link", "del", name, NULL);
	}
	snprintf(name, sizeof(name), "netlab-%s", OLDLAB);
	run(&r, "nft", "delete", "table", "bridge", name, NULL);
	lab_down_quiet(OLDLAB);
}

Test(names, a_lab_of_the_previous_netlab_is_torn_down_by_down, .fini = remove_oldlab, .timeout = 60)
{
	char br[32], veth[32], peer[32], alias[48], group[16], table[32], dir[64], path[80];
	char state[1024];
	unsigned number = 60000 + (unsigned)getpid() % 5000;

	snprintf(OLDLAB, sizeof(OLDLAB), "to%d", (int)(getpid() % 1000000));
	snprintf(br, sizeof(br), "%s-br", OLDLAB);
	snprintf(veth, sizeof(veth), "%s-h1", OLDLAB);
	snprintf(peer, sizeof(peer), "%s-h1p", OLDLAB);
	snprintf(group, sizeof(group), "%u", 0x4e4c0000u + number);
	snprintf(table, sizeof(table), "netlab-%s", OLDLAB);
	cr_assert_eq(run(&r, "ip", "link", "add", br, "group", group, "type", "bridge", NULL), 0, "%s",
		     r.err);
	snprintf(alias, sizeof(alias), "netlab:%s:bridge", OLDLAB);
	cr_assert_eq(run(&r, "ip", "link", "set", br, "alias", alias, NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "link", "add", veth, "group", group, "master", br, "type", "veth",
			 "peer", "name", peer, NULL), 0, "%s", r.err);
	snprintf(alias, sizeof(alias), "netlab:%s:h1", OLDLAB);
	cr_assert_eq(run(&r, "ip", "link", "set", veth, "alias", alias, NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "nft", "add", "table", "bridge", table, NULL), 0, "%s", r.err);
	/* held until `down`: another test's `clean` would take this lab (its host is gone) */
	int lock = clean_lock();

	mkdir("/run/netlab", 0700);
	snprintf(dir, sizeof(dir), "/run/netlab/%s", OLDLAB);
	cr_assert_eq(mkdir(dir, 0700), 0, "%s", dir);
	snprintf(state, sizeof(state),
		 "netlab-state 2\nname %s\nnumber %u\nstatus up\nbuilder 0 0\nextra 0\nkind plain\n"
		 "segments 1\nsegment lan %s 10.99.77.0/24 -\nhosts 1\nhost h1 0 0 host 1 0\n"
		 "iface eth0 0 10.99.77.1 - %s\nend\n", OLDLAB, number, br, veth);
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, state);
	chmod(path, 0600);

	nl(&r, "status", OLDLAB, NULL);
	cr_assert(strstr(r.out, br), "status of the old lab: %s%s", r.out, r.err);
	cr_assert_eq(nl(&r, "down", OLDLAB, NULL), 0, "%s", r.err);
	close(lock);
	cr_assert_neq(run(&r, "ip", "link", "show", br, NULL), 0, "%s is left", br);
	cr_assert_neq(run(&r, "ip", "link", "show", peer, NULL), 0, "%s is left", peer);
	cr_assert_neq(run(&r, "nft", "list", "table", "bridge", table, NULL), 0, "%s is left", table);
	assert_all_gone(OLDLAB, number);
	*OLDLAB = '\0';
}

/* --explain writes shell variables: a host name with '-' cannot be one as it is. */
Test(names, explain_names_shell_variables_for_any_host_name, .timeout = 60)
{
	char lab[LAB_NAME_MAX + 1], path[64], file[256];

	long_lab(lab, "tnexpl");
	snprintf(path, sizeof(path), "/tmp/%s.yaml", lab);
	snprintf(file, sizeof(file), "segments: {lan: {}}\nhosts:\n  web-1: {links: [lan]}\n"
				     "  web_1: {links: [lan]}\n");
	write_file(path, file);
	nl(&r, "up", "-f", path, "-n", lab, "--explain", NULL);
	int st = r.status;
	static char out[sizeof(r.out)];
	snprintf(out, sizeof(out), "%s", r.out);
	unlink(path);
	cr_assert_eq(nl(&r, "down", lab, NULL), 0, "%s", r.err);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert(strstr(out, "& pid_web_1_H1=$!") && strstr(out, "& pid_web_1=$!"), "%s", out);
	cr_assert(strstr(out, "mount --bind /proc/$pid_web_1_H1/ns/net /run/netns/") &&
		  strstr(out, "hostname web-1;"), "%s", out);
	cr_assert(!strstr(out, "pid_web-1"), "%s", out);
}

/* An interface `up` made and was killed before naming it (no alias yet) is still known by its two
 * markers, the name nlN-... and the group of N, once no lab has number N: `clean` removes it, and
 * nothing that has only one of them. */
Test(names, clean_removes_an_unnamed_interface_of_a_lab_number_no_lab_has, .timeout = 60)
{
	char name[3][16], peer[3][16], group[16], want[96];
	unsigned n = 64000 + (unsigned)getpid() % 1000;
	int kept[3];

	snprintf(group, sizeof(group), "%u", 0x4e4c0000u + n);
	snprintf(name[0], sizeof(name[0]), "nl%u-h1", n);	/* both markers */
	snprintf(name[1], sizeof(name[1]), "nl%u-h2", n);	/* the name only */
	snprintf(name[2], sizeof(name[2]), "tnu%dg", (int)(getpid() % 100000));	/* the group only */
	int lock = clean_lock();	/* no other test's clean removes it first */

	for (int i = 0; i < 3; i++) {
		snprintf(peer[i], sizeof(peer[i]), "tnu%d%c", (int)(getpid() % 100000), 'p' + i);
		cr_assert_eq(run(&r, "ip", "link", "add", name[i], "group", i == 1 ? "0" : group, "type",
				 "veth", "peer", "name", peer[i], NULL), 0, "%s", r.err);
	}
	nl(&r, "clean", NULL);
	close(lock);
	int st = r.status;
	static char out[sizeof(r.out)];
	snprintf(out, sizeof(out), "%s", r.out);
	for (int i = 0; i < 3; i++) {
		kept[i] = run(&r, "ip", "link", "show", name[i], NULL);
		run(&r, "ip", "link", "del", name[i], NULL);
	}
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_neq(kept[0], 0, "clean left %s:\n%s", name[0], out);
	snprintf(want, sizeof(want), "deleted interface %s (of lab number %u, unnamed)", name[0], n);
	cr_assert(strstr(out, want), "no '%s' in:\n%s", want, out);
	cr_assert_eq(kept[1], 0, "clean removed %s, which has the name only:\n%s", name[1], out);
	cr_assert_eq(kept[2], 0, "clean removed %s, which has the group only:\n%s", name[2], out);
}

/* A Kathará lab's names become netlab's as they are: devices are hosts, collision domains are
 * segments (case and all); a device name that reads as an address is refused with the rule. */
Test(names, kathara_devices_and_domains_keep_their_names)
{
	static const char conf[] = "container_1_1_1[0]=A\nas100r1[0]=A\nas100r1[1]=a\n"
				   "dnsroot[0]=Core_Net_2\n123[0]=A\n";
	struct kathara_lab k;
	struct kathara_plan p;
	struct lab_error *err = NULL;
	bool refused = false;

	cr_assert_eq(kathara_parse_conf(conf, strlen(conf), "lab.conf", &k, &err), 0, "%s",
		     err ? err->msg : "");
	cr_assert_eq(kathara_plan_make(&k, &p, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(p.nsegs, 3);
	cr_assert_str_eq(p.segs[0].name, "A");
	cr_assert_str_eq(p.segs[1].name, "a");
	cr_assert_str_eq(p.segs[2].name, "Core_Net_2");
	for (size_t i = 0; i < p.nhosts; i++)
		if (strcmp(p.hosts[i].name, "123"))
			cr_assert_eq(names_check_host(p.hosts[i].name, NULL), 0, "%s", p.hosts[i].name);
	for (size_t i = 0; i < p.nrefusals; i++)
		refused |= strstr(p.refusals[i], "device 123: host name \"123\" reads as an IPv4 address") != NULL;
	cr_assert(refused, "no refusal of device 123 (%zu refusals)", p.nrefusals);
	kathara_plan_free(&p);
	kathara_lab_free(&k);
}
