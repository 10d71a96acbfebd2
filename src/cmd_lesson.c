/* The commands of the isolation lesson and the machine check: compare, verify, pingall, doctor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"
#include "lab.h"
#include "lesson.h"
#include "names.h"
#include "print.h"
#include "util.h"

/* The options of verify and pingall (each table takes its own of them), and compare's -l. */
struct lesson_args {
	bool json, v6;
	int timeout_ms, wait_ms;	/* wait_ms: --wait; 0 without */
	unsigned long count;
	const char *lab;
};

/* --wait SECS of pingall and verify: routing daemons converging */
#define OPT_WAIT CLI_LONG_ONLY

static int lesson_opt(int key, const char *arg, void *ctx)
{
	struct lesson_args *a = ctx;
	char *end;
	double v;

	switch (key) {
	case 'j':
		a->json = true;
		return 0;
	case '4':
	case '6':
		a->v6 = key == '6';
		return 0;
	case 'c':
		if (util_parse_ulong(arg, 1, 100, &a->count) < 0)
			return cli_usage_error("-c '%s': expected a count from 1 to 100", arg);
		return 0;
	case 'W':
		v = strtod(arg, &end);
		if (*end || !(v > 0) || v > 60)
			return cli_usage_error("-W '%s': expected seconds, more than 0 and at most 60", arg);
		a->timeout_ms = (int)ceil(v * 1000);
		return 0;
	case 'l':
		return cli_lab_opt(arg, &a->lab);
	case OPT_WAIT:
		v = strtod(arg, &end);
		if (*end || !(v > 0) || v > 3600)
			return cli_usage_error("--wait '%s': expected seconds, more than 0 and at most 3600",
					       arg);
		a->wait_ms = (int)ceil(v * 1000);
		return 0;
	}
	return 0;
}

/* --- pingall --- */

static const struct cli_opt pingall_opts[] = {
	{ "ipv4", '4', NULL, "ICMP to the IPv4 addresses (the default)" },
	{ "ipv6", '6', NULL, "ICMPv6 to the IPv6 addresses" },
	{ "count", 'c', "COUNT", "echo requests per pair (default 1); one reply is enough" },
	{ "timeout", 'W', "SECS", "how long to wait for replies (default 1)" },
	{ "wait", OPT_WAIT, "SECS", "try again every second until it is as expected or\n"
				    "SECS have passed (routing daemons converging)" },
	{ "json", 'j', NULL, "machine-readable output" },
	{ NULL },
};

static int run_pingall(const struct cli_command *self, int argc, char **argv)
{
	struct lesson_args a = { .timeout_ms = 1000, .count = 1 };
	struct lab_error *err = NULL;
	struct pingall_result pr;
	struct lesson_wait w = { 0 };
	struct lab lab;
	int r;

	if ((r = cli_options_lab(self, argc, argv, lesson_opt, &a, &lab)) != CLI_CONTINUE)
		return r;
	if (a.v6 && !lesson_has_ipv6(&lab)) {
		r = cli_usage_error("lab \"%s\" has no IPv6 (it came up with --no-ipv6 or ipv6: false): "
				    "ping it with -4", lab.name);
		state_free(&lab);
		return r;
	}
	if ((a.wait_ms ? lesson_pingall_wait(&lab, a.v6, (unsigned)a.count, a.timeout_ms, a.wait_ms,
					     &pr, &w, &err)
		       : lesson_pingall(&lab, a.v6, (unsigned)a.count, a.timeout_ms, &pr, &err)) < 0) {
		state_free(&lab);
		return cli_fail(&err);
	}
	print_neigh_note(&pr);
	r = pr.mismatches ? EXIT_FAIL : EXIT_OK;
	if (!a.json) {
		print_pingall(&lab, &pr);
		print_wait(&w, a.wait_ms);
	} else {
		struct json_object *doc = print_pingall_json(&lab, &pr);

		print_wait_json(doc, &w, a.wait_ms);
		if (print_json(doc) != EXIT_OK)
			r = EXIT_FAIL;
	}
	lesson_pingall_free(&pr);
	state_free(&lab);
	return r;
}

const struct cli_command cmd_pingall = {
	.name = "pingall",
	.summary = "who reaches whom, all pairs at once: netlab pingall [LAB]",
	.run = run_pingall,
	.usage = "Usage: netlab pingall [LAB] [-4|-6] [-c COUNT] [-W SECS] [--wait SECS] [--json]\n\n"
		 "Who reaches whom: ICMP echo from inside every host to every other host's\n"
		 "first address (eth0), all pairs at once. Hosts sharing a segment should\n"
		 "answer, others when the topology's routes and routers lead there and back;\n"
		 "with routing: dynamic, every address of every other networked host.\n"
		 "Empty hosts should reach nobody. Exit 0 when reality matches that\n"
		 "expectation, 1 otherwise.\n",
	.column = 22,
	.opts = pingall_opts,
	.example = "Example: netlab pingall -W 0.5\n",
};

/* --- verify --- */

static const struct cli_opt verify_opts[] = {
	{ "timeout", 'W', "SECS", "how long to wait for ICMP replies (default 1)" },
	{ "wait", OPT_WAIT, "SECS", "try again every second until all pass or SECS have\n"
				    "passed (routing daemons converging)" },
	{ "json", 'j', NULL, "machine-readable output" },
	{ NULL },
};

static int run_verify(const struct cli_command *self, int argc, char **argv)
{
	struct lesson_args a = { .timeout_ms = 1000 };
	struct lab_error *err = NULL;
	struct check *checks = NULL;
	struct lesson_wait w = { 0 };
	size_t n = 0, passed = 0;
	struct lab lab;
	int r;

	if ((r = cli_options_lab(self, argc, argv, lesson_opt, &a, &lab)) != CLI_CONTINUE)
		return r;
	if ((a.wait_ms ? lesson_verify_wait(&lab, a.timeout_ms, a.wait_ms, &checks, &n, &w, &err)
		       : lesson_verify(&lab, a.timeout_ms, &checks, &n, &err)) < 0) {
		state_free(&lab);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++)
		passed += checks[i].pass;
	r = passed == n ? EXIT_OK : EXIT_FAIL;
	if (!a.json) {
		print_verify(checks, n);
		print_wait(&w, a.wait_ms);
	} else {
		struct json_object *doc = print_verify_json(&lab, checks, n);

		print_wait_json(doc, &w, a.wait_ms);
		if (print_json(doc) != EXIT_OK)
			r = EXIT_FAIL;
	}
	lesson_checks_free(checks, n);
	state_free(&lab);
	return r;
}

const struct cli_command cmd_verify = {
	.name = "verify",
	.summary = "check every isolation claim, PASS/FAIL: netlab verify [LAB]",
	.run = run_verify,
	.usage = "Usage: netlab verify [LAB] [-W SECS] [--wait SECS] [--json]\n\n"
		 "Check every isolation claim of every host: running; each of its six\n"
		 "namespaces differs from the machine's and from every other host's; lo and\n"
		 "its interfaces up with their IPv4, IPv6 and link-local addresses (empty\n"
		 "hosts: only lo); every networked host reaches exactly the hosts it should\n"
		 "(all others on one bridge; in a topology, what its routes and routers lead\n"
		 "to; with routing: dynamic, every address of every other), over IPv4 and\n"
		 "IPv6; empty hosts reach nobody. One PASS/FAIL line per check with its\n"
		 "evidence, then 'N passed, M failed'. Exit 0 only if all pass.\n",
	.column = 22,
	.opts = verify_opts,
};

/* --- compare --- */

static const struct cli_opt compare_opts[] = {
	{ "lab", 'l', "LAB", "the lab HOST belongs to" },
	{ "json", 'j', NULL, "machine-readable output" },
	{ NULL },
};

/* The other column: the empty-netns control, or a networked host if host is the control;
 * (size_t)-1 when the lab has one host. */
static size_t other_host(const struct lab *lab, size_t host)
{
	for (size_t i = 0; i < lab->nhosts; i++)
		if (i != host && lab->hosts[i].networked != lab->hosts[host].networked)
			return i;
	for (size_t i = 0; i < lab->nhosts; i++)
		if (i != host)
			return i;
	return (size_t)-1;
}

static int run_compare(const struct cli_command *self, int argc, char **argv)
{
	struct lesson_args a = { 0 };
	struct lab_error *err = NULL;
	struct compare_row *rows = NULL, *inodes = NULL;
	size_t nrows = 0, ninodes = 0, idx, other;
	struct lab lab;
	bool shared = false;
	int r;

	if ((r = cli_options(self, argc, argv, lesson_opt, &a)) != CLI_CONTINUE)
		return r;
	if (optind >= argc)
		return cli_usage_error("missing HOST");
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (lab_resolve_host(argv[optind], a.lab, &lab, &idx, &err) < 0)
		return cli_fail(&err);
	other = other_host(&lab, idx);
	if (lesson_compare(&lab, idx, other, &rows, &nrows, &inodes, &ninodes, &err) < 0) {
		state_free(&lab);
		return cli_fail(&err);
	}
	if (!a.json)
		print_compare(&lab, idx, other, rows, nrows, inodes, ninodes);
	else if (print_json(print_compare_json(&lab, idx, other, rows, nrows, inodes, ninodes)) != EXIT_OK)
		shared = true;	/* nothing printed: not a pass */
	for (size_t i = 0; i < nrows; i++)
		shared |= !rows[i].isolated;
	/* a host whose command hung is named, and the report is not a pass */
	shared |= print_no_answer(&lab, idx, other, rows, nrows);
	free(rows);
	free(inodes);
	state_free(&lab);
	return shared ? EXIT_FAIL : EXIT_OK;
}

const struct cli_command cmd_compare = {
	.name = "compare",
	.summary = "the isolation report, machine | host | empty: netlab compare h1",
	.run = run_compare,
	.usage = "Usage: netlab compare HOST [--json]\n\n"
		 "The isolation report. Runs the classic exercise of each namespace (hostname,\n"
		 "ipcs -q, echo $$ and ps, the mount table, id and uid_map, ip addr) on the\n"
		 "real machine, inside HOST and inside the lab's empty host (or, if HOST is the\n"
		 "empty one, a networked host), side by side, with a verdict per namespace; then\n"
		 "the inodes of all eight namespace types. Everything is measured live.\n",
	.column = 17,
	.opts = compare_opts,
	.example = "Example: netlab compare h1\n",
};

/* --- doctor --- */

static int run_doctor(const struct cli_command *self, int argc, char **argv)
{
	struct lab_error *err = NULL;
	struct doctor_line *lines = NULL;
	size_t n = 0, failed;
	int r;

	if ((r = cli_options(self, argc, argv, NULL, NULL)) != CLI_CONTINUE)
		return r;
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (doctor_run(&lines, &n, &err) < 0)
		return cli_fail(&err);
	failed = print_doctor(lines, n);
	free(lines);
	return failed ? EXIT_FAIL : EXIT_OK;
}

const struct cli_command cmd_doctor = {
	.name = "doctor",
	.summary = "is this machine ready for a class? netlab doctor",
	.run = run_doctor,
	.usage = "Usage: netlab doctor\n\n"
		 "Check this machine before a class: root, kernel version and features (clone3,\n"
		 "pidfd, veth, bridge, tbf, netem: tried for real in a throwaway network\n"
		 "namespace), namespace limits, bridge netfilter, the ARP table limit, free\n"
		 "subnets, labs left over from crashes. One line per check, ok / warn / FAIL,\n"
		 "with the fix. Exit 1 if anything would stop 'netlab up'.\n",
	.column = 14,
};
