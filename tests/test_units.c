/* Unit tests: parsers, allocation, naming, state round trip, errors, JSON escaping. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/error.h"
#include "../src/ipv4.h"
#include "../src/json.h"
#include "../src/names.h"
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

Test(names, lab_names)
{
	struct lab_error *e = NULL;
	static const char *good[] = { "lab", "week_1", "A", "abcdefgh" };
	static const char *bad[] = { "", "abcdefghi", "1lab", "a-b", "a/b", "..", "a b", "a;b",
				     "$(x)", "a.b", "_x" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(names_check_lab(good[i], NULL), 0, "'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_lt(names_check_lab(bad[i], NULL), 0, "'%s' accepted", bad[i]);
	cr_assert_lt(names_check_lab("abcdefghijk", &e), 0);
	cr_assert(strstr(e->msg, "at most 8"), "%s", e->msg);
	lab_err_free(&e);
}

Test(names, interface_names_are_checked_never_cut)
{
	char out[IFNAMSIZ];
	struct lab_error *e = NULL;

	cr_assert_eq(names_ifname(out, NULL, "%s-%s", "abcdefgh", "h1000"), 0);
	cr_assert_str_eq(out, "abcdefgh-h1000");
	cr_assert_eq(strlen(out), 14);
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

Test(names, host_arguments)
{
	char lab[LAB_NAME_MAX + 1], host[HOST_NAME_MAX_LEN + 1];

	cr_assert_eq(names_split_host("h1", lab, host, NULL), 0);
	cr_assert_str_eq(lab, "");
	cr_assert_str_eq(host, "h1");
	cr_assert_eq(names_split_host("week1/e2", lab, host, NULL), 0);
	cr_assert_str_eq(lab, "week1");
	cr_assert_str_eq(host, "e2");
	cr_assert_lt(names_split_host("a/b/c", lab, host, NULL), 0);
	cr_assert_lt(names_split_host("bad-lab/h1", lab, host, NULL), 0);
	cr_assert_lt(names_split_host("h1;rm", lab, host, NULL), 0);
	cr_assert_lt(names_split_host("", lab, host, NULL), 0);
	cr_assert_lt(names_split_host("lab/", lab, host, NULL), 0);
}

static struct lab sample(void)
{
	static struct lab_host hosts[3] = {
		{ "h1", true, 0x0a4d0101, "lab-h1", 100, 5000 },
		{ "h2", true, 0x0a4d0102, "lab-h2", 101, 5001 },
		{ "e1", false, 0, "", 102, 5002 },
	};
	struct lab lab = { .name = "lab", .number = 7, .complete = true, .builder = 99,
			   .builder_start = 4999, .subnet = { 0x0a4d0100, 24 }, .bridge = "lab-br",
			   .extra_ns = LAB_NS_CGROUP | LAB_NS_TIME, .nhosts = 3, .hosts = hosts };
	return lab;
}

Test(state, round_trip)
{
	struct lab in = sample(), out;
	char *text = NULL;
	size_t len;

	cr_assert_eq(state_format(&in, &text, &len, NULL), 0);
	cr_assert_eq(state_parse(text, "t", &out, NULL), 0, "%s", text);
	cr_assert_str_eq(out.name, "lab");
	cr_assert_eq(out.number, 7);
	cr_assert(out.complete);
	cr_assert_eq(out.builder, 99);
	cr_assert_eq(out.subnet.addr, in.subnet.addr);
	cr_assert_str_eq(out.bridge, "lab-br");
	cr_assert_eq(out.extra_ns, LAB_NS_CGROUP | LAB_NS_TIME);
	cr_assert_eq(out.nhosts, 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_str_eq(out.hosts[i].name, in.hosts[i].name);
		cr_assert_eq(out.hosts[i].networked, in.hosts[i].networked);
		cr_assert_eq(out.hosts[i].addr, in.hosts[i].addr);
		cr_assert_str_eq(out.hosts[i].veth, in.hosts[i].veth);
		cr_assert_eq(out.hosts[i].pid, in.hosts[i].pid);
		cr_assert_eq(out.hosts[i].start, in.hosts[i].start);
	}
	state_free(&out);
	free(text);
}

Test(state, corrupt_files_are_refused)
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
		{ "hosts 3", "hosts 4" },		{ "hosts 3", "hosts 2" },
		{ "host h2 net", "host h1 net" },	{ "10.77.1.2", "10.77.1.999" },
		{ "lab-h2", "lab-h2-way-too-long" },	{ "number 7", "number 0" },
		{ "host e1 empty - -", "host e1 empty 1.2.3.4 -" }, { "101 5001", "-5 5001" },
		{ "subnet 10.77.1.0/24", "subnet 8.8.8.0/24" },	{ "extra 33554560", "extra 5" },
		{ "extra 33554560", "extra" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *p = strstr(text, edits[i].from);
		cr_assert(p, "%s", edits[i].from);
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

Test(json, strings_are_escaped)
{
	char buf[128] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json_str(f, "a\"b\\c\nd\x01");
	fclose(f);
	cr_assert_str_eq(buf, "\"a\\\"b\\\\c\\nd\\u0001\"");
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
