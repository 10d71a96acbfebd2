/* Dynamic routing: `routing: dynamic` in a topology file (every host should reach every address of
 * every other), `verify --wait` and `pingall --wait` while routing daemons converge, and the
 * examples that prove it with real daemons: an OSPF ring (FRR) that routes around a cut link, and
 * eBGP between two ASes whose hosts reach each other only through the learned routes.
 * Suites: routing_plan (parser and state file, no lab), routing (real labs). */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/reach.h"
#include "../src/state.h"
#include "../src/topo.h"
#include "helpers.h"

static struct run r;

/* ------------------------------------------------------------------ the file and the state */

static int parse_text(const char *text, struct lab_topo *t, struct lab_error **e)
{
	return topo_parse(text, strlen(text), "lab.yaml", t, e);
}

#define TWO_LANS "segments:\n  lan1: {}\n  lan2: {}\nhosts:\n" \
		 "  h1: { links: [lan1], routes: [{ to: default, via: r1 }] }\n" \
		 "  r1: { router: true, links: [lan1, lan2] }\n  h2: { links: [lan2] }\n  e1: ~\n"

Test(routing_plan, the_routing_field_says_static_or_dynamic_and_nothing_else)
{
	struct lab_topo t;
	struct lab_error *e = NULL;

	cr_assert_eq(parse_text("routing: dynamic\n" TWO_LANS, &t, &e), 0, "%s", e ? e->msg : "");
	cr_assert(t.plan.dynamic);
	cr_assert_eq(t.nroutes, 1, "routes: stay allowed with routing: dynamic (h1's default)");
	lab_topo_free(&t);
	cr_assert_eq(parse_text("routing: static\n" TWO_LANS, &t, &e), 0);
	cr_assert_not(t.plan.dynamic);
	lab_topo_free(&t);
	cr_assert_eq(parse_text(TWO_LANS, &t, &e), 0);
	cr_assert_not(t.plan.dynamic, "static unless the file says otherwise");
	lab_topo_free(&t);

	cr_assert_lt(parse_text("name: x\nrouting: ospf\n" TWO_LANS, &t, &e), 0);
	cr_assert_str_eq(e->msg, "lab.yaml:2: routing: \"ospf\": expected static (routes: lines only) "
				 "or dynamic (routing daemons in the hosts)");
	lab_err_free(&e);
	cr_assert_lt(parse_text("routing: [dynamic]\n" TWO_LANS, &t, &e), 0);
	cr_assert(strstr(e->msg, "lab.yaml:1: routing: expected a value"), "%s", e->msg);
	lab_err_free(&e);
	cr_assert_lt(parse_text("routin: dynamic\n" TWO_LANS, &t, &e), 0);
	cr_assert(strstr(e->msg, "lab.yaml:1: unknown field \"routin\" (expected name, ipv6, routing,"),
		  "%s", e->msg);
	lab_err_free(&e);
}

/* helpers' sample lab (h1 on lan1, r1 on lan1 and lan2, h2 on lan2 without IPv6, e1 empty; no
 * route at all) with routing: dynamic */
static struct lab dynamic_lab(void)
{
	struct lab lab;

	sample_lab(&lab);
	lab.dynamic = true;
	return lab;
}

Test(routing_plan, dynamic_routing_expects_every_networked_host_to_reach_every_other)
{
	struct lab lab = dynamic_lab();

	/* no route anywhere, yet h1 and h2 should reach each other: the daemons are to find one */
	cr_assert(lab_expect_reach(&lab, 0, 2, false) && lab_expect_reach(&lab, 2, 0, false));
	cr_assert(lab_expect_reach(&lab, 0, 1, false) && lab_expect_reach(&lab, 1, 2, false));
	/* IPv6 only between hosts that have it: h2's lan2 has none */
	cr_assert(lab_expect_reach(&lab, 0, 1, true));
	cr_assert_not(lab_expect_reach(&lab, 0, 2, true));
	/* the empty host reaches nobody, nobody reaches it, and nobody is expected to reach itself */
	cr_assert_not(lab_expect_reach(&lab, 3, 0, false) || lab_expect_reach(&lab, 0, 3, false));
	cr_assert_not(lab_expect_reach(&lab, 0, 0, false));
	/* the same plan with static routing: h1 has no route, so h2 is out of its reach */
	lab.dynamic = false;
	cr_assert_not(lab_expect_reach(&lab, 0, 2, false));
}

Test(routing_plan, the_state_file_records_dynamic_routing_and_older_files_still_parse)
{
	struct lab in = dynamic_lab(), out;
	char *text = NULL, *again = NULL, *p, buf[4096];
	size_t len, again_len;

	cr_assert_eq(state_format(&in, &text, &len, NULL), 0);
	cr_assert(strstr(text, "\nrouting dynamic\n"), "%s", text);
	cr_assert_eq(state_parse(text, "t", &out, NULL), 0, "%s", text);
	cr_assert(out.dynamic);
	cr_assert_eq(state_format(&out, &again, &again_len, NULL), 0);
	cr_assert(again_len == len && !memcmp(text, again, len), "formats differently after a round trip");
	state_free(&out);
	free(again);

	/* a file without the line (every older netlab's, and a static lab's): static */
	p = strstr(text, "routing dynamic\n");
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(p - text), text, p + strlen("routing dynamic\n"));
	cr_assert_eq(state_parse(buf, "t", &out, NULL), 0, "%s", buf);
	cr_assert_not(out.dynamic);
	state_free(&out);
	in.dynamic = false;
	free(text);
	cr_assert_eq(state_format(&in, &text, &len, NULL), 0);
	cr_assert_null(strstr(text, "routing"), "a static lab's state is as before:\n%s", text);
	in.dynamic = true;
	free(text);

	/* anything else on that line, or dynamic routing in a lab not made from a file: corrupt */
	cr_assert_eq(state_format(&in, &text, &len, NULL), 0);
	static const struct { const char *from, *to; } edits[] = {
		{ "routing dynamic", "routing static" }, { "routing dynamic", "routing dynamic x" },
		{ "routing dynamic", "routing" },	 { "kind file", "kind plain" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct lab_error *e = NULL;

		p = strstr(text, edits[i].from);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - text), text, edits[i].to,
			 p + strlen(edits[i].from));
		cr_expect_lt(state_parse(buf, "t", &out, &e), 0, "accepted: %s", edits[i].to);
		if (e)
			cr_expect(strstr(e->msg, "state file t is corrupt"), "%s", e->msg);
		lab_err_free(&e);
	}
	free(text);
}

/* --------------------------------------------------------------------------------- real labs */

static char lab[16];	/* this test's lab, taken down in fini whatever happened */

static void down_fini(void)
{
	if (lab[0])
		lab_down_quiet(lab);
}

/* A lab named PREFIX (one letter) + digits of the PID, unique to this test process. */
static void up_example(const char *prefix, const char *file)
{
	snprintf(lab, sizeof(lab), "%s%d", prefix, (int)(getpid() % 10000));
	cr_assert_eq(nl(&r, "up", "-f", file, "-n", lab, "-q", NULL), 0, "up -f %s: %s", file, r.err);
}

/* netlab exec LAB/HOST -- argv...; returns the exit status, output in r */
#define IN(host, ...) nl(&r, "exec", at(host), "--", __VA_ARGS__, NULL)

static const char *at(const char *host)
{
	static char buf[4][40];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", lab, host);
	return b;
}

/* The IPv4 address of HOST's interface IFACE (as ip -4 -br addr shows it, without /len). */
static void addr_of(const char *host, const char *iface, char *out, size_t len)
{
	char a[32] = "";

	cr_assert_eq(IN(host, "ip", "-4", "-br", "addr", "show", "dev", iface), 0, "%s", r.err);
	cr_assert_eq(sscanf(r.out, "%*s %*s %31[0-9.]", a), 1, "%s", r.out);
	snprintf(out, len, "%s", a);
}

/* Does the line of text that starts with `start` contain `want`? */
static bool line_has(const char *text, const char *start, const char *want)
{
	const char *p = strstr(text, start);
	char line[1024];

	if (!p)
		return false;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
	return strstr(line, want) != NULL;
}

/* Hop 2 of a traceroute from ha to dest: the router after r1. Probes are retried (-q 3): a hop
 * that rate-limits its ICMP answers one of them. */
static bool hop2_is(const char *dest, const char *want)
{
	char line[256];
	const char *p;

	IN("ha", "traceroute", "-n", "-4", "-m", "2", "-q", "3", "-w", "1", dest);
	p = strstr(r.out, "\n 2 ");
	if (!p)
		return false;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
	return strstr(line, want) != NULL;
}

Test(routing, the_ospf_ring_converges_and_r1_sees_its_two_neighbours, .timeout = 120,
     .fini = down_fini)
{
	up_example("o", "examples/ospf.yaml");
	nl(&r, "verify", lab, "--wait", "60", NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, " passed, 0 failed\nconverged after "), "%s", r.out);
	/* every address of every router, from every host: one pair line names all of r3's */
	cr_assert(strstr(r.out, "PASS  ha   reaches r3"), "%s", r.out);
	cr_assert_eq(IN("r1", "vtysh", "-c", "show ip ospf neighbor"), 0, "%s%s", r.out, r.err);
	cr_assert_eq(count_lines(r.out, "Full/"), 2, "%s", r.out);
	cr_assert(strstr(r.out, "\n2.2.2.2 ") && strstr(r.out, "\n4.4.4.4 "), "r2 and r4:\n%s", r.out);
	cr_assert_null(strstr(r.out, "3.3.3.3"), "r3 is no neighbour of r1:\n%s", r.out);
	/* each router's vtysh talks to its own daemons */
	cr_assert_eq(IN("r3", "vtysh", "-c", "show ip ospf neighbor"), 0);
	cr_assert(strstr(r.out, "\n2.2.2.2 ") && strstr(r.out, "\n4.4.4.4 "), "%s", r.out);
	cr_assert_eq(IN("r2", "vtysh", "-c", "show ipv6 ospf6 neighbor"), 0);
	cr_assert(strstr(r.out, "1.1.1.1") && strstr(r.out, "3.3.3.3"), "%s", r.out);
	nl(&r, "status", lab, NULL);
	cr_assert(strstr(r.out, "\n  routing dynamic: "), "%s", r.out);
	cr_assert_null(strstr(r.out, "NOT PLANNED"), "the daemons' routes are the plan:\n%s", r.out);
}

Test(routing, a_cut_ring_link_sends_the_traffic_the_other_way_round, .timeout = 180,
     .fini = down_fini)
{
	char hb[32], r2[32], r4[32], cut[32], want[48];

	up_example("c", "examples/ospf.yaml");
	cr_assert_eq(nl(&r, "pingall", lab, "--wait", "60", NULL), 0, "%s", r.out);
	addr_of("hb", "eth0", hb, sizeof(hb));
	addr_of("r2", "eth0", r2, sizeof(r2));	/* r2 on ring12, r4 on ring41 */
	addr_of("r4", "eth1", r4, sizeof(r4));
	/* the short way: r1 -> r2 -> r3 (the r4 side costs more) */
	cr_assert_eq(IN("r1", "ip", "-4", "route", "get", hb), 0);
	cr_assert(strstr(r.out, "dev eth1") && strstr(r.out, r2), "via r2: %s", r.out);
	cr_assert(hop2_is(hb, r2), "ha -> hb through r2 (%s): %s", r2, r.out);

	/* cut ring12 at r1: OSPF routes around it, through r4 */
	cr_assert_eq(IN("r1", "ip", "link", "set", "eth1", "down"), 0);
	nl(&r, "pingall", lab, "--wait", "60", NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, "converged after "), "%s", r.out);
	cr_assert_eq(nl(&r, "pingall", lab, "-6", "--wait", "60", NULL), 0, "%s", r.out);
	cr_assert_eq(IN("r1", "ip", "-4", "route", "get", hb), 0);
	cr_assert(strstr(r.out, "dev eth2") && strstr(r.out, r4), "via r4 now: %s", r.out);
	cr_assert(hop2_is(hb, r4), "ha -> hb through r4 (%s): %s", r4, r.out);
	/* verify fails r1's cut link and nothing else: r2 is still reached (the long way round),
	 * and r1's address on the cut link, which nothing can reach, is left out */
	addr_of("r1", "eth1", cut, sizeof(cut));
	nl(&r, "verify", lab, NULL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL"), 1, "%s", r.out);
	cr_assert(strstr(r.out, "FAIL  r1   lo, eth0..eth2 up with their addresses links: lo(up) "
				"eth0(up) eth1(down) eth2(up)"), "%s", r.out);
	snprintf(want, sizeof(want), "%s: reply", r2);
	cr_assert(line_has(r.out, "PASS  ha   reaches r2 ", want), "%s", r.out);
	cr_assert(line_has(r.out, "PASS  ha   reaches r1 ", ": reply"), "%s", r.out);
	cr_assert_not(line_has(r.out, "PASS  ha   reaches r1 ", cut), "%s is cut off:\n%s", cut, r.out);
}

Test(routing, bgp_hosts_reach_each_other_only_through_learned_routes, .timeout = 180,
     .fini = down_fini)
{
	char h2[32];
	int tries;

	up_example("b", "examples/bgp.yaml");
	nl(&r, "verify", lab, "--wait", "60", NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	addr_of("h2", "eth0", h2, sizeof(h2));
	/* r1 knows lan2 (h2's /24) from r2, by BGP: over the session's IPv6 link-local next hop */
	cr_assert_eq(IN("r1", "ip", "-4", "route", "show", "proto", "bgp"), 0);
	cr_assert_eq(count_lines(r.out, " via "), 1, "%s", r.out);
	cr_assert(!strncmp(r.out, h2, (size_t)(strrchr(h2, '.') - h2 + 1)) && strstr(r.out, ".0/24 "),
		  "lan2, the subnet of %s: %s", h2, r.out);
	cr_assert(strstr(r.out, "via inet6 fe80:"), "%s", r.out);
	cr_assert_eq(IN("r1", "vtysh", "-c", "show bgp summary"), 0);
	cr_assert(strstr(r.out, "65002"), "%s", r.out);

	/* without BGP (FRR stopped in both routers: zebra takes its routes along) h1 cannot reach h2 */
	cr_assert_eq(IN("r1", "service", "frr", "stop"), 0, "%s%s", r.out, r.err);
	cr_assert_eq(IN("r2", "service", "frr", "stop"), 0, "%s%s", r.out, r.err);
	for (tries = 0; tries < 100; tries++) {
		IN("r1", "ip", "-4", "route", "show", "proto", "bgp");
		if (!r.out[0])
			break;
		usleep(100000);
	}
	cr_assert_eq(r.out[0], '\0', "BGP routes left in r1: %s", r.out);
	cr_assert_eq(IN("h1", "ping", "-4", "-c1", "-W1", h2), 1, "%s", r.out);
	nl(&r, "pingall", lab, NULL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "  h1      -     ok    NO!   NO!"), "%s", r.out);

	/* BGP back: the routes are learned again */
	cr_assert_eq(IN("r1", "service", "frr", "start"), 0, "%s%s", r.out, r.err);
	cr_assert_eq(IN("r2", "service", "frr", "start"), 0, "%s%s", r.out, r.err);
	cr_assert_eq(nl(&r, "pingall", lab, "--wait", "60", NULL), 0, "%s", r.out);
	cr_assert_eq(IN("h1", "ping", "-4", "-c1", "-W1", h2), 0, "%s", r.out);
}

Test(routing, a_lab_that_cannot_converge_fails_within_its_wait_and_says_so, .timeout = 60,
     .fini = down_fini)
{
	/* two routers in a row and no daemon: r1 never learns lan2, r2 never lan1 */
	static const char text[] = "routing: dynamic\nsegments:\n  lan1: {}\n  mid: {}\n  lan2: {}\n"
				   "hosts:\n  h1: { links: [lan1], routes: [{ to: default, via: r1 }] }\n"
				   "  r1: { router: true, links: [lan1, mid] }\n"
				   "  r2: { router: true, links: [mid, lan2] }\n"
				   "  h2: { links: [lan2], routes: [{ to: default, via: r2 }] }\n";
	char path[] = "/tmp/netlab-routing-XXXXXX";
	struct json_object *root, *w, *v;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	up_example("n", path);
	unlink(path);
	nl(&r, "verify", lab, "--wait", "2", NULL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "FAIL  h1   reaches h2"), "%s", r.out);
	cr_assert(strstr(r.out, "\nnot converged within 2 s ("), "%s", r.out);
	/* the same from pingall, in JSON; and --wait's own usage errors */
	nl(&r, "pingall", lab, "--wait", "1.5", "--json", NULL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "wait", &w) && w, "%s", r.out);
	cr_assert(json_object_object_get_ex(w, "converged", &v) && !json_object_get_boolean(v));
	cr_assert(json_object_object_get_ex(w, "tries", &v) && json_object_get_int(v) >= 1);
	cr_assert(json_object_object_get_ex(w, "limit", &v) && json_object_get_double(v) == 1.5);
	json_object_put(root);
	nl(&r, "status", lab, "--json", NULL);
	cr_assert(strstr(r.out, "\"routing\":\"dynamic\""), "%s", r.out);
	cr_assert_eq(nl(&r, "pingall", lab, "--wait", "0", NULL), 2);
	cr_assert(strstr(r.err, "--wait '0': expected seconds, more than 0 and at most 3600"), "%s", r.err);
	cr_assert_eq(nl(&r, "verify", lab, "--wait", "soon", NULL), 2);
}

Test(routing, a_static_lab_converges_at_the_first_try_and_says_it_is_static, .timeout = 60,
     .fini = down_fini)
{
	up_example("s", "examples/chain.yaml");
	nl(&r, "verify", lab, "--wait", "30", NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert(strstr(r.out, "\nconverged after "), "%s", r.out);
	cr_assert(strstr(r.out, " (1 try)\n"), "%s", r.out);
	nl(&r, "pingall", lab, "--json", NULL);
	cr_assert(strstr(r.out, "\"wait\":null"), "%s", r.out);
	nl(&r, "status", lab, "--json", NULL);
	cr_assert(strstr(r.out, "\"routing\":\"static\""), "%s", r.out);
	nl(&r, "status", lab, NULL);
	cr_assert_null(strstr(r.out, "routing dynamic"), "%s", r.out);
}
