/* `netlab pingall`: pairs counted against what the plan expects, -c and -W, a one-host lab, and a
 * host that answers for another with its addresses on lo. On real labs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;
static char LAB[16];
static void down(void) { lab_down_quiet(LAB); }
static void up3(void) { lab_up_unique(LAB, "tpg", "3", "1"); }
static const char *host(const char *h) { return lab_host(LAB, h); }

TestSuite(pingall, .timeout = 60);

Test(pingall, pingall_counts_pairs_and_takes_count_and_timeout, .init = up3, .fini = down)
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

Test(pingall, a_one_host_lab_has_no_pairs_and_verify_passes, .timeout = 30)
{
	char lab[16];

	lab_up_unique(lab, "t1h", "1", "0");
	cr_assert_eq(nl(&r, "pingall", lab, NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "0/0 pairs reachable (0 expected), as expected"), "%s", r.out);
	cr_assert_eq(nl(&r, "verify", lab, NULL), 0, "%s", r.out);
	lab_down_quiet(lab);
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

Test(pingall, a_host_cannot_answer_for_another_with_its_addresses_on_lo, .init = up3, .fini = down)
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
