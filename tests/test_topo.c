/* Topology files and IPv6 options on real labs: the examples come up and verify, a broken route
 * is caught, bad files create nothing, routers forward and hosts do not, shaping from the file. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;

/* A unique lab name for this test process: PREFIX + pid digits, at most 8 characters (in char[16]). */
static void unique(char name[16], const char *prefix)
{
	snprintf(name, 16, "%s%d", prefix, (int)(getpid() % 10000));
}

static void up_file(const char *lab, const char *file)
{
	cr_assert_eq(nl(&r, "up", "-f", file, "-n", lab, "-q", NULL), 0, "up -f %s: %s", file, r.err);
}

static void down_clean(const char *lab)
{
	char what[128];

	cr_assert_eq(nl(&r, "down", lab, NULL), 0, "%s", r.err);
	cr_assert(!lab_leftovers(lab, NULL, 0, what, sizeof(what)), "%s left", what);
}

static void example_verifies(const char *file, const char *prefix, int hosts_line_passes)
{
	char lab[16], want[32];

	unique(lab, prefix);
	up_file(lab, file);
	nl(&r, "verify", lab, "-W", "2", NULL);
	int status = r.status;
	char out[sizeof(r.out)];
	memcpy(out, r.out, sizeof(out));
	nl(&r, "pingall", lab, "-W", "2", NULL);
	int ping4 = r.status;
	nl(&r, "pingall", lab, "-6", "-W", "2", NULL);
	int ping6 = r.status;
	down_clean(lab);
	cr_assert_eq(status, 0, "%s", out);
	snprintf(want, sizeof(want), "%d passed, 0 failed", hosts_line_passes);
	cr_assert(strstr(out, want), "want \"%s\":\n%s", want, out);
	cr_assert_eq(ping4, 0);
	cr_assert_eq(ping6, 0);
}

Test(topo_lab, two_subnets_joined_by_a_router, .timeout = 60)
{
	/* 4 hosts x 8 (running, 6 namespaces, links) + 6 IPv4 pairs + e1 + 3 IPv6 lines */
	example_verifies("examples/two-subnets.yaml", "ttw", 42);
}

Test(topo_lab, a_chain_of_three_routers, .timeout = 60)
{
	/* 5 x 8 + 20 pairs + 5 IPv6 lines */
	example_verifies("examples/chain.yaml", "tch", 65);
}

Test(topo_lab, a_star, .timeout = 60)
{
	/* 7 x 8 + 42 pairs + 7 IPv6 lines */
	example_verifies("examples/star.yaml", "tst", 105);
}

Test(topo_lab, a_web_server_set_up_by_files_sysctls_and_exec, .timeout = 60)
{
	/* 2 x 8 + 2 pairs + 2 IPv6 lines */
	example_verifies("examples/web.yaml", "twb", 20);
}

Test(topo_lab, a_missing_route_in_the_chain_fails_exactly_the_pairs_through_it, .timeout = 60)
{
	char lab[16], r2[32], net4[32] = "";
	struct json_object *root, *m;
	size_t wrong = 0;

	unique(lab, "tcb");
	up_file(lab, "examples/chain.yaml");
	snprintf(r2, sizeof(r2), "%s/r2", lab);
	/* r2's route towards net4 (where h2 lives) goes away; net4's subnet from status --json */
	nl(&r, "status", lab, "--json", NULL);
	const char *seg4 = strstr(r.out, "\"name\":\"net4\"");
	if (seg4 && strstr(seg4, "\"subnet\":\""))
		sscanf(strstr(seg4, "\"subnet\":\"") + strlen("\"subnet\":\""), "%31[0-9./]", net4);
	int del = nl(&r, "exec", r2, "--", "ip", "route", "del", net4, NULL);
	nl(&r, "pingall", lab, "-W", "0.5", "--json", NULL);
	int status = r.status;
	static char json[sizeof(r.out)];
	memcpy(json, r.out, sizeof(json));
	down_clean(lab);
	cr_assert_eq(del, 0, "ip route del %s", net4);
	root = json_tokener_parse(json);
	cr_assert_not_null(root, "%s", json);
	cr_assert(json_object_object_get_ex(root, "matrix", &m));
	for (size_t i = 0; i < json_object_array_length(m); i++) {
		struct json_object *p = json_object_array_get_idx(m, i), *f, *t, *e, *g;
		json_object_object_get_ex(p, "from", &f);
		json_object_object_get_ex(p, "to", &t);
		json_object_object_get_ex(p, "expected", &e);
		json_object_object_get_ex(p, "reachable", &g);
		if (json_object_get_boolean(e) == json_object_get_boolean(g))
			continue;
		wrong++;
		/* r2 no longer knows net4: whatever crosses r2 towards h2 (h1, r1, r2 itself) or comes
		 * back from h2 to them fails; r3 <-> h2 is unaffected */
		cr_assert(!strcmp(json_object_get_string(f), "h2") || !strcmp(json_object_get_string(t), "h2"),
			  "%s -> %s", json_object_get_string(f), json_object_get_string(t));
		cr_assert(strcmp(json_object_get_string(f), "r3") && strcmp(json_object_get_string(t), "r3"));
	}
	json_object_put(root);
	cr_assert_eq(status, 1);
	cr_assert_eq(wrong, 6, "h1, r1, r2 to h2 and back");
}

Test(topo_lab, routers_forward_and_hosts_do_not, .timeout = 60)
{
	char lab[16], h[32];
	char machine[16] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "r");

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(machine, sizeof(machine), f));
	fclose(f);
	unique(lab, "tfw");
	up_file(lab, "examples/two-subnets.yaml");
	snprintf(h, sizeof(h), "%s/r1", lab);
	cr_assert_eq(nl(&r, "exec", h, "--", "cat", "/proc/sys/net/ipv4/ip_forward",
			"/proc/sys/net/ipv6/conf/all/forwarding", NULL), 0);
	cr_assert_str_eq(r.out, "1\n1\n");
	snprintf(h, sizeof(h), "%s/h1", lab);
	cr_assert_eq(nl(&r, "exec", h, "--", "cat", "/proc/sys/net/ipv4/ip_forward", NULL), 0);
	cr_assert_str_eq(r.out, "0\n");
	/* the machine's own setting is untouched */
	f = fopen("/proc/sys/net/ipv4/ip_forward", "r");
	char now[16] = "";
	cr_assert_not_null(fgets(now, sizeof(now), f));
	fclose(f);
	/* h1 reaches h2 through r1: two hops */
	cr_assert_eq(nl(&r, "exec", h, "--", "ping", "-4", "-c1", "-W2", "-t", "1", "h2", NULL), 1,
		     "with a TTL of 1 the packet dies at r1: %s", r.out);
	cr_assert_eq(nl(&r, "exec", h, "--", "ping", "-4", "-c1", "-W2", "-t", "2", "h2", NULL), 0, "%s",
		     r.out);
	down_clean(lab);
	cr_assert_str_eq(now, machine);
}

Test(topo_lab, shaping_from_the_file_is_on_both_ends_of_the_link, .timeout = 60)
{
	char lab[16], veth[16] = "", core[32];

	unique(lab, "tsh");
	up_file(lab, "examples/star.yaml");
	nl(&r, "status", lab, NULL);
	int shaped = count_lines(r.out, "shaping: rate 1 Mbit/s");
	state_veth(lab, "core", 2, veth);
	run(&r, "tc", "qdisc", "show", "dev", veth, NULL);
	bool machine_side = strstr(r.out, "tbf") != NULL;
	snprintf(core, sizeof(core), "%s/core", lab);
	nl(&r, "link", core, "--iface", "eth7", "--rate", "5mbit", NULL);
	int bad_iface = r.status;
	nl(&r, "link", core, "--iface", "eth1", "--rate", "5mbit", NULL);
	int eth1 = r.status;
	down_clean(lab);
	cr_assert_eq(shaped, 1, "core's eth2 only");
	cr_assert(machine_side, "no tbf on %s", veth);
	cr_assert_eq(bad_iface, 2);
	cr_assert_eq(eth1, 0);
}

Test(topo_lab, a_bad_file_is_refused_with_its_line_and_creates_nothing)
{
	char path[] = "/tmp/netlab-topo-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "name: tbad\nsegments:\n  lan1: {}\nhosts:\n  h1: { links: [lan1] }\n"
			   "  h3:\n    links: [lan9]\n";
	char what[128], want[128];

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	nl(&r, "up", "-f", path, NULL);
	unlink(path);
	snprintf(want, sizeof(want), "%s:7: host h3: segment \"lan9\" is not defined", path);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert(!lab_leftovers("tbad", NULL, 0, what, sizeof(what)), "%s", what);
	cr_assert_eq(nl(&r, "up", "-f", "examples/chain.yaml", "3", NULL), 2, "N with -f");
	cr_assert_eq(nl(&r, "up", "-f", "/nonexistent.yaml", NULL), 1);
	cr_assert(strstr(r.err, "No such file"), "%s", r.err);
}

Test(ipv6_opts, no_ipv6_means_no_ipv6_address_at_all, .timeout = 60)
{
	char lab[16], h1[32];

	unique(lab, "tn6");
	cr_assert_eq(nl(&r, "up", "2", "-n", lab, "--no-ipv6", "-q", NULL), 0, "%s", r.err);
	snprintf(h1, sizeof(h1), "%s/h1", lab);
	nl(&r, "exec", h1, "--", "ip", "-6", "-br", "addr", "show", "dev", "eth0", NULL);
	char out[256];
	snprintf(out, sizeof(out), "%.200s", r.out);
	nl(&r, "pingall", lab, "-6", NULL);
	int ping6 = r.status;
	char err[256];
	snprintf(err, sizeof(err), "%.200s", r.err);
	nl(&r, "pingall", lab, NULL);
	int ping4 = r.status;
	down_clean(lab);
	cr_assert_eq(out[0], '\0', "eth0 has IPv6 addresses: %s", out);
	cr_assert_eq(ping6, 2);
	cr_assert(strstr(err, "has no IPv6"), "%s", err);
	cr_assert_eq(ping4, 0);
}

Test(ipv6_opts, a_given_subnet6_is_used_and_a_global_one_refused, .timeout = 60)
{
	char lab[16], h2[32];

	unique(lab, "ts6");
	cr_assert_eq(nl(&r, "up", "2", "-n", lab, "--subnet6", "fd00:77:1:2::/64", "-q", NULL), 0, "%s",
		     r.err);
	snprintf(h2, sizeof(h2), "%s/h2", lab);
	nl(&r, "exec", h2, "--", "ip", "-6", "-br", "addr", "show", "dev", "eth0", NULL);
	char out[256];
	snprintf(out, sizeof(out), "%.200s", r.out);
	down_clean(lab);
	cr_assert(strstr(out, "fd00:77:1:2::2/64"), "%s", out);
	cr_assert_eq(nl(&r, "up", "-n", lab, "--subnet6", "2001:db8::/64", NULL), 2);
	cr_assert(strstr(r.err, "unique local"), "%s", r.err);
	cr_assert_eq(nl(&r, "up", "-n", lab, "--subnet6", "fd00::/64", "--no-ipv6", NULL), 2);
}

/* ---------------------------------------------------------------------------------------------
 * files:, sysctls:, exec: (hostsetup.h): parsed and checked before anything is made. Suite topo,
 * which needs no lab (the others are in test_units.c).
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "../src/hostsetup.h"
#include "../src/topo.h"

/* topo_parse of text as if it were the file `where`; the message of its error (or ""). */
static int setup_msg(const char *text, const char *where, char *msg, size_t len)
{
	struct lab_topo t;
	struct lab_error *e = NULL;
	int rc = topo_parse(text, strlen(text), where, &t, &e);

	snprintf(msg, len, "%s", e ? e->msg : "");
	lab_err_free(&e);
	if (rc == 0)
		lab_topo_free(&t);
	return rc;
}

Test(topo, files_sysctls_and_exec_are_read_in_order)
{
	char d[] = "/tmp/netlab-topo-XXXXXX", sub[64], where[64];
	const char *text = "segments: {lan: {}}\nhosts:\n"
			   "  h1:\n    links: [lan]\n    files: r1\n"
			   "    sysctls:\n      net.ipv4.ip_forward: 1\n      net/ipv4/conf/eth0.5/rp_filter: 0\n"
			   "      kernel.shmmni: 100\n"
			   "    exec:\n      - service frr start\n      - 'echo \"a: b\"'\n"
			   "  h2: {links: [lan], files: /tmp}\n  h3: {links: [lan], files: ../../tmp}\n"
			   "  h4: {links: [lan]}\n";
	struct lab_topo t;
	struct lab_error *e = NULL;

	cr_assert_not_null(mkdtemp(d));
	snprintf(sub, sizeof(sub), "%s/r1", d);
	cr_assert_eq(mkdir(sub, 0755), 0);
	snprintf(where, sizeof(where), "%s/lab.yaml", d);
	cr_assert_eq(topo_parse(text, strlen(text), where, &t, &e), 0, "%s", e ? e->msg : "");
	cr_assert_not_null(t.setup);
	cr_assert_eq(t.setup->n, 4);
	cr_expect_str_eq(t.setup->host[0].files, sub, "relative to the file's directory");
	cr_assert_eq(t.setup->host[0].nsysctls, 3);
	cr_expect_str_eq(t.setup->host[0].sysctls[0].key, "net.ipv4.ip_forward");
	cr_expect_str_eq(t.setup->host[0].sysctls[0].value, "1");
	cr_expect_str_eq(t.setup->host[0].sysctls[1].key, "net/ipv4/conf/eth0.5/rp_filter");
	cr_assert_eq(t.setup->host[0].nexec, 2);
	cr_expect_str_eq(t.setup->host[0].exec[0], "service frr start");
	cr_expect_str_eq(t.setup->host[0].exec[1], "echo \"a: b\"");
	cr_expect_str_eq(t.setup->host[1].files, "/tmp", "an absolute path as it is");
	cr_expect(strstr(t.setup->host[2].files, "/../../tmp"), "..: fine");
	cr_expect_null(t.setup->host[3].files);
	cr_expect_eq(t.setup->host[3].nexec + t.setup->host[3].nsysctls, 0);
	lab_topo_free(&t);
	rmdir(sub);
	rmdir(d);
}

Test(topo, a_file_without_setup_has_none)
{
	const char *text = "segments: {lan: {}}\nhosts:\n  h1: {links: [lan]}\n";
	struct lab_topo t;

	cr_assert_eq(topo_parse(text, strlen(text), "lab.yaml", &t, NULL), 0);
	cr_expect_null(t.setup);
	lab_topo_free(&t);
}

Test(topo, setup_mistakes_name_the_line_and_the_field)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    files: nowhere-hs\n",
		  "/x/lab.yaml:5: host h1: files: /x/nowhere-hs: No such file or directory (a path "
		  "relative to the topology file's directory)" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    files: /etc/hostname\n",
		  "/x/lab.yaml:5: host h1: files: /etc/hostname is not a directory" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    files: [a, b]\n",
		  "/x/lab.yaml:5: host h1: expected a value" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls:\n"
		  "      kernel.pid_max: 100\n",
		  "/x/lab.yaml:6: host h1: sysctls: \"kernel.pid_max\" is not a sysctl of the host's own "
		  "namespaces" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls:\n"
		  "      vm.swappiness: 1\n", "/x/lab.yaml:6: host h1: sysctls: \"vm.swappiness\"" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls:\n"
		  "      net/../kernel/pid_max: 1\n", "is not a sysctl name" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls:\n"
		  "      net..ipv4: 1\n", "is not a sysctl name" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls:\n"
		  "      \"net.ipv4.ip_forward; reboot\": 1\n", "is not a sysctl name (character ';')" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls:\n"
		  "      net.ipv4.ip_forward: ~\n", "/x/lab.yaml:6: host h1: sysctls: expected a value" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    sysctls: [net.ipv4.ip_forward]\n",
		  "/x/lab.yaml:5: host h1: sysctls: expected a mapping" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec: service frr start\n",
		  "/x/lab.yaml:5: host h1: exec: expected a list of commands" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec:\n      - true\n"
		  "      - {a: b}\n", "/x/lab.yaml:7: host h1: exec: expected a value" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec: [\" \"]\n",
		  "/x/lab.yaml:5: host h1: exec: an empty command" },
		{ "segments: {lan: {}}\nhosts:\n  h1:\n    links: [lan]\n    exec: [a]\n    exec: [b]\n",
		  "/x/lab.yaml:6: host h1: \"exec\" given twice" },
	};
	char msg[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_lt(setup_msg(bad[i].text, "/x/lab.yaml", msg, sizeof(msg)), 0, "accepted:\n%s",
			     bad[i].text);
		cr_expect(strstr(msg, bad[i].msg), "want \"%s\" in \"%s\"", bad[i].msg, msg);
	}
}

static int topo_msg(const char *text, char *msg, size_t len)
{
	struct lab_topo t;
	struct lab_error *e = NULL;
	int rc = topo_parse(text, strlen(text), "lab.yaml", &t, &e);

	snprintf(msg, len, "%s", e ? e->msg : "");
	lab_err_free(&e);
	if (rc == 0)
		lab_topo_free(&t);
	return rc;
}

Test(topo, a_file_becomes_a_plan)
{
	const char *text = "name: two\n"
			   "segments:\n  lan1: { subnet: 10.5.1.0/24 }\n  lan2: { ipv6: false }\n"
			   "hosts:\n"
			   "  h1: { links: [lan1], routes: [{ to: default, via: r1 }] }\n"
			   "  r1:\n    router: true\n    links:\n      - { segment: lan1, address: 10.5.1.254 }\n"
			   "      - { segment: lan2, rate: 10mbit }\n"
			   "  e1: ~\n";
	struct lab_topo t;

	cr_assert_eq(topo_parse(text, strlen(text), "lab.yaml", &t, NULL), 0);
	cr_assert_str_eq(t.plan.name, "two");
	cr_assert_eq(t.plan.nsegs, 2);
	cr_assert_eq(t.plan.segs[0].subnet.addr, 0x0a050100);
	cr_assert_eq(t.plan.segs[1].subnet.prefix, 0, "lan2's subnet is netlab's to pick");
	cr_assert(t.plan.segs[0].has6 && !t.plan.segs[1].has6);
	cr_assert_eq(t.plan.nhosts, 3);
	cr_assert(t.plan.hosts[1].router);
	cr_assert_eq(t.plan.hosts[1].nifaces, 2);
	cr_assert_str_eq(t.plan.hosts[1].ifaces[1].name, "eth1");
	cr_assert_eq(t.plan.hosts[1].ifaces[0].addr, 0x0a0501fe);
	cr_assert_eq(t.plan.hosts[1].ifaces[1].shape.rate_bps, 10000000u);
	cr_assert_not(t.plan.hosts[2].networked);
	cr_assert_eq(t.nroutes, 1);
	cr_assert_str_eq(t.routes[0].via, "r1");
	cr_assert_str_eq(t.routes[0].where, "lab.yaml:6");
	lab_topo_free(&t);
}

Test(topo, errors_name_the_line_and_the_field)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [lan1]}\n  h3:\n    links: [lan9]\n",
		  "lab.yaml:5: host h3: segment \"lan9\" is not defined" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [lan1], colour: red}\n",
		  "lab.yaml:3: host h1: unknown field \"colour\"" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [lan1]}\n  h1: {}\n",
		  "lab.yaml:4: hosts: \"h1\" given twice" },
		{ "segments: {lan1: {subnet: 10.1.0.0/24}}\nhosts:\n  h1: {links: [{segment: lan1, address: 10.2.0.1}]}\n",
		  "lab.yaml:3: host h1: eth0: address 10.2.0.1 is not a host address of segment lan1" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [{segment: lan1, address: 10.2.0.1}]}\n",
		  "a fixed address needs a fixed subnet" },
		{ "segments: {lan1: {}, lan2: {}}\nhosts:\n  h1: {links: [lan1], routes: [{to: lan2, via: h2}]}\n"
		  "  h2: {links: [lan2]}\n", "lab.yaml:3: host h1: route: via h2, but h2 shares no segment" },
		{ "segments: {lan1: {}}\nhosts:\n  r1: {router: true, links: [lan1]}\n",
		  "lab.yaml:3: host r1 is a router with 1 link" },
		{ "segments: {lan1: {subnet: 8.8.8.0/24}}\nhosts:\n  h1: {links: [lan1]}\n",
		  "lab.yaml:1: segment lan1: subnet '8.8.8.0/24' is not private" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [lan1, lan1]}\n", "linked to segment lan1 twice" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [{segment: lan1, rate: 1mbit, delay: 5ms}]}\n",
		  "rate together with delay" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [lan1]\n", "lab.yaml:4: did not find expected" },
		{ "segments: {lan: {}}\nhosts:\n  lan: {links: [lan]}\n", "a segment has that name too" },
		{ "hosts:\n  h1: ~\n", "no segments" },
		{ "", "the file is empty" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {[]: 1}\n", "a key must be a plain name" },	/* fuzz */
		{ "segments: {lan1: {}}\nhosts:\n  Web1: {links: [lan1]}\n", "host name \"Web1\"" },
		{ "segments: {lan1: {}}\nhosts:\n  h1: {links: [lan1], routes: [{to: 10.9.0.0/33, via: 10.77.1.1}]}\n",
		  "to \"10.9.0.0/33\"" },
	};
	char msg[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_lt(topo_msg(bad[i].text, msg, sizeof(msg)), 0, "accepted:\n%s", bad[i].text);
		cr_expect(strstr(msg, bad[i].msg), "want \"%s\" in \"%s\"", bad[i].msg, msg);
	}
}
