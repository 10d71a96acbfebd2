/* status on real labs: what hosts have now (routes, forwarding, shaping) against the plan, dead
 * labs, rates in one format. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;
static char LAB[16], FILE_PATH[64];

static void down(void)
{
	if (LAB[0])
		lab_down_quiet(LAB);
	if (FILE_PATH[0])
		unlink(FILE_PATH);
}

TestSuite(status, .fini = down, .timeout = 60);

/* h1 -- lan1 -- r1 -- lan2 -- h2, on subnets of this suite's own */
static void up_routed(const char *prefix)
{
	FILE *f;

	snprintf(LAB, sizeof(LAB), "%s%d", prefix, (int)(getpid() % 10000));
	snprintf(FILE_PATH, sizeof(FILE_PATH), "/tmp/netlab-%s.yaml", LAB);
	f = fopen(FILE_PATH, "w");
	cr_assert_not_null(f);
	fprintf(f, "segments:\n"
		   "  lan1: { subnet: 10.97.1.0/24 }\n"
		   "  lan2: { subnet: 10.97.2.0/24 }\n"
		   "hosts:\n"
		   "  h1:\n    links: [lan1]\n    routes:\n      - { to: default, via: r1 }\n"
		   "  r1:\n    router: true\n    links:\n"
		   "      - { segment: lan1, address: 10.97.1.254 }\n"
		   "      - { segment: lan2, address: 10.97.2.254 }\n"
		   "  h2:\n    links: [lan2]\n    routes:\n      - { to: default, via: r1 }\n");
	fclose(f);
	cr_assert_eq(nl(&r, "up", "-f", FILE_PATH, "-n", LAB, "-q", NULL), 0, "%s", r.err);
}

static struct json_object *host_json(struct json_object *root, const char *name)
{
	struct json_object *labs, *hosts, *n;

	cr_assert(json_object_object_get_ex(root, "labs", &labs));
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(labs, 0), "hosts", &hosts));
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		if (json_object_object_get_ex(h, "name", &n) && !strcmp(json_object_get_string(n), name))
			return h;
	}
	cr_assert_fail("no host %s", name);
	return NULL;
}

static bool get_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_boolean(v);
}

/* Issue 14.4: a default route lost by `ip link set eth0 down; up`, forwarding turned off in a
 * router: status shows what the host has, and marks it against the plan. */
Test(status, shows_live_routes_and_forwarding_against_the_plan)
{
	char target[32];
	struct json_object *root, *h, *v, *fwd;

	up_routed("tst");
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "route 0.0.0.0/0 via 10.97.1.254 dev eth0"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "forwarding (router)"), 1, "%s", r.out);
	cr_assert(!strstr(r.out, "NOT") && !strstr(r.out, "MISSING"), "%s", r.out);

	snprintf(target, sizeof(target), "%s/h1", LAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "sh", "-c", "ip link set eth0 down; ip link set eth0 up; "
			"ip route add 10.97.9.0/24 via 10.97.1.254", NULL), 0, "%s", r.err);
	snprintf(target, sizeof(target), "%s/r1", LAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "sysctl", "-qw", "net.ipv4.ip_forward=0", NULL), 0,
		     "%s", r.err);

	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "route 0.0.0.0/0 via 10.97.1.254  MISSING (planned, not in the "
				 "kernel)"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "route 10.97.9.0/24 via 10.97.1.254 dev eth0  NOT PLANNED"), 1,
		     "%s", r.out);
	cr_assert_eq(count_lines(r.out, "forwarding IPv4 off, IPv6 on: NOT AS PLANNED (a router forwards)"),
		     1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "route 0.0.0.0/0 via 10.97.2.254 dev eth0"), 1, "h2 untouched:\n%s",
		     r.out);
	cr_assert_eq(count_lines(r.out, "MISSING"), 2, "h1's IPv4 and IPv6 defaults:\n%s", r.out);

	cr_assert_eq(nl(&r, "status", LAB, "--json", NULL), 0, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	h = host_json(root, "h1");
	/* the default route, IPv4 and IPv6: both gone with the link */
	cr_assert(json_object_object_get_ex(h, "routes", &v) && json_object_array_length(v) == 2, "%s",
		  r.out);
	cr_assert(!get_bool(json_object_array_get_idx(v, 0), "live"), "%s", r.out);
	cr_assert(!get_bool(json_object_array_get_idx(v, 1), "live"), "%s", r.out);
	cr_assert(json_object_object_get_ex(h, "live_routes", &v) && json_object_array_length(v) == 1,
		  "%s", r.out);
	cr_assert(!get_bool(json_object_array_get_idx(v, 0), "planned"));
	cr_assert(get_bool(h, "forwarding_as_planned"));
	h = host_json(root, "r1");
	cr_assert(!get_bool(h, "forwarding_as_planned"));
	cr_assert(get_bool(h, "forwarding_planned"));
	cr_assert(json_object_object_get_ex(h, "forwarding", &fwd));
	cr_assert(!get_bool(fwd, "ipv4"));
	cr_assert(get_bool(fwd, "ipv6"));
	h = host_json(root, "h2");
	cr_assert(json_object_object_get_ex(h, "routes", &v));
	cr_assert(get_bool(json_object_array_get_idx(v, 0), "live"));
	json_object_put(root);
}

/* Issue 14.9: rates in one format, never with an exponent; JSON has the number of bit/s. */
Test(status, rates_print_in_one_format_and_json_has_bits_per_second)
{
	char target[32];
	struct json_object *root, *ifs, *v;

	lab_up_unique(LAB, "tsr", "2", "0");
	snprintf(target, sizeof(target), "%s/h1", LAB);
	cr_assert_eq(nl(&r, "link", target, "--rate", "1gbit", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "rate 1 Gbit/s in both directions"), "%s", r.out);
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "shaping: rate 1 Gbit/s"), 1, "%s", r.out);
	cr_assert(!strstr(r.out, "e+"), "%s", r.out);
	cr_assert_eq(nl(&r, "status", LAB, "--json", NULL), 0, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(host_json(root, "h1"), "interfaces", &ifs));
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(ifs, 0), "rate_bps", &v));
	cr_assert_eq(json_object_get_int64(v), 1000000000, "%s", r.out);
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(ifs, 0), "shaping", &v));
	cr_assert_str_eq(json_object_get_string(v), "rate 1 Gbit/s");
	cr_assert(json_object_object_get_ex(host_json(root, "h2"), "interfaces", &ifs));
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(ifs, 0), "rate_bps", &v));
	cr_assert(json_object_is_type(v, json_type_null), "unshaped: %s", r.out);
	json_object_put(root);

	cr_assert_eq(nl(&r, "link", target, "--rate", "123456kbit", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "rate 123.456 Mbit/s in both directions"), "%s", r.out);
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "shaping: rate 123.456 Mbit/s"), 1, "%s", r.out);
	cr_assert_eq(nl(&r, "link", target, "--rate", "2.5gbit", NULL), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "shaping: rate 2.5 Gbit/s"), 1, "%s", r.out);
}

/* Issue 18: a lab whose hosts are all dead is not "up": status says so and how to remove it. */
Test(status, a_lab_whose_hosts_are_all_dead_is_shown_dead_with_the_command_to_run)
{
	char want[160];
	static const char *const names[] = { "h1", "h2", "e1" };
	struct json_object *root, *labs, *v;

	lab_up_unique(LAB, "tsd", "2", "1");
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0);
	snprintf(want, sizeof(want), "lab \"%s\" up:", LAB);
	cr_assert(strstr(r.out, want), "%s", r.out);
	for (size_t i = 0; i < 3; i++) {
		pid_t pid = host_pid(LAB, names[i]);

		cr_assert_gt(pid, 0);
		cr_assert_eq(kill(pid, SIGKILL), 0);
		for (int k = 0; k < 200 && kill(pid, 0) == 0; k++)
			usleep(10000);
	}
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	snprintf(want, sizeof(want), "lab \"%s\" dead (no host is running: 'netlab down %s' or 'netlab "
		 "clean' removes what is left)", LAB, LAB);
	cr_assert(strstr(r.out, want), "%s", r.out);
	snprintf(want, sizeof(want), "lab \"%s\" up", LAB);
	cr_assert(!strstr(r.out, want), "%s", r.out);
	cr_assert_eq(count_lines(r.out, "DEAD"), 3, "%s", r.out);
	cr_assert_eq(nl(&r, "status", LAB, "--json", NULL), 0, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "labs", &labs));
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(labs, 0), "dead", &v));
	cr_assert(json_object_get_boolean(v), "%s", r.out);
	json_object_put(root);
	/* the command it prints works */
	cr_assert_eq(nl(&r, "down", LAB, NULL), 0, "%s", r.err);
	LAB[0] = '\0';
}

/* Issue 18's kind (text cut mid-word): too many addresses for the column end in "...", after
 * whole addresses only. */
Test(status, a_long_address_list_is_shortened_at_a_whole_address)
{
	char target[32], line[1024] = "", *p, *last;

	lab_up_unique(LAB, "tsa", "1", "0");
	snprintf(target, sizeof(target), "%s/h1", LAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "sh", "-c", "for i in $(seq 1 12); do "
			"ip addr add fd4e:4c00:99:1::$i:1234:5678/64 dev eth0 nodad; done", NULL), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	p = strstr(r.out, "  h1 ");
	cr_assert_not_null(p, "%s", r.out);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
	cr_assert(strlen(line) > 4 && !strcmp(line + strlen(line) - 4, " ..."), "%s", line);
	line[strlen(line) - 4] = '\0';
	last = strrchr(line, ' ');
	cr_assert_not_null(last);
	cr_assert(strstr(last, "/64") && !strcmp(last + strlen(last) - 3, "/64"), "cut inside '%s'", last);
}

/* Issue 15: a name root inside a host makes (here an interface "q\"\\\x01\xff", which the kernel
 * accepts) reaches `status --json` escaped: the output is valid JSON and valid UTF-8, and the name
 * reads back as it was (the stray byte 0xff as U+00FF). */
Test(status, a_host_made_name_with_quotes_and_control_bytes_gives_valid_json)
{
	static const char weird[] = "q\"\\\x01\xff";
	struct json_tokener *tok;
	struct json_object *root, *h, *routes, *v;
	char target[32];
	bool found = false;

	lab_up_unique(LAB, "tsj", "1", "0");
	snprintf(target, sizeof(target), "%s/h1", LAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "sh", "-c",
			"ip link add \"$1\" type veth peer name p0 && ip link set p0 up && "
			"ip link set \"$1\" up && ip addr add 10.99.45.1/24 dev \"$1\" && "
			"ip route add 10.99.46.0/24 via 10.99.45.2 dev \"$1\"", "sh", weird, NULL), 0,
		     "%s", r.err);
	cr_assert_eq(nl(&r, "status", LAB, "--json", NULL), 0, "%s", r.err);
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, r.out, (int)strlen(r.out));
	cr_assert_not_null(root, "%s: %s", json_tokener_error_desc(json_tokener_get_error(tok)), r.out);
	json_tokener_free(tok);
	for (const char *p = r.out; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 || (*p == '\n' && !p[1]), "a raw control byte: %s", r.out);
	h = host_json(root, "h1");
	cr_assert(json_object_object_get_ex(h, "live_routes", &routes), "%s", r.out);
	for (size_t i = 0; i < json_object_array_length(routes); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(routes, i), "dev", &v) &&
		    !strcmp(json_object_get_string(v), "q\"\\\x01\xc3\xbf"))
			found = true;
	cr_assert(found, "no route via the interface named inside the host: %s", r.out);
	json_object_put(root);
}
