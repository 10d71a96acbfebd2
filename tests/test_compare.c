/* `netlab compare`: a host's namespaces against the machine's and another host's, in text and
 * JSON, and a host whose `hostname` hangs. On a real lab of three hosts and an empty one. */
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
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;
static char LAB[16];
static void down(void) { lab_down_quiet(LAB); }
static void up3(void) { lab_up_unique(LAB, "tcm", "3", "1"); }
static const char *host(const char *h) { return lab_host(LAB, h); }

TestSuite(compare, .init = up3, .fini = down, .timeout = 60);

Test(compare, compare_shows_six_isolated_rows_and_cgroup_time_shared)
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

Test(compare, compare_json_and_an_empty_host_is_compared_with_a_networked_one)
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

/* Issue 19.6: root in h1 makes `hostname` hang (a script bind-mounted over it). compare must end
 * within its timeout per command and name the host that did not answer. */
Test(compare, compare_does_not_wait_for_a_hanging_hostname_and_names_the_host, .timeout = 40)
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
