/* The commands of a lab as a whole: up, down, status, graph, clean. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hostsetup.h"
#include "graph.h"
#include "ipv4.h"
#include "ipv6.h"
#include "kathara_up.h"
#include "lab.h"
#include "names.h"
#include "output.h"
#include "print.h"
#include "rootfs.h"
#include "topo.h"
#include "util.h"

static void explain_line(const char *command, void *arg)
{
	(void)arg;
	printf("  $ %s\n", command);
	fflush(stdout);
}

/* A lab name given as the only operand (down, status): into a list of one, as lab_names gives. */
static int one_name(int argc, char **argv, char ***names, size_t *count)
{
	struct lab_error *err = NULL;
	const char *name = argv[optind++];

	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (names_check_lab(name, &err) < 0)
		return cli_fail(&err);
	*names = calloc(1, sizeof(**names));
	if (!*names || !((*names)[0] = strdup(name))) {
		free(*names);
		lab_err(&err, ENOMEM, "lab name");
		return cli_fail(&err);
	}
	*count = 1;
	return 0;
}

/* --- up --- */

enum {
	OPT_SUBNET6 = CLI_LONG_ONLY, OPT_NO_IPV6, OPT_MTU, OPT_NS, OPT_PIDS_MAX, OPT_MEMORY_MAX, OPT_FS,
	OPT_EXEC_TIMEOUT, OPT_KEEP_ON_ERROR,
};

static const struct cli_opt up_opts[] = {
	{ "file", 'f', "FILE", "build the topology described in FILE" },
	{ "name", 'n', "LAB", "lab name (default: the file's name:, else \"" LAB_DEFAULT_NAME "\"; up to\n"
			      CLI_STR(LAB_NAME_MAX) " letters, digits, _)" },
	{ "subnet", 's', "CIDR", "private IPv4 subnet for the hosts (default: the first\n"
				 "free /24 in 10.77.0.0/16 that no route uses)" },
	{ "subnet6", OPT_SUBNET6, "P/64", "unique local IPv6 /64 for the hosts (default:\n"
					  "fd4e:4c00:LAB:1::/64, LAB = the lab's number)" },
	{ "no-ipv6", OPT_NO_IPV6, NULL, "IPv4 only: no IPv6 address, not even link-local" },
	{ "mtu", OPT_MTU, "N", "MTU of every link (bridge, veths, inside; default\n"
			       "1500; a file's segments may give their own mtu:)" },
	{ "empty", 'e', "M", "empty-netns control hosts (default 1, at most " CLI_STR(LAB_EMPTY_MAX) ")" },
	{ "quiet", 'q', NULL, "print only the summary line" },
	{ "ns", OPT_NS, "+cgroup,+time", "also new cgroup and/or time namespaces per host" },
	{ "pids-max", OPT_PIDS_MAX, "N", "at most N tasks per host (default 512; max: none)" },
	{ "memory-max", OPT_MEMORY_MAX, "SIZE", "memory per host, e.g. 256M or 2G (default 512M;\n"
						"max: none); a host's own limit in -f FILE wins" },
	{ "fs", OPT_FS, "own|shared", "each host's root: its own copy-on-write view of the\n"
				      "machine's root (default), or the machine's root\n"
				      "read-only, its files owned by nobody (shared)" },
	{ "explain", 'x', NULL, "print, as each step runs, the unshare/ip/nsenter/mount\n"
				"command that would do the same by hand" },
	{ "exec-timeout", OPT_EXEC_TIMEOUT, "SECS", "each exec: command of -f FILE may run this long\n"
						    "(default " CLI_STR(HOSTSETUP_EXEC_TIMEOUT_S) ")" },
	{ "keep-on-error", OPT_KEEP_ON_ERROR, NULL, "an exec: command of -f FILE that fails keeps the lab\n"
						    "(exit 1 all the same) instead of rolling it back" },
	{ NULL },
};

struct up_args {
	struct lab_spec spec;
	struct hostsetup_opts setup;	/* --exec-timeout, --keep-on-error; what failed */
	const char *file;
	bool named, sized, quiet;
};

/* --ns +cgroup,+time: namespaces beyond the six every host gets */
static int parse_ns(const char *arg, int *out)
{
	char buf[64], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (*w == '+')
			w++;
		if (!strcmp(w, "cgroup"))
			*out |= LAB_NS_CGROUP;
		else if (!strcmp(w, "time"))
			*out |= LAB_NS_TIME;
		else
			return cli_usage_error("--ns '%s': expected +cgroup, +time or +cgroup,+time (the "
					       "other six are always new)", arg);
	}
	return 0;
}

static int up_opt(int key, const char *arg, void *ctx)
{
	struct up_args *a = ctx;
	struct lab_spec *spec = &a->spec;
	struct lab_error *err = NULL;
	unsigned long v;

	switch (key) {
	case 'f':
		a->file = arg;
		return 0;
	case 'n':
		a->named = true;
		return cli_lab_opt(arg, &spec->name);
	case 's':
		if (ipv4_parse_net(arg, &spec->subnet, &err) < 0)
			return cli_fail(&err);
		spec->has_subnet = true;
		return 0;
	case OPT_SUBNET6:
		if (ipv6_parse_net(arg, &spec->subnet6, &err) < 0)
			return cli_fail(&err);
		spec->has_subnet6 = true;
		return 0;
	case OPT_NO_IPV6:
		spec->no_ipv6 = true;
		return 0;
	case OPT_MTU:
		if (util_parse_ulong(arg, LAB_MTU_MIN, LAB_MTU_MAX, &v) < 0)
			return cli_usage_error("--mtu '%s': expected a number of bytes from %d to %d", arg,
					       LAB_MTU_MIN, LAB_MTU_MAX);
		spec->mtu = (unsigned)v;
		return 0;
	case 'e':
		if (util_parse_ulong(arg, 0, LAB_EMPTY_MAX, &v) < 0)
			return cli_usage_error("--empty '%s': expected a number from 0 to %d", arg,
					       LAB_EMPTY_MAX);
		spec->empty = (unsigned)v;
		a->sized = true;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	case OPT_NS:
		return parse_ns(arg, &spec->extra_ns);
	case OPT_PIDS_MAX:
		if (cgroup_parse_pids(arg, &spec->limits.pids_max) < 0)
			return cli_usage_error("--pids-max '%s': expected a number of tasks from %u to %u, "
					       "or max", arg, CGROUP_PIDS_MIN, CGROUP_PIDS_LIMIT);
		return 0;
	case OPT_MEMORY_MAX:
		if (cgroup_parse_memory(arg, &spec->limits.memory_max) < 0)
			return cli_usage_error("--memory-max '%s': expected a size such as 256M or 2G (at "
					       "least 8M), or max", arg);
		return 0;
	case OPT_FS:
		/* --fs own|shared: the hosts' root filesystem */
		if (!strcmp(arg, "own") || !strcmp(arg, "private"))
			spec->fs = ROOTFS_OWN;
		else if (!strcmp(arg, "shared"))
			spec->fs = ROOTFS_SHARED;
		else
			return cli_usage_error("--fs '%s': expected own (each host its own copy-on-write "
					       "root, the default) or shared (the machine's root, "
					       "read-only)", arg);
		return 0;
	case 'x':
		spec->explain = explain_line;
		return 0;
	case OPT_EXEC_TIMEOUT:
		if (util_parse_ulong(arg, 1, 86400, &v) < 0)
			return cli_usage_error("--exec-timeout '%s': expected a number of seconds from 1 "
					       "to 86400", arg);
		a->setup.timeout_ms = (unsigned)v * 1000;
		return 0;
	case OPT_KEEP_ON_ERROR:
		a->setup.keep_on_error = true;
		return 0;
	}
	return 0;
}

/* --mtu below 1280 on a segment with IPv6 (which needs 1280): a usage error (EXIT_USAGE); 0 when
 * fine. */
static int mtu_without_ipv6(const struct lab_spec *spec, const struct lab_topo *topo)
{
	if (!spec->mtu || spec->mtu >= LAB_MTU_MIN6)
		return 0;
	if (!topo && !spec->no_ipv6)
		return cli_usage_error("--mtu %u is below %d, which IPv6 needs: raise it, or add "
				       "--no-ipv6", spec->mtu, LAB_MTU_MIN6);
	for (size_t g = 0; topo && g < topo->plan.nsegs; g++)
		if (topo->plan.segs[g].has6 && !topo->plan.segs[g].mtu)
			return cli_usage_error("--mtu %u is below %d, which IPv6 on segment %s needs: "
					       "raise it, or add --no-ipv6", spec->mtu, LAB_MTU_MIN6,
					       topo->plan.segs[g].name);
	return 0;
}

/* The operands and the options together: a usage error's exit code, or 0. */
static int up_check(struct up_args *a, int argc, char **argv)
{
	struct lab_spec *spec = &a->spec;
	unsigned long v;

	if (optind < argc && !a->file && util_parse_ulong(argv[optind], 1, LAB_HOSTS_MAX, &v) < 0 &&
	    kathara_up_is_lab(argv[optind]))	/* up DIR: a Kathará lab */
		a->file = argv[optind++];
	else if (optind < argc) {
		const char *x = argv[optind];
		struct stat st;

		if (util_parse_ulong(x, 1, LAB_HOSTS_MAX, &v) < 0 && strchr(x, '/') && stat(x, &st) < 0)
			return cli_usage_error("'%s': %s: give a number of hosts from 1 to %d or a "
					       "Kathará lab directory", out_safe(x), strerror(errno),
					       LAB_HOSTS_MAX);
		if (util_parse_ulong(x, 1, LAB_HOSTS_MAX, &v) < 0 && (strchr(x, '/') || stat(x, &st) == 0))
			return cli_usage_error("'%s' is neither a number of hosts from 1 to %d nor a "
					       "Kathará lab directory (one with a lab.conf); a topology "
					       "file goes with -f", out_safe(x), LAB_HOSTS_MAX);
		if (util_parse_ulong(x, 1, LAB_HOSTS_MAX, &v) < 0)
			return cli_usage_error("'%s' is not a number of hosts from 1 to %d", out_safe(x),
					       LAB_HOSTS_MAX);
		spec->hosts = (unsigned)v;
		optind++;
		a->sized = true;
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->file && (a->sized || spec->has_subnet || spec->has_subnet6))
		return cli_usage_error("-f takes hosts and subnets from the file: drop N, --empty, "
				       "--subnet and --subnet6");
	if (a->file && kathara_up_is_lab(a->file) && (spec->no_ipv6 || spec->mtu))
		return cli_usage_error("a Kathará lab's addresses are its own: drop --no-ipv6 and --mtu");
	if (spec->no_ipv6 && spec->has_subnet6)
		return cli_usage_error("--subnet6 and --no-ipv6 contradict each other");
	return 0;
}

/* NETLAB_TIMING=1: the phases of `up` on stderr, for scripts/bench. A topology's files:, sysctls:
 * and exec: and a Kathará lab's startups are what total leaves after the others. */
static void print_timing(const struct lab_timing *t)
{
	if (getenv("NETLAB_TIMING"))
		fprintf(stderr, "timing: reserve %.2f ms, spawn+links %.2f ms (waiting for clone3 %.2f, "
				"veth %.2f), ready %.2f ms, mounts %.2f ms, commit %.2f ms, total %.2f ms\n",
			(double)t->reserve / 1e6, (double)t->spawn / 1e6, (double)t->clone / 1e6,
			(double)t->veth / 1e6, (double)t->ready / 1e6,
			(double)t->mounts / 1e6, (double)t->commit / 1e6, (double)t->total / 1e6);
}

/* up DIR (or up -f DIR/lab.conf): a Kathará lab. Its notes first; refused (exit 1, nothing made)
 * when it needs software Debian lacks or the machine has not installed; a failing startup is
 * reported and the lab kept, as Kathará does. */
static int up_kathara(struct up_args *a)
{
	struct lab_spec *spec = &a->spec;
	struct lab_error *err = NULL;
	struct lab_host_info *info;
	struct kathara_up k;
	struct lab_timing t;
	struct lab_topo topo;
	struct lab lab;
	int r;

	if (kathara_up_load(a->file, &k, &err) < 0)
		return cli_fail(&err);
	print_kathara_plan(&k.lab, &k.plan, k.dir, a->quiet);
	if (k.plan.nrefusals || k.nmissing) {
		print_kathara_refusal(&k.plan, (const char *const *)k.missing, k.nmissing);
		kathara_up_free(&k);
		return EXIT_FAIL;
	}
	r = kathara_up_topo(&k, &topo, &err);
	kathara_up_free(&k);
	if (r < 0)
		return cli_fail(&err);
	spec->topo = &topo;
	if (hostsetup_check(spec, &err) < 0) {	/* --fs shared */
		lab_topo_free(&topo);
		return cli_fail(&err);
	}
	r = lab_up(spec, &lab, &t, &err);
	lab_topo_free(&topo);
	if (r < 0) {
		r = cli_fail(&err);
		print_setup_failure(&a->setup.fail, spec->name);
		return r;
	}
	/* the roles its startups gave the devices (a PC forwards as a router does): read live */
	info = calloc(lab.nhosts + 1, sizeof(*info));
	for (size_t i = 0; info && i < lab.nhosts; i++)
		if (lab_host_info(&lab.hosts[i], &info[i], &err) < 0)
			lab_err_free(&err);	/* that host's role from the plan */
	print_up(&lab, info, &t, a->quiet);
	free(info);
	print_timing(&t);
	state_free(&lab);
	fflush(stdout);
	print_startup_failure(&a->setup.fail, spec->name);	/* the lab is kept: exit 0 */
	return EXIT_OK;
}

static int run_up(const struct cli_command *self, int argc, char **argv)
{
	struct up_args a = { .spec = { .name = LAB_DEFAULT_NAME, .hosts = 2, .empty = 1 } };
	struct lab_spec *spec = &a.spec;
	struct lab_error *err = NULL;
	struct lab_timing t;
	struct lab_topo topo;
	struct lab lab;
	int r;

	spec->setup = &a.setup;
	if ((r = cli_options(self, argc, argv, up_opt, &a)) != CLI_CONTINUE)
		return r;
	if ((r = up_check(&a, argc, argv)) != 0)
		return r;
	if (a.file && kathara_up_is_lab(a.file))
		return up_kathara(&a);
	if (a.file) {
		if (topo_load(a.file, &topo, &err) < 0)
			return cli_fail(&err);
		if (!a.named && topo.plan.name[0])
			spec->name = topo.plan.name;
		if (spec->no_ipv6)
			for (size_t g = 0; g < topo.plan.nsegs; g++)
				topo.plan.segs[g].has6 = false;
		spec->topo = &topo;
		if (hostsetup_check(spec, &err) < 0) {	/* files: with --fs shared */
			lab_topo_free(&topo);
			return cli_fail(&err);
		}
	}
	if ((r = mtu_without_ipv6(spec, a.file ? &topo : NULL)) != 0) {
		if (a.file)
			lab_topo_free(&topo);
		return r;
	}
	if (spec->has_subnet && spec->hosts > ipv4_capacity(spec->subnet.prefix)) {
		char net[20];
		return cli_usage_error("subnet %s holds %u hosts, not %u: use a larger one",
				       ipv4_fmt_net(&spec->subnet, net, sizeof(net)),
				       ipv4_capacity(spec->subnet.prefix), spec->hosts);
	}
	r = lab_up(spec, &lab, &t, &err);
	if (a.file)
		lab_topo_free(&topo);
	if (r < 0) {
		r = cli_fail(&err);
		print_setup_failure(&a.setup.fail, spec->name);
		return r;
	}
	print_up(&lab, NULL, &t, a.quiet);
	print_timing(&t);
	state_free(&lab);
	if (a.setup.fail.kept) {	/* --keep-on-error */
		fflush(stdout);
		print_setup_failure(&a.setup.fail, spec->name);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

const struct cli_command cmd_up = {
	.name = "up",
	.summary = "start a lab: netlab up [N] [--name LAB] [--subnet CIDR] [--empty M]",
	.run = run_up,
	.usage = "Usage: netlab up [N] [options]\n"
		 "       netlab up -f TOPOLOGY.yaml [options]\n"
		 "       netlab up KATHARA_DIR [options]   (or -f KATHARA_DIR/lab.conf)\n\n"
		 "Start a lab of N networked hosts h1..hN (default 2) on one bridge, plus\n"
		 "empty-netns control hosts e1..eM; or the segments, hosts, routers and routes\n"
		 "of a topology file (format in the README; examples in examples/). Each host\n"
		 "is a process tree in new user, mount, PID, network, UTS and IPC namespaces,\n"
		 "with its own root filesystem (copy-on-write), /proc, /sys, /dev, /run and /tmp.\n"
		 "Hosts get an IPv4 address and an IPv6 one from a unique local /64, plus\n"
		 "their link-local address.\n"
		 "A directory (or a file named lab.conf) is a Kathara lab: a segment per\n"
		 "collision domain without netlab's addresses, a host per device with its\n"
		 "files, /hostlab, a copy of shared/ at /shared, its startup files run with\n"
		 "bash (a failing one is reported, the lab kept) and its shutdown files at down.\n",
	.column = 22,
	.opts = up_opts,
	.example = "Examples: netlab up 3 --name week1 --subnet 10.99.0.0/24\n"
		   "          netlab up -f examples/two-subnets.yaml\n"
		   "          netlab up tests/kathara/ospf --name ospf\n",
};

/* --- down --- */

static const struct cli_opt down_opts[] = {
	{ "all", 'a', NULL, "every lab that is up" },
	{ "explain", 'x', NULL, "print the by-hand command of each step as it runs" },
	{ NULL },
};

struct down_args {
	bool all, explain;
};

static int down_opt(int key, const char *arg, void *ctx)
{
	struct down_args *a = ctx;

	(void)arg;
	if (key == 'a')
		a->all = true;
	else if (key == 'x')
		a->explain = true;
	return 0;
}

/* "several labs are up: name one (a, b, ... and N more), or use --all" */
static int several_labs(char **names, size_t count)
{
	char list[256] = "";

	for (size_t i = 0; i < count; i++) {
		size_t used = strlen(list);

		if (i == 8) {
			snprintf(list + used, sizeof(list) - used, ", and %zu more", count - 8);
			break;
		}
		snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
	}
	fprintf(stderr, "netlab: several labs are up: name one (%s), or use --all\n", list);
	return EXIT_FAIL;
}

static int run_down(const struct cli_command *self, int argc, char **argv)
{
	struct down_args a = { 0 };
	struct lab_error *err = NULL;
	char **names = NULL;
	size_t count = 0;
	uint64_t t0 = util_now_ns();
	int r, code = EXIT_OK;

	if ((r = cli_options(self, argc, argv, down_opt, &a)) != CLI_CONTINUE)
		return r;
	if (a.all && optind < argc)
		return cli_usage_error("--all takes no lab name");
	if (a.all || optind >= argc) {
		/* no name: the only lab that is up, as exec and pingall take it */
		if (lab_names(&names, &count, &err) < 0)
			return cli_fail(&err);
		if (!a.all && count == 0) {
			printf("no lab is up: nothing to do\n");
			return EXIT_OK;
		}
		if (!a.all && count > 1) {
			code = several_labs(names, count);
			lab_names_free(names, count);
			return code;
		}
	} else if ((r = one_name(argc, argv, &names, &count)) != 0) {
		return r;
	}
	for (size_t i = 0; i < count; i++) {
		r = lab_down(names[i], a.explain ? explain_line : NULL, NULL, &err);
		if (r < 0)
			code = cli_fail(&err);
		else if (r > 0)
			printf("lab \"%s\" down, %.0f ms\n", names[i], (double)(util_now_ns() - t0) / 1e6);
		else
			printf("lab \"%s\" is not up: nothing to do\n", names[i]);
	}
	if (a.all && count == 0)
		printf("no lab is up: nothing to do\n");
	lab_names_free(names, count);
	return code;
}

const struct cli_command cmd_down = {
	.name = "down",
	.summary = "stop a lab and remove everything it made: netlab down [LAB] | --all",
	.run = run_down,
	.usage = "Usage: netlab down [LAB] | --all\n\n"
		 "Stop a lab: kill its hosts, delete its bridge and veths, unmount its\n"
		 "/run/netns entries and remove its state. Doing it twice is harmless.\n",
	.column = 18,
	.opts = down_opts,
	.example = "Example: netlab down week1\n",
};

/* --- status --- */

static const struct cli_opt status_opts[] = {
	{ "json", 'j', NULL, "machine-readable output (schema in the README)" },
	{ NULL },
};

static int json_opt(int key, const char *arg, void *ctx)
{
	(void)arg;
	if (key == 'j')
		*(bool *)ctx = true;
	return 0;
}

static int run_status(const struct cli_command *self, int argc, char **argv)
{
	struct lab_error *err = NULL;
	struct json_object *doc = NULL;
	char **names = NULL;
	size_t count = 0;
	bool json = false;
	int r, code = EXIT_OK;

	if ((r = cli_options(self, argc, argv, json_opt, &json)) != CLI_CONTINUE)
		return r;
	if (optind < argc) {
		if ((r = one_name(argc, argv, &names, &count)) != 0)
			return r;
	} else if (lab_names(&names, &count, &err) < 0) {
		return cli_fail(&err);
	}
	if (json)
		doc = print_status_json_start();
	else if (count == 0)
		printf("no lab is up (start one with 'netlab up')\n");
	for (size_t i = 0; i < count; i++) {
		struct lab lab;
		struct lab_host_info *info;

		if (lab_load(names[i], &lab, &err) < 0) {
			code = cli_fail(&err);
			continue;
		}
		info = calloc(lab.nhosts + 1, sizeof(*info));
		for (size_t k = 0; info && k < lab.nhosts; k++)
			if (lab_host_info(&lab.hosts[k], &info[k], &err) < 0)
				code = cli_fail(&err);
		if (info && json)
			print_status_json_add(doc, &lab, info);
		else if (info)
			print_status(&lab, info);
		if (info && !json) {	/* [kathara] the lab's directory and LAB_* lines */
			char *about = NULL;
			struct lab_error *ignored = NULL;

			if (hostsetup_about_read(lab.name, &about, &ignored) == 0 && about)
				print_about(about);
			lab_err_free(&ignored);
			free(about);
		}
		free(info);
		state_free(&lab);
	}
	lab_names_free(names, count);
	if (json && (r = print_json(doc)) != EXIT_OK)
		code = r;
	return code;
}

const struct cli_command cmd_status = {
	.name = "status",
	.summary = "hosts, PIDs, addresses, namespaces: netlab status [LAB] [--json]",
	.run = run_status,
	.usage = "Usage: netlab status [LAB] [--json]\n\n"
		 "Show every host of every lab (or of LAB): PID, alive or DEAD, address, MAC\n"
		 "of eth0, interfaces and the inodes of its six namespaces; its routes,\n"
		 "forwarding and shaping as the host has them now, marked where they differ\n"
		 "from the plan. Text made inside hosts is printed escaped (\\xHH).\n",
	.column = 15,
	.opts = status_opts,
};

/* --- graph --- */

static const struct cli_opt graph_opts[] = {
	{ "output", 'o', "FILE", "write FILE; .svg, .png or .dot (.gv) by its extension" },
	{ NULL },
};

struct graph_args {
	const char *path, *format;	/* -o FILE, and what its name asks for */
};

static int output_opt(int key, const char *arg, void *ctx)
{
	struct graph_args *a = ctx;

	if (key == 'o' && !(a->format = graph_format_of(arg)))
		return cli_usage_error("-o %s: name the picture .svg, .png or .dot", arg);
	a->path = arg;
	return 0;
}

/* The DOT text into path, or drawn there by Graphviz: 0, or an exit code (printed). */
static int graph_write(const char *dot, const char *format, const char *path)
{
	struct lab_error *err = NULL;

	if (!path) {
		fputs(dot, stdout);
	} else if (!strcmp(format, "dot")) {
		FILE *f = fopen(path, "we");
		int bad_write = !f || fputs(dot, f) < 0;

		if ((f && fclose(f) != 0) || bad_write) {
			fprintf(stderr, "netlab: write %s: %s\n", path, strerror(errno));
			return EXIT_FAIL;
		}
	} else if (graph_render(dot, format, path, &err) < 0) {
		return cli_fail(&err);
	}
	return 0;
}

static int run_graph(const struct cli_command *self, int argc, char **argv)
{
	struct graph_args a = { .format = "dot" };
	struct lab_error *err = NULL;
	struct lab_host_info *info = NULL;
	char *dot = NULL;
	struct lab lab;
	int r, code = EXIT_OK;

	if ((r = cli_options_lab(self, argc, argv, output_opt, &a, &lab)) != CLI_CONTINUE)
		return r;
	info = calloc(lab.nhosts + 1, sizeof(*info));
	if (!info) {
		state_free(&lab);
		lab_err(&err, ENOMEM, "graph");
		return cli_fail(&err);
	}
	for (size_t k = 0; k < lab.nhosts; k++)
		if (lab_host_info(&lab.hosts[k], &info[k], &err) < 0)
			code = cli_fail(&err);	/* drawn from the plan, dashed */
	if (graph_dot(&lab, info, &dot, &err) < 0)
		code = cli_fail(&err);
	else if ((r = graph_write(dot, a.format, a.path)) != 0)
		code = r;
	if (a.path && code == EXIT_OK)
		printf("wrote %s (%s, lab %s: %zu host%s, %zu segment%s)\n", a.path, a.format, lab.name,
		       lab.nhosts, lab.nhosts == 1 ? "" : "s", lab.nsegs, lab.nsegs == 1 ? "" : "s");
	free(dot);
	free(info);
	state_free(&lab);
	return code;
}

const struct cli_command cmd_graph = {
	.name = "graph",
	.summary = "a picture of a lab (SVG, PNG, DOT): netlab graph [LAB] -o lab.svg",
	.run = run_graph,
	.usage = "Usage: netlab graph [LAB] [-o FILE]\n\n"
		 "Draw a lab that is up: hosts (boxes), routers (octagons), segments with\n"
		 "their subnets (ellipses), each interface with its live addresses, shaped\n"
		 "links in red. Graphviz lays it out. Without -o, the DOT text goes to\n"
		 "stdout (for 'dot -Tpdf' or an editor).\n",
	.column = 22,
	.opts = graph_opts,
};

/* --- clean --- */

static void clean_report(const char *what, void *arg)
{
	(*(unsigned *)arg)++;
	printf("  %s\n", what);
}

static int run_clean(const struct cli_command *self, int argc, char **argv)
{
	struct lab_error *err = NULL;
	unsigned removed = 0;
	int r;

	if ((r = cli_options(self, argc, argv, NULL, NULL)) != CLI_CONTINUE)
		return r;
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (lab_clean(clean_report, &removed, &err) < 0)
		return cli_fail(&err);
	if (removed == 0)
		printf("nothing to clean\n");
	else
		printf("cleaned: %u item%s removed\n", removed, removed == 1 ? "" : "s");
	return EXIT_OK;
}

const struct cli_command cmd_clean = {
	.name = "clean",
	.summary = "remove what crashed labs left behind: netlab clean",
	.run = run_clean,
	.usage = "Usage: netlab clean\n\n"
		 "Remove what crashed or killed netlab runs left behind: labs whose netlab up\n"
		 "died, labs whose hosts are all dead, and interfaces marked as netlab's\n"
		 "(alias netlab:LAB:...) that belong to no lab. Labs that are up and working\n"
		 "are left alone, and so is anything netlab did not create.\n",
	.column = 14,
};
