/* Unit tests: parsers, allocation, naming, state round trip, errors, JSON escaping. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "../src/error.h"
#include "../src/ipv4.h"
#include "../src/output.h"
#include <json-c/json.h>
#include "../src/names.h"
#include "../src/rootfs.h"
#include "../src/reach.h"
#include "../src/state.h"

static int parse_net(const char *s, struct ipv4_net *n, char *msg, size_t len)
{
	struct lab_error *e = NULL;
	int r = ipv4_parse_net(s, n, &e);

	snprintf(msg, len, "%s", e && e->msg ? e->msg : "");
	lab_err_free(&e);
	return r;
}

Test(ipv4, parses_addresses_strictly)
{
	uint32_t a;

	cr_assert_eq(ipv4_parse_addr("10.77.1.2", &a), 0);
	cr_assert_eq(a, 0x0a4d0102);
	cr_assert_eq(ipv4_parse_addr("255.255.255.255", &a), 0);
	static const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
				     "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.-4", "1.2.3.4/24" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_lt(ipv4_parse_addr(bad[i], &a), 0, "'%s' accepted", bad[i]);
}

Test(ipv4, parses_private_subnets_and_explains_errors)
{
	struct ipv4_net n;
	char msg[256];

	cr_assert_eq(parse_net("10.77.1.0/24", &n, msg, sizeof(msg)), 0);
	cr_assert_eq(n.addr, 0x0a4d0100);
	cr_assert_eq(n.prefix, 24);
	cr_assert_eq(parse_net("192.168.0.0/16", &n, msg, sizeof(msg)), 0);
	cr_assert_eq(parse_net("172.20.0.0/22", &n, msg, sizeof(msg)), 0);

	cr_assert_lt(parse_net("10.77.1.5/24", &n, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "did you mean 10.77.1.0/24"), "%s", msg);
	cr_assert_lt(parse_net("8.8.8.0/24", &n, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "not private"), "%s", msg);
	cr_assert_lt(parse_net("10.0.0.0/31", &n, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "between /8 and /30"), "%s", msg);
	cr_assert_lt(parse_net("10.0.0.0/33", &n, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "between /8 and /30"), "the documented wording: %s", msg);
	cr_assert_lt(parse_net("10.0.0.0", &n, msg, sizeof(msg)), 0);
	cr_assert(strstr(msg, "expected a CIDR"), "%s", msg);
	cr_assert_lt(parse_net("10.0.0.0/", &n, msg, sizeof(msg)), 0);
	cr_assert_lt(parse_net("10.0.0.0/2x", &n, msg, sizeof(msg)), 0);
	cr_assert_lt(parse_net("10.0.0/24", &n, msg, sizeof(msg)), 0);
	cr_assert_lt(parse_net("172.32.0.0/16", &n, msg, sizeof(msg)), 0, "172.32/16 is public");
}

Test(ipv4, overlap_capacity_and_host_numbering)
{
	struct ipv4_net a = { 0x0a4d0100, 24 }, b = { 0x0a4d0000, 16 }, c = { 0x0a4d0200, 24 };

	cr_assert(ipv4_overlap(&a, &b));
	cr_assert(ipv4_overlap(&b, &a));
	cr_assert(!ipv4_overlap(&a, &c));
	cr_assert_eq(ipv4_capacity(24), 254);
	cr_assert_eq(ipv4_capacity(30), 2);
	cr_assert_eq(ipv4_capacity(22), 1022);
	cr_assert_eq(ipv4_host(&a, 1), 0x0a4d0101);
	cr_assert_eq(ipv4_host(&a, 254), 0x0a4d01fe);
	cr_assert_eq(ipv4_host(&a, 255), 0, "broadcast is not a host");
	cr_assert_eq(ipv4_host(&a, 0), 0, "network is not a host");
	cr_assert_eq(ipv4_prefix_for(2), 30);
	cr_assert_eq(ipv4_prefix_for(254), 24);
	cr_assert_eq(ipv4_prefix_for(255), 23);
	cr_assert_eq(ipv4_prefix_for(1000), 22);
	char buf[20];
	cr_assert_str_eq(ipv4_fmt_net(&a, buf, sizeof(buf)), "10.77.1.0/24");
}

/* helpers' sample lab (h1 on lan1, r1 on both, h2 on lan2, e1 empty) with routes: h1 a default
 * via r1 in both families, h2 one via r1 in IPv4 */
static struct lab_route h1_routes[2], h2_routes[1];

static struct lab sample(void)
{
	struct lab lab;

	sample_lab(&lab);
	memset(h1_routes, 0, sizeof(h1_routes));
	memset(h2_routes, 0, sizeof(h2_routes));
	h1_routes[0] = (struct lab_route){ .dst = { 0, 0 }, .via = 0x0a4d01fe };
	h1_routes[1].v6 = true;
	memcpy(h1_routes[1].via6, lab.hosts[1].ifaces[0].addr6, 16);
	h2_routes[0] = (struct lab_route){ .dst = { 0, 0 }, .via = 0x0a4d02fe };
	lab.hosts[0].routes = h1_routes;
	lab.hosts[0].nroutes = 2;
	lab.hosts[2].routes = h2_routes;
	lab.hosts[2].nroutes = 1;
	return lab;
}

Test(state_file, round_trip)
{
	struct lab in = sample(), out;
	char *text = NULL, *again = NULL;
	size_t len, again_len;

	cr_assert_eq(state_format(&in, &text, &len, NULL), 0);
	cr_assert_eq(state_parse(text, "t", &out, NULL), 0, "%s", text);
	cr_assert_str_eq(out.name, "lab");
	cr_assert_eq(out.number, 7);
	cr_assert(out.complete && out.from_file);
	cr_assert_eq(out.builder, 99);
	cr_assert_eq(out.nsegs, 2);
	cr_assert_eq(out.segs[1].subnet.addr, 0x0a4d0200);
	cr_assert(out.segs[0].has6 && !out.segs[1].has6);
	cr_assert_str_eq(out.segs[0].bridge, "lab-lan1");
	cr_assert_eq(out.extra_ns, LAB_NS_CGROUP | LAB_NS_TIME);
	cr_assert_eq(out.nhosts, 4);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_str_eq(out.hosts[i].name, in.hosts[i].name);
		cr_assert_eq(out.hosts[i].networked, in.hosts[i].networked);
		cr_assert_eq(out.hosts[i].router, in.hosts[i].router);
		cr_assert_eq(out.hosts[i].nifaces, in.hosts[i].nifaces);
		cr_assert_eq(out.hosts[i].nroutes, in.hosts[i].nroutes);
		for (size_t k = 0; k < in.hosts[i].nifaces; k++) {
			cr_assert_eq(out.hosts[i].ifaces[k].addr, in.hosts[i].ifaces[k].addr);
			cr_assert_eq(memcmp(out.hosts[i].ifaces[k].addr6, in.hosts[i].ifaces[k].addr6, 16), 0);
			cr_assert_str_eq(out.hosts[i].ifaces[k].veth, in.hosts[i].ifaces[k].veth);
		}
		cr_assert_eq(out.hosts[i].pid, in.hosts[i].pid);
		cr_assert_eq(out.hosts[i].start, in.hosts[i].start);
	}
	cr_assert_eq(out.hosts[0].routes[1].v6, true);
	cr_assert_eq(out.hosts[2].routes[0].via, 0x0a4d02fe);
	cr_assert_eq(state_format(&out, &again, &again_len, NULL), 0);
	cr_assert_eq(again_len, len);
	cr_assert_eq(memcmp(text, again, len), 0, "formats differently after a round trip");
	state_free(&out);
	free(text);
	free(again);
}

Test(state_file, corrupt_files_are_refused)
{
	struct lab in = sample(), out;
	char *text = NULL, buf[4096];
	size_t len;
	struct lab_error *e = NULL;

	cr_assert_eq(state_format(&in, &text, &len, NULL), 0);
	/* every truncation of a valid file is refused */
	for (size_t cut = 0; cut < len; cut++) {
		snprintf(buf, sizeof(buf), "%.*s", (int)cut, text);
		cr_expect_lt(state_parse(buf, "t", &out, NULL), 0, "truncated at %zu accepted", cut);
	}
	static const struct { const char *from, *to; } edits[] = {
		{ "status up", "status maybe" },	{ "name lab", "name ../x" },
		{ "hosts 4", "hosts 5" },		{ "hosts 4", "hosts 3" },
		{ "host r1", "host h1" },		{ "10.77.2.1", "10.77.2.999" },
		{ "lab-h2", "lab-h2-way-too-long" },	{ "number 7", "number 0" },
		{ "host e1 103 5003 host 0 0", "host e1 103 5003 host 1 0" },
		{ "101 5001", "-5 5001" },		{ "10.77.1.0/24", "8.8.8.0/24" },
		{ "extra 33554560", "extra 5" },	{ "extra 33554560", "extra" },
		{ "iface eth0 1 10.77.2.1", "iface eth0 2 10.77.2.1" },	/* no segment 2 */
		{ "iface eth0 1 10.77.2.1", "iface eth0 0 10.77.2.1" },	/* not in lan1's subnet */
		{ "fd4e:4c00:7:1::1 lab-h1", "fd4e:4c00:7:2::1 lab-h1" },	/* not in lan1's /64 */
		{ "10.77.2.1 - lab-h2", "10.77.2.1 fd4e:4c00:7:1::5 lab-h2" },	/* lan2 has no IPv6 */
		{ "route 0.0.0.0/0 10.77.2.254", "route 0.0.0.0/0 10.77.2" },
		{ "kind file", "kind yaml" },		{ "host h1 100 5000 host 1 2", "host h1 100 5000 host 1 9" },
		{ "host e1 103 5003 host", "host e1 103 5003 router" },	/* a router without links */
		{ "fs own", "fs maybe" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *p = strstr(text, edits[i].from);
		cr_assert(p, "%s not in\n%s", edits[i].from, text);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - text), text, edits[i].to,
			 p + strlen(edits[i].from));
		cr_expect_lt(state_parse(buf, "/run/netlab/lab/state", &out, &e), 0, "accepted: %s",
			     edits[i].to);
		if (e)
			cr_expect(strstr(e->msg, "/run/netlab/lab/state is corrupt"), "%s", e->msg);
		lab_err_free(&e);
	}
	free(text);
}

Test(state_file, a_file_from_before_fs_means_the_machines_root)
{
	struct lab in = sample(), out;
	char *text = NULL, *p;
	size_t len;

	cr_assert_eq(state_format(&in, &text, &len, NULL), 0);
	cr_assert_eq(state_parse(text, "t", &out, NULL), 0);
	cr_assert_eq(out.fs, ROOTFS_OWN);
	state_free(&out);
	p = strstr(text, "fs own\n");
	cr_assert(p, "%s", text);
	memmove(p, p + 7, strlen(p + 7) + 1);
	cr_assert_eq(state_parse(text, "t", &out, NULL), 0, "%s", text);
	cr_assert_eq(out.fs, ROOTFS_SHARED);
	state_free(&out);
	free(text);
}

Test(reach, expected_reachability_follows_routes_and_routers)
{
	struct lab lab = sample();

	/* h1 <-> h2 over IPv4: h1's default via r1, r1 forwards, h2's default back via r1 */
	cr_assert(lab_expect_reach(&lab, 0, 2, false));
	cr_assert(lab_expect_reach(&lab, 2, 0, false));
	/* over IPv6 h2 has no address (lan2 is IPv4 only) */
	cr_assert_not(lab_expect_reach(&lab, 0, 2, true));
	/* r1 reaches both; e1 nobody, nobody e1 */
	cr_assert(lab_expect_reach(&lab, 1, 0, false) && lab_expect_reach(&lab, 1, 2, false));
	cr_assert_not(lab_expect_reach(&lab, 3, 0, false));
	cr_assert_not(lab_expect_reach(&lab, 0, 3, false));
	/* without forwarding the path stops at r1 */
	lab.hosts[1].router = false;
	cr_assert_not(lab_expect_reach(&lab, 0, 2, false));
	cr_assert(lab_expect_reach(&lab, 0, 1, false), "r1 itself still answers on its own address");
	lab.hosts[1].router = true;
	/* without h2's route back, the echo arrives but the reply cannot return */
	lab.hosts[2].nroutes = 0;
	cr_assert_not(lab_expect_reach(&lab, 0, 2, false));
	/* h1 still reaches r1's far address: it is r1's own, no forwarding needed */
	cr_assert(lab_expect_reach(&lab, 0, 1, false));
}

#include "../src/ipv6.h"

Test(ipv6, prefixes_and_addresses)
{
	struct ipv6_net n;
	uint8_t a[16];
	char buf[64];
	struct lab_error *e = NULL;

	cr_assert_eq(ipv6_parse_net("fd00:1:2:3::/64", &n, NULL), 0);
	ipv6_host(&n, 5, a);
	cr_assert_str_eq(ipv6_fmt(a, buf, sizeof(buf)), "fd00:1:2:3::5");
	cr_assert(ipv6_in(&n, a));
	cr_assert_lt(ipv6_parse_net("2001:db8::/64", &n, &e), 0, "global: refused");
	cr_assert(strstr(e->msg, "unique local"), "%s", e->msg);
	lab_err_free(&e);
	cr_assert_lt(ipv6_parse_net("fd00::/48", &n, NULL), 0, "only /64");
	cr_assert_lt(ipv6_parse_net("fd00::1/64", &n, NULL), 0, "host bits");
	cr_assert_lt(ipv6_parse_net("banana/64", &n, NULL), 0);
	ipv6_lab_net(0x1234, 2, &n);
	cr_assert_str_eq(ipv6_fmt_net(&n, buf, sizeof(buf)), "fd4e:4c00:1234:2::/64");
	cr_assert_eq(ipv6_parse_prefix("default", &n, NULL), 0);
	cr_assert_eq(n.prefix, 0);
	cr_assert_eq(ipv6_parse_prefix("fd00:1::/32", &n, NULL), 0);
	cr_assert_lt(ipv6_parse_prefix("fd00:1::/16", &n, NULL), 0, "host bits beyond /16");
}

#include "../src/topo.h"

Test(error, first_error_wins_and_wrap_adds_context)
{
	struct lab_error *e = NULL;
	char buf[256];

	cr_assert_eq(lab_err(&e, ENOENT, "open %s", "/x"), -ENOENT);
	cr_assert_lt(lab_err(&e, EPERM, "second"), 0);
	cr_assert_eq(e->errnum, ENOENT);
	lab_err_wrap(&e, "host %s", "h1");
	cr_assert_str_eq(lab_err_str(e, buf, sizeof(buf)), "host h1: open /x: No such file or directory");
	lab_err_free(&e);
	cr_assert_null(e);
	cr_assert_eq(lab_err(&e, 0, "plain"), -1);
	cr_assert_str_eq(lab_err_str(e, buf, sizeof(buf)), "plain");
	lab_err_free(&e);
}

/* The CLI's exit code comes from the kind the error was made with (2 usage, 1, 128+signal). */
Test(error, the_kind_is_set_where_the_error_is_made_and_kept_on_the_way_up)
{
	struct lab_error *e = NULL;
	struct ipv4_net n;

	cr_assert_lt(names_check_lab("1lab", &e), 0);
	cr_assert_eq(e->kind, LAB_ERR_USAGE, "%s", e->msg);
	lab_err_wrap(&e, "up");
	cr_assert_eq(e->kind, LAB_ERR_USAGE);
	lab_err_free(&e);
	cr_assert_lt(ipv4_parse_net("10.0.0.0/40", &n, &e), 0);
	cr_assert_eq(e->kind, LAB_ERR_USAGE, "%s", e->msg);
	lab_err_free(&e);
	cr_assert_eq(lab_err_usage(&e, "bad %s", "x"), -1);
	cr_assert_eq(e->kind, LAB_ERR_USAGE);
	cr_assert_eq(e->errnum, 0);
	lab_err_free(&e);
	cr_assert_eq(lab_err_interrupted(&e, SIGTERM, "interrupted"), -EINTR);
	cr_assert_eq(e->kind, LAB_ERR_INTERRUPTED);
	cr_assert_eq(e->signo, SIGTERM);
	lab_err_free(&e);
	cr_assert_lt(names_ifname((char[IFNAMSIZ]){ 0 }, &e, "%s", "a-name-far-too-long"), 0);
	cr_assert_eq(e->kind, LAB_ERR_FAILURE, "a name netlab makes is not the user's mistake");
	lab_err_free(&e);
}

#if defined(__SANITIZE_ADDRESS__)
#define NO_RLIMIT_AS 1	/* ASan reserves terabytes of shadow memory */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_RLIMIT_AS 1
#endif
#endif

/* An error made when no memory is left says so (it used to print "unknown error"). */
Test(error, an_error_without_memory_for_itself_says_out_of_memory)
{
#ifdef NO_RLIMIT_AS
	cr_skip_test("address space limits do not work under AddressSanitizer");
#else
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct lab_error *e = NULL;
		unsigned long pages = 0;
		char buf[64] = "";
		FILE *f = fopen("/proc/self/statm", "re");

		/* no more address space than we have, and the heap used up */
		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(2);
		fclose(f);
		struct rlimit lim = { .rlim_cur = pages * 4096 + (1 << 20), .rlim_max = RLIM_INFINITY };
		if (setrlimit(RLIMIT_AS, &lim) < 0)
			_exit(3);
		for (size_t size = 4096; size; size /= 2)
			while (malloc(size))
				;
		lab_err(&e, EPERM, "chmod %s", "/tmp/x");
		lab_err_wrap(&e, "host h1");
		lab_err_str(e, buf, sizeof(buf));
		lab_err_free(&e);
		if (strcmp(buf, "out of memory")) {
			fprintf(stderr, "the error reads: %s\n", buf);
			_exit(1);
		}
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
#endif
}

/* A string as print_json_string makes it (output.c, then json-c), serialized as netlab prints it. */
static const char *json_text(const char *s, char *buf, size_t len)
{
	char *fixed = out_utf8_dup(s);
	struct json_object *o = json_object_new_string(fixed);

	snprintf(buf, len, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	free(fixed);
	return buf;
}

Test(json, strings_are_escaped)
{
	char buf[128];

	cr_assert_str_eq(json_text("a\"b\\c\nd\x01/e", buf, sizeof(buf)), "\"a\\\"b\\\\c\\nd\\u0001/e\"");
}

#include "../src/units.h"

Test(units, rates_times_and_percentages)
{
	uint64_t bps;
	uint32_t us;
	double p;

	cr_assert_eq(units_rate("10mbit", &bps), 0);
	cr_assert_eq(bps, 10000000u);
	cr_assert_eq(units_rate("1.5Gbit", &bps), 0);
	cr_assert_eq(bps, 1500000000u);
	cr_assert_eq(units_rate("500k", &bps), 0);
	cr_assert_eq(bps, 500000u);
	cr_assert_lt(units_rate("10", &bps), 0, "a rate needs its unit");
	cr_assert_lt(units_rate("1bit", &bps), 0, "below 8 kbit/s");
	cr_assert_lt(units_rate("-5mbit", &bps), 0);
	cr_assert_lt(units_rate("10mbps", &bps), 0, "bytes or bits? refused");
	cr_assert_eq(units_time_us("20ms", &us), 0);
	cr_assert_eq(us, 20000u);
	cr_assert_eq(units_time_us("2.5ms", &us), 0);
	cr_assert_eq(us, 2500u);
	cr_assert_eq(units_time_us("1s", &us), 0);
	cr_assert_eq(us, 1000000u);
	cr_assert_lt(units_time_us("20", &us), 0);
	cr_assert_lt(units_time_us("61s", &us), 0);
	cr_assert_eq(units_percent("1%", &p), 0);
	cr_assert_float_eq(p, 1.0, 1e-9);
	cr_assert_eq(units_percent("0.5", &p), 0);
	cr_assert_lt(units_percent("101%", &p), 0);
	cr_assert_lt(units_percent("x", &p), 0);
}

/* Issue 14.9: one rate format, never an exponent ("1e+03 Mbit/s"), never a second rounding. */
Test(units, rates_print_in_one_format_without_exponents)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "1gbit", "1 Gbit/s" },	 { "1.5gbit", "1.5 Gbit/s" },	{ "2.5gbit", "2.5 Gbit/s" },
		{ "10gbit", "10 Gbit/s" },	 { "40gbit", "40 Gbit/s" },	{ "123456kbit", "123.456 Mbit/s" },
		{ "10mbit", "10 Mbit/s" },	 { "500kbit", "500 kbit/s" },	{ "8kbit", "8 kbit/s" },
		{ "999.9999mbit", "1 Gbit/s" }, { "64000bit", "64 kbit/s" },	{ "1000.5kbit", "1.001 Mbit/s" },
	};
	char buf[32];
	uint64_t bps;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(units_rate(cases[i].in, &bps), 0, "%s", cases[i].in);
		cr_assert_str_eq(units_rate_fmt(bps, buf, sizeof(buf)), cases[i].out, "%s", cases[i].in);
	}
	cr_assert_str_eq(units_rate_fmt(0, buf, sizeof(buf)), "0 bit/s");
	cr_assert_str_eq(units_rate_fmt(999, buf, sizeof(buf)), "999 bit/s");
	cr_assert_str_eq(units_rate_fmt(1999999999, buf, sizeof(buf)), "2 Gbit/s");
	cr_assert_str_eq(units_rate_fmt(1234567, buf, sizeof(buf)), "1.235 Mbit/s");
	cr_assert_str_eq(units_rate_fmt(UINT64_MAX, buf, sizeof(buf)), "18446744073.71 Gbit/s");
}

#include "../src/output.h"

/* Issue 19.7: host-made bytes reach the terminal only as text. */
Test(output, control_bytes_and_invalid_utf8_are_escaped)
{
	char buf[256];

	cr_assert_str_eq(out_safe("eth0"), "eth0");
	cr_assert_str_eq(out_safe("\033]0;X\a\033[2K"), "\\x1b]0;X\\x07\\x1b[2K");
	cr_assert_str_eq(out_safe("a\\b"), "a\\\\b");
	cr_assert_str_eq(out_safe("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93", "UTF-8 passes");
	cr_assert_str_eq(out_safe("\xff\xc3"), "\\xff\\xc3", "invalid bytes");
	cr_assert_str_eq(out_safe("\xc0\xaf"), "\\xc0\\xaf", "an overlong '/'");
	cr_assert_str_eq(out_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80", "a surrogate");
	cr_assert_str_eq(out_safe("\xc2\x9b" "2K"), "\\xc2\\x9b2K", "C1 CSI, UTF-8 encoded");
	cr_assert_str_eq(out_safe("\xe2\x80\xae" "LIAF"), "\\xe2\\x80\\xaeLIAF", "bidi override");
	cr_assert_str_eq(out_safe("\x7f\n\t"), "\\x7f\\x0a\\x09");
	cr_assert_str_eq(out_safe(NULL), "");
	/* too small: stops before an escape, never inside one */
	cr_assert_eq(out_escape(buf, 6, "ab\033cd"), 8);
	cr_assert_str_eq(buf, "ab");
	cr_assert_eq(out_escape(buf, sizeof(buf), "ab\033cd"), 8);
	cr_assert_str_eq(buf, "ab\\x1bcd");
	char *d = out_escape_dup("\033x");
	cr_assert_str_eq(d, "\\x1bx");
	free(d);
}

/* A host-made name with invalid UTF-8 must not make status --json invalid JSON. */
Test(json, invalid_utf8_becomes_its_code_point_valid_utf8_passes)
{
	char buf[128];

	cr_assert(out_utf8_valid("a\xc3\xa9\x7f"));
	cr_assert(!out_utf8_valid("a\xff"));
	/* 0xff alone is U+00FF, as "\u00ff" said before: the same string to a JSON reader */
	cr_assert_str_eq(json_text("a\xff\xc3\xa9\x7f", buf, sizeof(buf)), "\"a\xc3\xbf\xc3\xa9\x7f\"");
}
