/* netlab's command line: parse, call the lab layer, print. The only file that prints or exits. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"
#include "graph.h"
#include "hostsetup.h"
#include "ipv4.h"
#include "json.h"
#include "lab.h"
#include "lesson.h"
#include "names.h"
#include "output.h"
#include "rootfs.h"
#include "topo.h"
#include "units.h"
#include "util.h"

#include <math.h>

#ifndef NETLAB_VERSION
#define NETLAB_VERSION "0.1.0"
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char *argv0 = "netlab";	/* as invoked: main() sets it */

/* netlab as this user can run it again, for the commands we print: "netlab" when that name on
 * PATH is this very binary (or it was run from PATH), else the path it was invoked by ("./netlab"
 * before `make install`), quoted for the shell where needed. */
static const char *self_command(void)
{
	static char buf[512];
	struct stat self, st;
	const char *path = getenv("PATH");
	bool plain = true;

	if (buf[0])
		return buf;
	if (!strchr(argv0, '/') || stat("/proc/self/exe", &self) < 0)
		return snprintf(buf, sizeof(buf), "netlab"), buf;
	for (const char *p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");
		char cand[PATH_MAX];

		if (n && (size_t)snprintf(cand, sizeof(cand), "%.*s/netlab", (int)n, p) < sizeof(cand) &&
		    stat(cand, &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino)
			return snprintf(buf, sizeof(buf), "netlab"), buf;
		p += n + (p[n] == ':');
	}
	for (const char *c = argv0; *c; c++)
		plain &= !!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:,@%=",
				  *c);
	if (plain)
		snprintf(buf, sizeof(buf), "%s", argv0);
	else if (!strchr(argv0, '\''))
		snprintf(buf, sizeof(buf), "'%s'", argv0);
	else
		snprintf(buf, sizeof(buf), "netlab");
	return buf;
}

static int fail(struct lab_error **err)
{
	char buf[1024];
	int code = EXIT_FAIL;

	/* messages can carry host-made names: escaped like everything printed from a host */
	fprintf(stderr, "netlab: %s\n", out_safe(lab_err_str(*err, buf, sizeof(buf))));
	if (*err && (*err)->signo)
		code = 128 + (*err)->signo;	/* interrupted: the shell's convention */
	lab_err_free(err);
	return code;
}

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("netlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'netlab %s%s--help' for more information.\n", cmd ? cmd : "",
		cmd ? " " : "");
	return EXIT_USAGE;
}

/* getopt's complaint, worded by us (opterr is 0; optstrings start with ':'). */
static int bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_error(cmd, "option '%s' needs a value", arg);
	if (optopt)
		return usage_error(cmd, "unknown option '-%c'", optopt);
	return usage_error(cmd, "unknown option '%s'", arg);
}

static int usage_err_obj(const char *cmd, struct lab_error **err)
{
	int r = usage_error(cmd, "%s", (*err && (*err)->msg) ? (*err)->msg : "invalid argument");
	lab_err_free(err);
	return r;
}

/* ------------------------------------------------------------------------------------------- */

static const char *const ns_word[] = { "user", "mnt", "pid", "net", "uts", "ipc" };

static void explain_line(const char *command, void *arg)
{
	(void)arg;
	printf("  $ %s\n", command);
	fflush(stdout);
}

/* "10.77.1.1/24 fd4e:4c00:1:1::1/64": an interface's planned addresses. */
static const char *iface_addrs(const struct lab *lab, const struct lab_iface *x, char *buf,
			       size_t len)
{
	char a[IPV6_TEXT];
	int n = snprintf(buf, len, "%s/%d", ipv4_fmt(x->addr, a, sizeof(a)),
			 lab->segs[x->seg].subnet.prefix);

	if (!ipv6_is_zero(x->addr6) && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " %s/64", ipv6_fmt(x->addr6, a, sizeof(a)));
	return buf;
}

static const char *segment_nets(const struct lab_segment *g, char *buf, size_t len)
{
	char net[20], net6[IPV6_TEXT + 4];

	snprintf(buf, len, "%s%s%s", ipv4_fmt_net(&g->subnet, net, sizeof(net)), g->has6 ? ", " : "",
		 g->has6 ? ipv6_fmt_net(&g->subnet6, net6, sizeof(net6)) : "");
	return buf;
}

/* " (and LAB-br2..LAB-br8 joined to it)" when a segment's hosts are spread over bridges */
static const char *more_bridges(const struct lab *lab, size_t g, char *buf, size_t len)
{
	size_t n = lab_seg_bridges(lab, g);
	char last[16];

	buf[0] = '\0';
	if (n > 1 && lab_bridge_name(&lab->segs[g], n - 1, "", last, NULL) == 0)
		snprintf(buf, len, " (and %s%s%s joined to it)", n > 2 ? lab->segs[g].bridge : "",
			 n > 2 ? "2.." : "", last);
	return buf;
}

/* The segments of a topology lab, one line each (a plain lab's one bridge is in its title). */
static void print_segments(const struct lab *lab)
{
	char nets[96];

	if (!lab->from_file)
		return;
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t ports = lab_seg_ports(lab, g);
		char more[64];

		printf("  segment %-6s bridge %-15s %s, %zu port%s%s\n", lab->segs[g].name,
		       lab->segs[g].bridge, segment_nets(&lab->segs[g], nets, sizeof(nets)), ports,
		       ports == 1 ? "" : "s", more_bridges(lab, g, more, sizeof(more)));
	}
}

static void print_title(const struct lab *lab, const char *state, const char *tail, bool segments)
{
	unsigned nets = 0, empties = 0, routers = 0;
	char nets_text[96];

	for (size_t i = 0; i < lab->nhosts; i++) {
		lab->hosts[i].networked ? nets++ : empties++;
		routers += lab->hosts[i].router;
	}
	if (lab->from_file)
		printf("lab \"%s\" %s: %u host%s (%u router%s) + %u empty on %zu segment%s%s\n", lab->name,
		       state, nets, nets == 1 ? "" : "s", routers, routers == 1 ? "" : "s", empties,
		       lab->nsegs, lab->nsegs == 1 ? "" : "s", tail);
	else
	{
		char more[64];

		printf("lab \"%s\" %s: %u host%s + %u empty on bridge %s%s (%s)%s\n", lab->name,
		       state, nets, nets == 1 ? "" : "s", empties, lab->segs[0].bridge,
		       more_bridges(lab, 0, more, sizeof(more)),
		       segment_nets(&lab->segs[0], nets_text, sizeof(nets_text)), tail);
	}
	if (segments)
		print_segments(lab);
}

/* Commands to go on with, that work as printed: netlab as it was invoked, and LAB/HOST and
 * `down LAB` when another lab is up (a bare host name is then ambiguous). */
static void print_next(const struct lab *lab)
{
	const char *self = self_command();
	struct lab_error *err = NULL;
	char **names = NULL, first[48], last[48];
	size_t count = 0;
	bool alone, dflt = !strcmp(lab->name, LAB_DEFAULT_NAME);

	if (lab_names(&names, &count, &err) < 0)
		lab_err_free(&err);
	lab_names_free(names, count);
	alone = count <= 1;
	snprintf(first, sizeof(first), "%s%s%s", alone ? "" : lab->name, alone ? "" : "/",
		 lab->nhosts ? lab->hosts[0].name : "h1");
	snprintf(last, sizeof(last), "%s%s%s", alone ? "" : lab->name, alone ? "" : "/",
		 lab->nhosts ? lab->hosts[lab->nhosts - 1].name : "e1");
	printf("Next: %s shell %s | %s exec %s -- ip addr | %s status | %s down%s%s\n", self, first,
	       self, last, self, self, alone && dflt ? "" : " ", alone && dflt ? "" : lab->name);
}

static void print_up(const struct lab *lab, const struct lab_timing *t, bool quiet)
{
	char a[128], tail[32];

	snprintf(tail, sizeof(tail), ", %.0f ms", (double)t->total / 1e6);
	print_title(lab, "up", tail, !quiet);
	if (quiet)
		return;
	printf("  %-6s %-8s %-4s %-34s %s\n", "HOST", "PID", "IF", "ADDRESSES", "NAMESPACES");
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];

		printf("  %-6s %-8d %-4s %-34s uts ipc pid mnt user net%s%s%s\n", h->name, (int)h->pid,
		       h->nifaces ? h->ifaces[0].name : "-",
		       h->nifaces ? iface_addrs(lab, &h->ifaces[0], a, sizeof(a)) : "-",
		       lab->extra_ns & LAB_NS_CGROUP ? " cgroup" : "",
		       lab->extra_ns & LAB_NS_TIME ? " time" : "",
		       h->networked ? (h->router ? " (router)" : "") : " (empty netns)");
		for (size_t k = 1; k < h->nifaces; k++)
			printf("  %-6s %-8s %-4s %s\n", "", "", h->ifaces[k].name,
			       iface_addrs(lab, &h->ifaces[k], a, sizeof(a)));
	}
	print_next(lab);
}

/* --mtu below 1280 on a segment with IPv6 (which needs 1280): a usage error, printed here
 * (EXIT_USAGE); 0 when fine. */
static int mtu_without_ipv6(const struct lab_spec *spec, const struct lab_topo *topo)
{
	if (!spec->mtu || spec->mtu >= LAB_MTU_MIN6)
		return 0;
	if (!topo && !spec->no_ipv6)
		return usage_error("up", "--mtu %u is below %d, which IPv6 needs: raise it, or add "
				   "--no-ipv6", spec->mtu, LAB_MTU_MIN6);
	for (size_t g = 0; topo && g < topo->plan.nsegs; g++)
		if (topo->plan.segs[g].has6 && !topo->plan.segs[g].mtu)
			return usage_error("up", "--mtu %u is below %d, which IPv6 on segment %s needs: "
					   "raise it, or add --no-ipv6", spec->mtu, LAB_MTU_MIN6,
					   topo->plan.segs[g].name);
	return 0;
}

/* [hostsetup] Text a host wrote, line by line, escaped (output.h); tabs kept, NUL bytes shown. */
static void print_host_text(FILE *f, const char *buf, size_t len, const char *indent)
{
	for (size_t i = 0; i < len;) {
		size_t end = i;

		while (end < len && buf[end] != '\n')
			end++;
		fputs(indent, f);
		for (size_t j = i; j < end;) {
			size_t k = j;
			char part[1024];

			while (k < end && buf[k] != '\0' && buf[k] != '\t' && k - j < sizeof(part) - 8)
				k++;
			/* cut where a UTF-8 character starts, so that none is split in two escapes */
			while (k < end && k > j + 1 && ((unsigned char)buf[k] & 0xc0) == 0x80)
				k--;
			memcpy(part, buf + j, k - j);
			part[k - j] = '\0';
			fputs(out_safe(part), f);
			if (k < end && (buf[k] == '\0' || buf[k] == '\t'))
				fputs(buf[k++] ? "\t" : "\\x00", f);
			j = k;
		}
		fputc('\n', f);
		i = end + 1;
	}
}

/* [hostsetup] After the error line of a failing exec: its last lines, and what became of the lab. */
static void print_setup_failure(const struct hostsetup_failure *f, const char *lab)
{
	const char *self = self_command();

	if (!f->failed)
		return;
	if (f->kept && f->timed_out)	/* as the error of a rollback says it */
		fprintf(stderr, "netlab: host %s: exec: command %zu of %zu, '%s', did not exit within "
				"%.3g s: killed, with what it started\n", f->host, f->index, f->count,
			out_safe(f->command), f->timeout_ms / 1000.0);
	else if (f->kept)
		fprintf(stderr, "netlab: host %s: exec: command %zu of %zu, '%s', exited with status "
				"%d\n", f->host, f->index, f->count, out_safe(f->command), f->status);
	if (f->tail[0])
		fprintf(stderr, "netlab: its last lines:\n");
	print_host_text(stderr, f->tail, strlen(f->tail), "  | ");
	if (f->kept)
		fprintf(stderr, "netlab: lab \"%s\" is kept (--keep-on-error): the rest of the exec: "
				"commands did not run; see '%s logs %s/%s', end it with '%s down %s'\n",
			lab, self, lab, f->host, self, lab);
	else
		fprintf(stderr, "netlab: the lab was rolled back (up --keep-on-error keeps it)\n");
}

static int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "subnet", required_argument, NULL, 's' },
		{ "empty", required_argument, NULL, 'e' }, { "quiet", no_argument, NULL, 'q' },
		{ "explain", no_argument, NULL, 'x' },	   { "ns", required_argument, NULL, 'N' },
		{ "file", required_argument, NULL, 'f' },  { "subnet6", required_argument, NULL, '6' },
		{ "no-ipv6", no_argument, NULL, '4' },	   { "help", no_argument, NULL, 'h' },
		{ "mtu", required_argument, NULL, 'U' },
		{ "pids-max", required_argument, NULL, 'P' },
		{ "memory-max", required_argument, NULL, 'M' },
		{ "fs", required_argument, NULL, 'F' },
		{ "exec-timeout", required_argument, NULL, 'T' },	/* [hostsetup] */
		{ "keep-on-error", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	struct hostsetup_opts setup = { 0 };
	struct lab_spec spec = { .name = LAB_DEFAULT_NAME, .hosts = 2, .empty = 1, .setup = &setup };
	struct lab_topo topo;
	const char *file = NULL;
	bool named = false, sized = false;
	int r;
	char *save = NULL, nsbuf[64];
	struct lab_error *err = NULL;
	struct lab_timing t;
	struct lab lab;
	unsigned long v;
	bool quiet = false;
	int c;

	while ((c = getopt_long(argc, argv, ":n:s:e:qxN:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case '6':
			if (ipv6_parse_net(optarg, &spec.subnet6, &err) < 0)
				return usage_err_obj("up", &err);
			spec.has_subnet6 = true;
			break;
		case '4':
			spec.no_ipv6 = true;
			break;
		case 'U':
			if (util_parse_ulong(optarg, LAB_MTU_MIN, LAB_MTU_MAX, &v) < 0)
				return usage_error("up", "--mtu '%s': expected a number of bytes from %d "
							 "to %d", optarg, LAB_MTU_MIN, LAB_MTU_MAX);
			spec.mtu = (unsigned)v;
			break;
		case 'P':
			if (cgroup_parse_pids(optarg, &spec.limits.pids_max) < 0)
				return usage_error("up", "--pids-max '%s': expected a number of tasks from %u "
							 "to %u, or max", optarg, CGROUP_PIDS_MIN,
						   CGROUP_PIDS_LIMIT);
			break;
		case 'M':
			if (cgroup_parse_memory(optarg, &spec.limits.memory_max) < 0)
				return usage_error("up", "--memory-max '%s': expected a size such as 256M "
							 "or 2G (at least 8M), or max", optarg);
			break;
		case 'N':
			/* --ns +cgroup,+time: namespaces beyond the six every host gets */
			snprintf(nsbuf, sizeof(nsbuf), "%s", optarg);
			for (char *w = strtok_r(nsbuf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
				if (*w == '+')
					w++;
				if (!strcmp(w, "cgroup"))
					spec.extra_ns |= LAB_NS_CGROUP;
				else if (!strcmp(w, "time"))
					spec.extra_ns |= LAB_NS_TIME;
				else
					return usage_error("up", "--ns '%s': expected +cgroup, +time or "
								 "+cgroup,+time (the other six are always "
								 "new)", optarg);
			}
			break;
		case 'F':
			/* --fs own|shared: the hosts' root filesystem */
			if (!strcmp(optarg, "own") || !strcmp(optarg, "private"))
				spec.fs = ROOTFS_OWN;
			else if (!strcmp(optarg, "shared"))
				spec.fs = ROOTFS_SHARED;
			else
				return usage_error("up", "--fs '%s': expected own (each host its own "
							 "copy-on-write root, the default) or shared "
							 "(the machine's root, read-only)", optarg);
			break;
		case 'x':
			spec.explain = explain_line;
			break;
		case 'T':	/* [hostsetup] */
			if (util_parse_ulong(optarg, 1, 86400, &v) < 0)
				return usage_error("up", "--exec-timeout '%s': expected a number of seconds "
							 "from 1 to 86400", optarg);
			setup.timeout_ms = (unsigned)v * 1000;
			break;
		case 'K':
			setup.keep_on_error = true;
			break;
		case 'n':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("up", &err);
			spec.name = optarg;
			named = true;
			break;
		case 's':
			if (ipv4_parse_net(optarg, &spec.subnet, &err) < 0)
				return usage_err_obj("up", &err);
			spec.has_subnet = true;
			break;
		case 'e':
			if (util_parse_ulong(optarg, 0, LAB_EMPTY_MAX, &v) < 0)
				return usage_error("up", "--empty '%s': expected a number from 0 to %d",
						   optarg, LAB_EMPTY_MAX);
			spec.empty = (unsigned)v;
			sized = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("Usage: netlab up [N] [options]\n"
			       "       netlab up -f TOPOLOGY.yaml [options]\n\n"
			       "Start a lab of N networked hosts h1..hN (default 2) on one bridge, plus\n"
			       "empty-netns control hosts e1..eM; or the segments, hosts, routers and routes\n"
			       "of a topology file (format in the README; examples in examples/). Each host\n"
			       "is a process tree in new user, mount, PID, network, UTS and IPC namespaces,\n"
			       "with its own root filesystem (copy-on-write), /proc, /sys, /dev, /run and /tmp.\n"
			       "Hosts get an IPv4 address and an IPv6 one from a unique local /64, plus\n"
			       "their link-local address.\n\n"
			       "Options:\n"
			       "  -f, --file FILE     build the topology described in FILE\n"
			       "  -n, --name LAB      lab name (default: the file's name:, else \"%s\"; up to\n"
			       "                      %d letters, digits, _)\n"
			       "  -s, --subnet CIDR   private IPv4 subnet for the hosts (default: the first\n"
			       "                      free /24 in 10.77.0.0/16 that no route uses)\n"
			       "      --subnet6 P/64  unique local IPv6 /64 for the hosts (default:\n"
			       "                      fd4e:4c00:LAB:1::/64, LAB = the lab's number)\n"
			       "      --no-ipv6       IPv4 only: no IPv6 address, not even link-local\n"
			       "      --mtu N         MTU of every link (bridge, veths, inside; default\n"
			       "                      1500; a file's segments may give their own mtu:)\n"
			       "  -e, --empty M       empty-netns control hosts (default 1, at most %d)\n"
			       "  -q, --quiet         print only the summary line\n"
			       "      --ns +cgroup,+time  also new cgroup and/or time namespaces per host\n"
			       "      --pids-max N    at most N tasks per host (default 512; max: none)\n"
			       "      --memory-max SIZE  memory per host, e.g. 256M or 2G (default 512M;\n"
			       "                      max: none); a host's own limit in -f FILE wins\n"
			       "      --fs own|shared  each host's root: its own copy-on-write view of the\n"
			       "                      machine's root (default), or the machine's root\n"
			       "                      read-only, its files owned by nobody (shared)\n"
			       "  -x, --explain       print, as each step runs, the unshare/ip/nsenter/mount\n"
			       "                      command that would do the same by hand\n"
			       "      --exec-timeout SECS  each exec: command of -f FILE may run this long\n"
			       "                      (default %d)\n"
			       "      --keep-on-error  an exec: command of -f FILE that fails keeps the lab\n"
			       "                      (exit 1 all the same) instead of rolling it back\n"
			       "  -h, --help          show this help\n\n"
			       "Examples: netlab up 3 --name week1 --subnet 10.99.0.0/24\n"
			       "          netlab up -f examples/two-subnets.yaml\n",
			       LAB_DEFAULT_NAME, LAB_NAME_MAX, LAB_EMPTY_MAX,
			       HOSTSETUP_EXEC_TIMEOUT_MS / 1000);
			return EXIT_OK;
		default:
			return bad_option("up", c, argv);
		}
	}
	if (optind < argc) {
		if (util_parse_ulong(argv[optind], 1, LAB_HOSTS_MAX, &v) < 0)
			return usage_error("up", "'%s' is not a number of hosts from 1 to %d",
					   argv[optind], LAB_HOSTS_MAX);
		spec.hosts = (unsigned)v;
		optind++;
		sized = true;
	}
	if (optind < argc)
		return usage_error("up", "unexpected argument '%s'", argv[optind]);
	if (file && (sized || spec.has_subnet || spec.has_subnet6))
		return usage_error("up", "-f takes hosts and subnets from the file: drop N, --empty, "
					 "--subnet and --subnet6");
	if (spec.no_ipv6 && spec.has_subnet6)
		return usage_error("up", "--subnet6 and --no-ipv6 contradict each other");
	if (file) {
		r = topo_load(file, &topo, &err);
		if (r < 0 && err && err->errnum)
			return fail(&err);
		if (r < 0)
			return usage_err_obj("up", &err);
		if (!named && topo.plan.name[0])
			spec.name = topo.plan.name;

		if (spec.no_ipv6)
			for (size_t g = 0; g < topo.plan.nsegs; g++)
				topo.plan.segs[g].has6 = false;
		spec.topo = &topo;
		if (hostsetup_check(&spec, &err) < 0) {	/* [hostsetup] files: with --fs shared */
			lab_topo_free(&topo);
			return usage_err_obj("up", &err);
		}
	}
	if ((r = mtu_without_ipv6(&spec, file ? &topo : NULL)) != 0) {
		if (file)
			lab_topo_free(&topo);
		return r;
	}
	if (spec.has_subnet && spec.hosts > ipv4_capacity(spec.subnet.prefix)) {
		char net[20];
		return usage_error("up", "subnet %s holds %u hosts, not %u: use a larger one",
				   ipv4_fmt_net(&spec.subnet, net, sizeof(net)),
				   ipv4_capacity(spec.subnet.prefix), spec.hosts);
	}
	r = lab_up(&spec, &lab, &t, &err);
	if (file)
		lab_topo_free(&topo);
	if (r < 0) {
		r = fail(&err);
		print_setup_failure(&setup.fail, spec.name);	/* [hostsetup] */
		return r;
	}
	print_up(&lab, &t, quiet);
	if (getenv("NETLAB_TIMING"))
		fprintf(stderr, "timing: reserve %.2f ms, spawn+links %.2f ms (waiting for clone3 %.2f, "
				"veth %.2f), ready %.2f ms, mounts %.2f ms, commit %.2f ms, total %.2f ms\n",
			(double)t.reserve / 1e6, (double)t.spawn / 1e6, (double)t.clone / 1e6,
			(double)t.veth / 1e6, (double)t.ready / 1e6,
			(double)t.mounts / 1e6, (double)t.commit / 1e6, (double)t.total / 1e6);
	state_free(&lab);
	if (setup.fail.kept) {	/* [hostsetup] --keep-on-error */
		fflush(stdout);
		print_setup_failure(&setup.fail, spec.name);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "explain", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	char **names = NULL;
	size_t count = 0, downed = 0;
	bool all = false, explain = false;
	uint64_t t0 = util_now_ns();
	int c, r, code = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":axh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'x':
			explain = true;
			break;
		case 'h':
			printf("Usage: netlab down [LAB] | --all\n\n"
			       "Stop a lab: kill its hosts, delete its bridge and veths, unmount its\n"
			       "/run/netns entries and remove its state. Doing it twice is harmless.\n\n"
			       "Options:\n"
			       "  -a, --all       every lab that is up\n"
			       "  -x, --explain   print the by-hand command of each step as it runs\n"
			       "  -h, --help      show this help\n\n"
			       "Example: netlab down week1\n");
			return EXIT_OK;
		default:
			return bad_option("down", c, argv);
		}
	}
	if (all) {
		if (optind < argc)
			return usage_error("down", "--all takes no lab name");
		if (lab_names(&names, &count, &err) < 0)
			return fail(&err);
	} else if (optind >= argc) {
		/* no name: the only lab that is up, as exec and pingall take it */
		if (lab_names(&names, &count, &err) < 0)
			return fail(&err);
		if (count == 0) {
			printf("no lab is up: nothing to do\n");
			return EXIT_OK;
		}
		if (count > 1) {
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
			lab_names_free(names, count);
			return EXIT_FAIL;
		}
	} else {
		const char *name = argv[optind++];

		if (optind < argc)
			return usage_error("down", "unexpected argument '%s'", argv[optind]);
		if (names_check_lab(name, &err) < 0)
			return usage_err_obj("down", &err);
		names = calloc(1, sizeof(*names));
		if (!names || !(names[0] = strdup(name)))
			return EXIT_FAIL;
		count = 1;
	}
	for (size_t i = 0; i < count; i++) {
		r = lab_down(names[i], explain ? explain_line : NULL, NULL, &err);
		if (r < 0) {
			code = fail(&err);
			continue;
		}
		if (r > 0) {
			printf("lab \"%s\" down, %.0f ms\n", names[i], (double)(util_now_ns() - t0) / 1e6);
			downed++;
		} else {
			printf("lab \"%s\" is not up: nothing to do\n", names[i]);
		}
	}
	if (all && count == 0)
		printf("no lab is up: nothing to do\n");
	lab_names_free(names, count);
	return code;
}

static void json_opt(FILE *f, const char *key, const char *value)
{
	fprintf(f, "\"%s\":", key);
	if (value && value[0])
		json_str(f, value);
	else
		fputs("null", f);
}

/* Is every host of a built lab gone? (A lab being built has hosts still to come.) */
static bool lab_all_dead(const struct lab *lab, const struct lab_host_info *info)
{
	if (!lab->complete || !lab->nhosts)
		return false;
	for (size_t i = 0; i < lab->nhosts; i++)
		if (info[i].alive)
			return false;
	return true;
}

/* "; forwarding (router)" as planned; what the kernel says, marked, when it is not. */
static const char *forwarding_text(const struct lab_host *h, const struct lab_host_info *in, char *buf,
				   size_t len)
{
	static const char *const word[] = { "?", "off", "on" };

	if (!lab_forwarding_differs(h, in))
		return h->router ? "; forwarding (router)" : "";
	snprintf(buf, len, "; forwarding IPv4 %s, IPv6 %s: NOT AS PLANNED (%s)", word[in->forwarding4 + 1],
		 word[in->forwarding6 + 1], h->router ? "a router forwards" : "a host does not forward");
	return buf;
}

/* The routes the host has, read from inside it, then the planned ones it lacks. */
static void print_live_routes(const struct lab_host *h, const struct lab_host_info *in)
{
	for (size_t k = 0; k < in->nroutes; k++) {
		const struct lab_live_route *lr = &in->routes[k];

		printf("  %-6s route %s via %s%s%s%s\n", "", lr->to, lr->via, lr->dev[0] ? " dev " : "",
		       out_safe(lr->dev), lr->planned ? "" : "  NOT PLANNED");
	}
	if (in->routes_more)
		printf("  %-6s (more routes than the %d shown)\n", "", LAB_LIVE_ROUTES_MAX);
	for (size_t k = 0; k < h->nroutes && k < LAB_ROUTES_MAX; k++) {
		const struct lab_route *rt = &h->routes[k];
		char d[IPV6_TEXT + 4], v[IPV6_TEXT];

		if (in->route_live[k])
			continue;
		printf("  %-6s route %s via %s  MISSING (planned, not in the kernel)\n", "",
		       rt->v6 ? ipv6_fmt_net(&rt->dst6, d, sizeof(d)) : ipv4_fmt_net(&rt->dst, d, sizeof(d)),
		       rt->v6 ? ipv6_fmt(rt->via6, v, sizeof(v)) : ipv4_fmt(rt->via, v, sizeof(v)));
	}
}

/* ,"live_routes":[...],"forwarding":{...},"forwarding_planned":B,"forwarding_as_planned":B */
static void print_live_json(FILE *f, const struct lab_host *h, const struct lab_host_info *in)
{
	static const char *const word[] = { "null", "false", "true" };

	fputs(",\"live_routes\":[", f);
	for (size_t k = 0; k < in->nroutes; k++) {
		const struct lab_live_route *lr = &in->routes[k];

		fprintf(f, "%s{\"to\":\"%s\",\"via\":\"%s\",\"dev\":", k ? "," : "", lr->to, lr->via);
		json_str(f, lr->dev);
		fprintf(f, ",\"planned\":%s}", lr->planned ? "true" : "false");
	}
	if (in->alive)
		fprintf(f, "],\"forwarding\":{\"ipv4\":%s,\"ipv6\":%s", word[in->forwarding4 + 1],
			word[in->forwarding6 + 1]);
	else
		fputs("],\"forwarding\":null", f);
	fprintf(f, "%s,\"forwarding_planned\":%s,\"forwarding_as_planned\":%s", in->alive ? "}" : "",
		h->router ? "true" : "false", lab_forwarding_differs(h, in) ? "false" : "true");
}

/* A segment's MTU: the one given, else the kernel's default. */
static unsigned seg_mtu(const struct lab_segment *g)
{
	return g->mtu ? g->mtu : LAB_MTU_DEFAULT;
}

/* "id_base": root of the host outside; "limits": its cgroups' (null: none; a null limit: "max"). */
static void print_limits_json(FILE *f, const struct lab *lab, const struct lab_host *h)
{
	struct cgroup_usage u;

	fprintf(f, "\"id_base\":%u,\"limits\":", h->id_base ? h->id_base : NS_ID_BASE);
	lab_host_limits(lab, h, &u);
	if (!u.found) {
		fputs("null,", f);
		return;
	}
	fputc('{', f);
	if (u.has_pids) {
		if (u.pids_max == CGROUP_UNLIMITED)
			fputs("\"pids_max\":null,", f);
		else
			fprintf(f, "\"pids_max\":%llu,", (unsigned long long)u.pids_max);
		fprintf(f, "\"pids\":%llu%s", (unsigned long long)u.pids, u.has_memory ? "," : "");
	}
	if (u.has_memory) {
		if (u.memory_max == CGROUP_UNLIMITED)
			fputs("\"memory_max\":null,", f);
		else
			fprintf(f, "\"memory_max\":%llu,", (unsigned long long)u.memory_max);
		fprintf(f, "\"memory\":%llu", (unsigned long long)u.memory);
	}
	fputs("},", f);
}

/* "ids 1000065536+65536, pids 3/512, memory 1.2M/512M" */
static void print_limits_text(const struct lab *lab, const struct lab_host *h)
{
	struct cgroup_usage u;
	char a[24], b[24];

	printf("  %-6s ids %u+%u", "", h->id_base ? h->id_base : NS_ID_BASE, NS_ID_COUNT);
	lab_host_limits(lab, h, &u);
	if (u.has_pids) {
		cgroup_fmt(u.pids_max, false, b, sizeof(b));
		printf(", pids %llu/%s", (unsigned long long)u.pids, b);
	}
	if (u.has_memory) {
		cgroup_fmt(u.memory, true, a, sizeof(a));
		cgroup_fmt(u.memory_max, true, b, sizeof(b));
		printf(", memory %s/%s", a, b);
	}
	printf("%s\n", u.found ? "" : ", no limits (no cgroup)");
}

static void print_status_json(FILE *f, const struct lab *lab, const struct lab_host_info *info)
{
	char net[20], a[IPV6_TEXT], net6[IPV6_TEXT + 4];

	fputs("{\"name\":", f);
	json_str(f, lab->name);
	fprintf(f, ",\"state\":\"%s\",\"dead\":%s,\"from_file\":%s,\"segments\":[",
		lab->complete ? "up" : "building", lab_all_dead(lab, info) ? "true" : "false",
		lab->from_file ? "true" : "false");
	for (size_t g = 0; g < lab->nsegs; g++) {
		const struct lab_segment *seg = &lab->segs[g];

		fprintf(f, "%s{\"name\":\"%s\",\"bridge\":\"%s\",\"subnet\":\"%s\",", g ? "," : "",
			seg->name, seg->bridge, ipv4_fmt_net(&seg->subnet, net, sizeof(net)));
		json_opt(f, "subnet6", seg->has6 ? ipv6_fmt_net(&seg->subnet6, net6, sizeof(net6)) : NULL);
		fprintf(f, ",\"mtu\":%u}", seg_mtu(seg));
	}
	fputs("],\"hosts\":[", f);
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		const struct lab_host_info *in = &info[i];

		fprintf(f, "%s{\"name\":\"%s\",\"kind\":\"%s\",\"pid\":%d,\"alive\":%s,", i ? "," : "",
			h->name, !h->networked ? "empty" : h->router ? "router" : "host", (int)h->pid,
			in->alive ? "true" : "false");
		print_limits_json(f, lab, h);
		fprintf(f, "\"netns\":\"%s/%s-%s\",\"root\":\"%s\",\"interfaces\":[", LAB_NETNS_DIR,
			lab->name, h->name, lab->fs == ROOTFS_SHARED ? "shared" : "own");
		for (size_t k = 0; k < h->nifaces; k++) {
			const struct lab_iface *x = &h->ifaces[k];
			const struct lab_if_info *fi = lab_if_info_find(in, x->name);
			char *save = NULL, addrs[sizeof(fi->addrs)];
			bool first = true;

			fprintf(f, "%s{\"name\":\"%s\",\"segment\":\"%s\",\"veth\":\"%s\",\"address\":\"%s/%d\",",
				k ? "," : "", x->name, lab->segs[x->seg].name, x->veth,
				ipv4_fmt(x->addr, a, sizeof(a)), lab->segs[x->seg].subnet.prefix);
			json_opt(f, "address6", ipv6_is_zero(x->addr6) ? NULL : ipv6_fmt(x->addr6, a, sizeof(a)));
			fputc(',', f);
			json_opt(f, "mac", fi ? fi->mac : NULL);
			fprintf(f, ",\"up\":%s,\"addresses\":[", fi && fi->up ? "true" : "false");
			snprintf(addrs, sizeof(addrs), "%s", fi ? fi->addrs : "");
			for (char *t = strtok_r(addrs, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
				fprintf(f, "%s", first ? "" : ",");
				json_str(f, t);
				first = false;
			}
			fputs("],", f);
			json_opt(f, "shaping", fi ? fi->shaping : NULL);
			if (fi && fi->rate_bps)
				fprintf(f, ",\"rate_bps\":%llu", (unsigned long long)fi->rate_bps);
			else
				fputs(",\"rate_bps\":null", f);
			if (fi)	/* as found inside the host */
				fprintf(f, ",\"mtu\":%u}", fi->mtu);
			else
				fputs(",\"mtu\":null}", f);
		}
		fputs("],\"routes\":[", f);
		for (size_t k = 0; k < h->nroutes; k++) {
			const struct lab_route *rt = &h->routes[k];
			char d[IPV6_TEXT + 4], v[IPV6_TEXT];

			fprintf(f, "%s{\"to\":\"%s\",\"via\":\"%s\",\"live\":%s}", k ? "," : "",
				rt->v6 ? ipv6_fmt_net(&rt->dst6, d, sizeof(d)) : ipv4_fmt_net(&rt->dst, d, sizeof(d)),
				rt->v6 ? ipv6_fmt(rt->via6, v, sizeof(v)) : ipv4_fmt(rt->via, v, sizeof(v)),
				k < LAB_ROUTES_MAX && in->route_live[k] ? "true" : "false");
		}
		fputc(']', f);
		print_live_json(f, h, in);
		fputs(",\"namespaces\":{", f);
		for (int k = 0; k < NS_KINDS_ALL; k++)
			fprintf(f, "%s\"%s\":%lu", k ? "," : "", ns_kinds[k].name, in->ns[k]);
		fputs("}}", f);
	}
	fputs("]}", f);
}

static void print_status_text(const struct lab *lab, const struct lab_host_info *info)
{
	char tail[32];

	char dead[160];

	snprintf(tail, sizeof(tail), ", %zu hosts", lab->nhosts);
	/* every host gone (killed, or the machine's PIDs reused after a reboot): the lab is only
	 * state and links now, and says how to remove it */
	snprintf(dead, sizeof(dead), "dead (no host is running: 'netlab down %s' or 'netlab clean' "
		 "removes what is left)", lab->name);
	print_title(lab, !lab->complete ? "being built (or its netlab up died: netlab clean)"
			 : lab_all_dead(lab, info) ? dead : "up", tail, true);
	printf("  MTU");
	for (size_t g = 0; g < lab->nsegs; g++)
		printf("%s %s %u", g ? "," : "", lab->segs[g].name, seg_mtu(&lab->segs[g]));
	putchar('\n');
	printf("  %-6s %-8s %-6s %-4s %-18s %s\n", "HOST", "PID", "STATE", "IF", "MAC", "ADDRESSES");
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		const struct lab_host_info *in = &info[i];

		for (size_t k = 0; k < (h->nifaces ? h->nifaces : 1); k++) {
			const struct lab_if_info *fi = h->nifaces ? lab_if_info_find(in, h->ifaces[k].name) : NULL;

			if (k == 0)
				printf("  %-6s %-8d %-6s ", h->name, (int)h->pid,
				       in->alive ? "alive" : "DEAD");
			else
				printf("  %-6s %-8s %-6s ", "", "", "");
			printf("%-4s %-18s %s%s\n", h->nifaces ? h->ifaces[k].name : "-",
			       fi && fi->mac[0] ? out_safe(fi->mac) : "-",
			       !in->alive ? "-" : fi ? (fi->addrs[0] ? out_safe(fi->addrs) : "no address")
				       : h->nifaces ? "MISSING" : "(empty netns: lo only)",
			       fi && !fi->up ? " (down)" : "");
			if (fi && fi->shaping[0])
				printf("  %-6s %-8s %-6s %-4s shaping: %s\n", "", "", "", "", out_safe(fi->shaping));
			if (fi && fi->mtu != seg_mtu(&lab->segs[h->ifaces[k].seg]))
				printf("  %-6s %-8s %-6s %-4s MTU %u, not the segment's %u\n", "", "", "", "",
				       fi->mtu, seg_mtu(&lab->segs[h->ifaces[k].seg]));
		}
		if (in->alive) {
			char fwd[160];

			printf("  %-6s links: %s%s; %s\n", "", out_safe(in->links),
			       forwarding_text(h, in, fwd, sizeof(fwd)), rootfs_mode_text(lab->fs));
			print_limits_text(lab, h);
			print_live_routes(h, in);
			printf("  %-6s ns", "");
			for (int k = 0; k < NS_KINDS; k++)
				printf(" %s:%lu", ns_word[k], in->ns[k]);
			for (int k = NS_KINDS; k < NS_KINDS_ALL; k++)
				if (lab->extra_ns & ns_kinds[k].flag)
					printf(" %s:%lu", ns_kinds[k].name, in->ns[k]);
			putchar('\n');
		}
	}
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	char **names = NULL;
	size_t count = 0;
	bool json = false;
	int c, code = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: netlab status [LAB] [--json]\n\n"
			       "Show every host of every lab (or of LAB): PID, alive or DEAD, address, MAC\n"
			       "of eth0, interfaces and the inodes of its six namespaces; its routes,\n"
			       "forwarding and shaping as the host has them now, marked where they differ\n"
			       "from the plan. Text made inside hosts is printed escaped (\\xHH).\n\n"
			       "Options:\n"
			       "  -j, --json   machine-readable output (schema in the README)\n"
			       "  -h, --help   show this help\n");
			return EXIT_OK;
		default:
			return bad_option("status", c, argv);
		}
	}
	if (optind < argc) {
		if (names_check_lab(argv[optind], &err) < 0)
			return usage_err_obj("status", &err);
		names = calloc(1, sizeof(*names));
		if (!names || !(names[0] = strdup(argv[optind])))
			return EXIT_FAIL;
		count = 1;
		if (++optind < argc)
			return usage_error("status", "unexpected argument '%s'", argv[optind]);
	} else if (lab_names(&names, &count, &err) < 0) {
		return fail(&err);
	}
	if (json)
		fputs("{\"version\":2,\"labs\":[", stdout);
	else if (count == 0)
		printf("no lab is up (start one with 'netlab up')\n");
	for (size_t i = 0, shown = 0; i < count; i++) {
		struct lab lab;
		struct lab_host_info *info;

		if (lab_load(names[i], &lab, &err) < 0) {
			code = fail(&err);
			continue;
		}
		info = calloc(lab.nhosts + 1, sizeof(*info));
		for (size_t k = 0; info && k < lab.nhosts; k++)
			if (lab_host_info(&lab.hosts[k], &info[k], &err) < 0)
				code = fail(&err);
		if (info && json) {
			fputs(shown ? "," : "", stdout);
			print_status_json(stdout, &lab, info);
		} else if (info) {
			print_status_text(&lab, info);
		}
		shown++;
		free(info);
		state_free(&lab);
	}
	if (json)
		fputs("]}\n", stdout);
	lab_names_free(names, count);
	return code;
}

/* The variables of -e/--env, for the host's command (see lab_exec): NAME=VALUE, or NAME alone
 * for our own value of NAME (left out if we have none), as docker run -e does. */
struct env_opts {
	size_t n;
	const char *v[65];
};

static int env_opt(const char *cmd, struct env_opts *e, const char *arg)
{
	size_t k = strcspn(arg, "=");

	if (k == 0 || (!isalpha((unsigned char)arg[0]) && arg[0] != '_'))
		return usage_error(cmd, "-e '%s': expected NAME=VALUE (NAME of letters, digits and '_')", arg);
	for (size_t i = 1; i < k; i++)
		if (!isalnum((unsigned char)arg[i]) && arg[i] != '_')
			return usage_error(cmd, "-e '%s': expected NAME=VALUE (NAME of letters, digits and '_')",
					   arg);
	if (e->n + 1 >= sizeof(e->v) / sizeof(e->v[0]))
		return usage_error(cmd, "-e: at most %zu variables", sizeof(e->v) / sizeof(e->v[0]) - 1);
	if (!arg[k]) {
		const char *mine = getenv(arg);

		if (!mine)
			return 0;
		arg = mine - k - 1;	/* getenv points just after "NAME=" in our environment */
	}
	e->v[e->n++] = arg;
	e->v[e->n] = NULL;
	return 0;
}

/* " WORD", quoted for a POSIX shell when it needs it, so that a printed command can be pasted. */
static void print_word(const char *w)
{
	if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-") ==
			  strlen(w)) {
		printf(" %s", w);
		return;
	}
	fputs(" '", stdout);
	for (; *w; w++)
		fputs(*w == '\'' ? "'\\''" : (char[]){ *w, 0 }, stdout);
	fputs("'", stdout);
}

static int run_in_host(const char *cmd, const char *host_arg, const char *lab_name,
		       char *const argv[], const struct env_opts *envs, bool explain)
{
	struct lab_error *err = NULL;
	struct lab lab;
	size_t idx;
	int status = EXIT_FAIL, r;

	r = lab_resolve_host(host_arg, lab_name, &lab, &idx, &err);
	if (r == -EINVAL)
		return usage_err_obj(cmd, &err);
	if (r < 0)
		return fail(&err);
	if (explain && argv) {
		/* what a person can paste: the same namespaces, the host's clean environment and a
		 * session of its own (netlab adds a new pty when a terminal is involved) */
		printf("  $ nsenter --target %d --all --setuid 0 --setgid 0 --wd=/tmp -- env -i "
		       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp "
		       "USER=root LOGNAME=root NETLAB_LAB=%s NETLAB_HOST=%s", (int)lab.hosts[idx].pid,
		       lab.name, lab.hosts[idx].name);
		for (size_t i = 0; i < envs->n; i++)
			print_word(envs->v[i]);
		printf(" setsid -w");
		for (char *const *a = argv; *a; a++)
			print_word(*a);
		printf("\n");
		fflush(stdout);
	}
	r = lab_exec(&lab, &lab.hosts[idx], argv, envs->v,
			 &status, &err);
	state_free(&lab);
	if (r < 0) {
		fail(&err);
		return status == EXIT_FAIL ? EXIT_FAIL : status;
	}
	return status;
}

static int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' }, { "explain", no_argument, NULL, 'x' },
		{ "env", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	struct env_opts envs = { 0 };
	const char *lab = NULL, *host = NULL;
	bool explain = false;
	int c;

	/* options may come before or after HOST: `exec h1 --explain -- true`; the command starts at
	 * `--` or at the first word after HOST that is not an option */
	for (;;) {
		while ((c = getopt_long(argc, argv, "+:l:xe:h", opts, NULL)) != -1) {
			switch (c) {
			case 'x':
				explain = true;
				break;
			case 'l':
				if (names_check_lab(optarg, &err) < 0)
					return usage_err_obj("exec", &err);
				lab = optarg;
				break;
			case 'e':
				if (env_opt("exec", &envs, optarg) != 0)
					return EXIT_USAGE;
				break;
			case 'h':
				printf("Usage: netlab exec [-l LAB] [-e NAME=VALUE]... [--explain] HOST -- COMMAND [ARG...]\n\n"
				       "Run COMMAND inside all six namespaces of HOST (h1, or LAB/h1 when several\n"
				       "labs are up), as root of the host, in its /tmp, in a session of its own\n"
				       "(a new pseudo-terminal when stdin, stdout or stderr is a terminal), with\n"
				       "the host's environment (PATH, HOME=/tmp, TERM, LANG...). Its exit status\n"
				       "is netlab's (128+N if killed by signal N; 127 if not found).\n\n"
				       "Options (before or after HOST, before --):\n"
				       "  -l, --lab LAB          the lab HOST belongs to\n"
				       "  -e, --env NAME=VALUE   set NAME in the command's environment (NAME alone:\n"
				       "                         pass this one of yours); repeatable\n"
				       "  -x, --explain          first print the equivalent nsenter command\n"
				       "  -h, --help             show this help\n\n"
				       "Example: netlab exec h1 -- ping -c1 h2\n");
				return EXIT_OK;
			default:
				return bad_option("exec", c, argv);
			}
		}
		if (host || optind >= argc || !strcmp(argv[optind - 1], "--"))
			break;
		host = argv[optind++];
	}
	if (!host && optind < argc && !(optind > 0 && !strcmp(argv[optind - 1], "--")))
		host = argv[optind++];
	if (!host)
		return usage_error("exec", "missing HOST");
	if (optind >= argc)
		return usage_error("exec", "missing COMMAND after '%s --'", host);
	return run_in_host("exec", host, lab, argv + optind, &envs, explain);
}

static int cmd_shell(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' }, { "env", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	struct env_opts envs = { 0 };
	const char *lab = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":l:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("shell", &err);
			lab = optarg;
			break;
		case 'e':
			if (env_opt("shell", &envs, optarg) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
			printf("Usage: netlab shell [-l LAB] [-e NAME=VALUE]... HOST\n\n"
			       "Open an interactive shell inside HOST, on a pseudo-terminal of its own: the\n"
			       "host's root's shell (its /etc/passwd: /bin/bash; not your $SHELL). The\n"
			       "prompt shows the host's name (root@h1). Leave it with 'exit'; the host\n"
			       "keeps running; its exit status is netlab's.\n\n"
			       "Options:\n"
			       "  -l, --lab LAB          the lab HOST belongs to\n"
			       "  -e, --env NAME=VALUE   set NAME in the shell's environment; repeatable\n"
			       "  -h, --help             show this help\n\n"
			       "Example: netlab shell h1\n");
			return EXIT_OK;
		default:
			return bad_option("shell", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("shell", "missing HOST");
	if (optind + 1 < argc)
		return usage_error("shell", "unexpected argument '%s' (to run a command use netlab exec)",
				   argv[optind + 1]);
	return run_in_host("shell", argv[optind], lab, NULL, &envs, false);
}

static void clean_report(const char *what, void *arg)
{
	(*(unsigned *)arg)++;
	printf("  %s\n", what);
}


static int cmd_link(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },   { "rate", required_argument, NULL, 'r' },
		{ "delay", required_argument, NULL, 'd' }, { "jitter", required_argument, NULL, 'j' },
		{ "loss", required_argument, NULL, 'p' },  { "clear", no_argument, NULL, 'c' },
		{ "iface", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	struct lab_shape shape = { 0 };
	const char *labname = NULL, *ifname = "eth0";
	size_t iface = 0;
	bool netem = false;
	struct lab lab;
	size_t idx;
	int c, r;

	while ((c = getopt_long(argc, argv, ":l:r:d:j:p:ci:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'l':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("link", &err);
			labname = optarg;
			break;
		case 'r':
			if (units_rate(optarg, &shape.rate_bps) < 0)
				return usage_error("link", "--rate '%s': expected a rate such as 10mbit, "
							   "500kbit or 1gbit (8kbit to 40gbit)", optarg);
			break;
		case 'd':
		case 'j':
			if (units_time_us(optarg, c == 'd' ? &shape.delay_us : &shape.jitter_us) < 0)
				return usage_error("link", "--%s '%s': expected a time such as 10ms, 500us "
							   "or 1s", c == 'd' ? "delay" : "jitter", optarg);
			netem = true;
			break;
		case 'p':
			if (units_percent(optarg, &shape.loss_percent) < 0)
				return usage_error("link", "--loss '%s': expected a percentage such as 1%% "
							   "(0 to 100)", optarg);
			netem = true;
			break;
		case 'c':
			shape.clear = true;
			break;
		case 'h':
			printf("Usage: netlab link HOST [--iface ethK] [--rate R] [--delay D] [--jitter J] [--loss P] | --clear\n\n"
			       "Shape both directions of HOST's link (eth0, or --iface, inside it and its\n"
			       "veth on the bridge): a rate with the tbf qdisc, delay/jitter/loss with netem.\n"
			       "Applying again replaces the shaping; --clear removes it. Shown in\n"
			       "'netlab status'.\n\n"
			       "Options:\n"
			       "  -i, --iface IF   which interface of HOST (default eth0)\n"
			       "  -r, --rate R     e.g. 10mbit, 500kbit, 1gbit\n"
			       "  -d, --delay D    e.g. 20ms (needs netem)\n"
			       "  -j, --jitter J   e.g. 5ms (needs netem)\n"
			       "  -p, --loss P     e.g. 1%% (needs netem)\n"
			       "  -c, --clear      remove the shaping\n"
			       "  -l, --lab LAB    the lab HOST belongs to\n\n"
			       "Example: netlab link h1 --rate 10mbit\n");
			return EXIT_OK;
		default:
			return bad_option("link", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("link", "missing HOST");
	if (optind + 1 < argc)
		return usage_error("link", "unexpected argument '%s'", argv[optind + 1]);
	if (shape.clear && (shape.rate_bps || netem))
		return usage_error("link", "--clear takes no other option");
	if (!shape.clear && !shape.rate_bps && !netem)
		return usage_error("link", "say what to do: --rate, --delay, --jitter, --loss or --clear");
	if (shape.rate_bps && netem)
		return usage_error("link", "--rate together with --delay/--jitter/--loss is not supported "
					   "yet: apply one of them");
	r = lab_resolve_host(argv[optind], labname, &lab, &idx, &err);
	if (r == -EINVAL)
		return usage_err_obj("link", &err);
	if (r < 0)
		return fail(&err);
	for (iface = 0; iface < lab.hosts[idx].nifaces; iface++)
		if (!strcmp(lab.hosts[idx].ifaces[iface].name, ifname))
			break;
	if (lab.hosts[idx].networked && iface == lab.hosts[idx].nifaces) {
		char have[32] = "only eth0";

		if (lab.hosts[idx].nifaces > 1)
			snprintf(have, sizeof(have), "eth0..eth%zu", lab.hosts[idx].nifaces - 1);
		r = usage_error("link", "host %s has no interface %s (it has %s)", lab.hosts[idx].name,
				ifname, have);
		state_free(&lab);
		return r;
	}
	r = lab_shape(&lab, &lab.hosts[idx], iface, &shape, &err);
	if (r == 0) {
		const struct lab_iface *x = &lab.hosts[idx].ifaces[iface];
		char rate[32];

		if (shape.clear)
			printf("%s: shaping removed from %s\n", lab.hosts[idx].name, x->name);
		else if (shape.rate_bps)
			printf("%s: rate %s in both directions (%s and %s)\n", lab.hosts[idx].name,
			       units_rate_fmt(shape.rate_bps, rate, sizeof(rate)), x->name, x->veth);
		else
			printf("%s: delay %u us, jitter %u us, loss %g%% in both directions (%s and %s)\n",
			       lab.hosts[idx].name, shape.delay_us, shape.jitter_us, shape.loss_percent,
			       x->name, x->veth);
	}
	state_free(&lab);
	return r < 0 ? fail(&err) : EXIT_OK;
}


static int cmd_clean(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct lab_error *err = NULL;
	unsigned removed = 0;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("Usage: netlab clean\n\n"
			       "Remove what crashed or killed netlab runs left behind: labs whose netlab up\n"
			       "died, labs whose hosts are all dead, and interfaces marked as netlab's\n"
			       "(alias netlab:LAB:...) that belong to no lab. Labs that are up and working\n"
			       "are left alone, and so is anything netlab did not create.\n");
			return EXIT_OK;
		}
		return bad_option("clean", c, argv);
	}
	if (optind < argc)
		return usage_error("clean", "unexpected argument '%s'", argv[optind]);
	if (lab_clean(clean_report, &removed, &err) < 0)
		return fail(&err);
	if (removed == 0)
		printf("nothing to clean\n");
	else
		printf("cleaned: %u item%s removed\n", removed, removed == 1 ? "" : "s");
	return EXIT_OK;
}


/* Colour only for a terminal, and never when NO_COLOR is set (no-color.org). */
static bool colour(void)
{
	static int on = -1;

	if (on < 0)
		on = isatty(1) && !getenv("NO_COLOR");
	return on;
}
#define GREEN(s) (colour() ? "\033[32m" s "\033[0m" : s)
#define RED(s) (colour() ? "\033[1;31m" s "\033[0m" : s)

/* Optional [LAB] argument: returns the lab name or NULL, or sets *bad on a usage error. */
static const char *lab_arg(const char *cmd, int argc, char **argv, int *bad)
{
	struct lab_error *err = NULL;

	*bad = 0;
	if (optind >= argc)
		return NULL;
	if (optind + 1 < argc) {
		*bad = usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
		return NULL;
	}
	if (names_check_lab(argv[optind], &err) < 0) {
		*bad = usage_err_obj(cmd, &err);
		return NULL;
	}
	return argv[optind];
}

static int parse_secs(const char *cmd, const char *s, int *out_ms)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !(v > 0) || v > 60)
		return usage_error(cmd, "-W '%s': expected seconds, more than 0 and at most 60", s);
	*out_ms = (int)ceil(v * 1000);
	return 0;
}

/* A full mesh larger than the kernel's (machine-wide) neighbour table cannot all answer. */
static void neigh_note(const struct pingall_result *pr)
{
	if (!pr->neigh_limit || pr->neigh_needed <= pr->neigh_limit)
		return;
	fprintf(stderr,
		"netlab: note: all pairs of this lab need %u ARP entries at once, more than the kernel's "
		"limit net.ipv4.neigh.default.gc_thresh3=%u (one table for all namespaces); pairs beyond "
		"it may fail. To raise it: sysctl -w net.ipv4.neigh.default.gc_thresh3=%u "
		"net.ipv4.neigh.default.gc_thresh2=%u\n",
		pr->neigh_needed, pr->neigh_limit, pr->neigh_needed * 2, pr->neigh_needed);
}

static int cmd_pingall(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'W' }, { "help", no_argument, NULL, 'h' },
		{ "ipv6", no_argument, NULL, '6' }, { "ipv4", no_argument, NULL, '4' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	struct pingall_result pr;
	struct lab lab;
	unsigned long count = 1;
	int timeout_ms = 1000, c, bad;
	bool json = false, v6 = false;
	const char *name;

	while ((c = getopt_long(argc, argv, ":jc:W:h64", opts, NULL)) != -1) {
		switch (c) {
		case '6':
		case '4':
			v6 = c == '6';
			break;
		case 'j':
			json = true;
			break;
		case 'c':
			if (util_parse_ulong(optarg, 1, 100, &count) < 0)
				return usage_error("pingall", "-c '%s': expected a count from 1 to 100", optarg);
			break;
		case 'W':
			if ((bad = parse_secs("pingall", optarg, &timeout_ms)))
				return bad;
			break;
		case 'h':
			printf("Usage: netlab pingall [LAB] [-4|-6] [-c COUNT] [-W SECS] [--json]\n\n"
			       "Who reaches whom: ICMP echo from inside every host to every other host's\n"
			       "first address (eth0), all pairs at once. Hosts sharing a segment should\n"
			       "answer, others when the topology's routes and routers lead there and back;\n"
			       "empty hosts should reach nobody. Exit 0 when reality matches that\n"
			       "expectation, 1 otherwise.\n\n"
			       "Options:\n"
			       "  -4, --ipv4          ICMP to the IPv4 addresses (the default)\n"
			       "  -6, --ipv6          ICMPv6 to the IPv6 addresses\n"
			       "  -c, --count COUNT   echo requests per pair (default 1); one reply is enough\n"
			       "  -W, --timeout SECS  how long to wait for replies (default 1)\n"
			       "  -j, --json          machine-readable output\n"
			       "  -h, --help          show this help\n\n"
			       "Example: netlab pingall -W 0.5\n");
			return EXIT_OK;
		default:
			return bad_option("pingall", c, argv);
		}
	}
	name = lab_arg("pingall", argc, argv, &bad);
	if (bad)
		return bad;
	if (lab_load_default(name, &lab, &err) < 0)
		return fail(&err);
	if (v6 && !lesson_has_ipv6(&lab)) {
		state_free(&lab);
		return usage_error("pingall", "lab \"%s\" has no IPv6 (it came up with --no-ipv6 or "
					      "ipv6: false): ping it with -4", name ? name : lab.name);
	}
	if (lesson_pingall(&lab, v6, (unsigned)count, timeout_ms, &pr, &err) < 0) {
		state_free(&lab);
		return fail(&err);
	}
	neigh_note(&pr);
	if (json) {
		printf("{\"version\":1,\"lab\":\"%s\",\"family\":\"ipv%c\",\"pairs\":%u,\"reachable\":%u,\"expected_reachable\":%u,"
		       "\"mismatches\":%u,\"seconds\":%.3f,\"matrix\":[", lab.name, v6 ? '6' : '4', pr.pairs, pr.reachable,
		       pr.expected_reachable, pr.mismatches, pr.seconds);
		for (size_t s = 0, first = 1; s < pr.n; s++)
			for (size_t d = 0; d < pr.n; d++) {
				if (s == d)
					continue;
				printf("%s{\"from\":\"%s\",\"to\":\"%s\",\"expected\":%s,\"reachable\":%s,"
				       "\"replies\":%u,\"unconfirmed\":%u}", first ? "" : ",", lab.hosts[s].name,
				       lab.hosts[d].name, pr.expected[s * pr.n + d] ? "true" : "false",
				       pr.replies[s * pr.n + d] ? "true" : "false", pr.replies[s * pr.n + d],
				       pr.unconfirmed[s * pr.n + d]);
				first = 0;
			}
		printf("]}\n");
	} else {
		printf("pingall lab \"%s\"%s: %u/%u pairs reachable (%u expected), %s, %.3f s\n", lab.name,
		       v6 ? " over IPv6" : "", pr.reachable, pr.pairs, pr.expected_reachable,
		       pr.mismatches ? "NOT as expected" : "as expected", pr.seconds);
		if (pr.n <= 16) {
			printf("  %-6s", "from\\to");
			for (size_t d = 0; d < pr.n; d++)
				printf(" %-5s", lab.hosts[d].name);
			putchar('\n');
			for (size_t s = 0; s < pr.n; s++) {
				printf("  %-7s", lab.hosts[s].name);
				for (size_t d = 0; d < pr.n; d++) {
					bool got = pr.replies[s * pr.n + d], exp = pr.expected[s * pr.n + d];
					printf(" %s", s == d ? "-    " : got == exp ? (got ? GREEN("ok   ") : "x    ")
							       : got ? RED("YES! ") : RED("NO!  "));
				}
				putchar('\n');
			}
			printf("  ok: reachable, x: unreachable as expected (%s), NO!/YES!: not as "
			       "expected\n", lab.from_file ? "no route, or an empty host" : "empty host");
		}
		/* replies that came from somewhere else than the destination: not counted, named */
		for (size_t s = 0; s < pr.n; s++)
			for (size_t d = 0; d < pr.n; d++)
				if (s != d && !pr.replies[s * pr.n + d] && pr.unconfirmed[s * pr.n + d])
					printf("  %s -> %s: a reply came, but the request never reached %s "
					       "(answered inside %s, or by another host): not counted\n",
					       lab.hosts[s].name, lab.hosts[d].name, lab.hosts[d].name,
					       lab.hosts[s].name);
		for (size_t s = 0; pr.n > 16 && s < pr.n; s++)
			for (size_t d = 0; d < pr.n; d++)
				if (s != d && (pr.replies[s * pr.n + d] > 0) != pr.expected[s * pr.n + d])
					printf("  %s -> %s: %s\n", lab.hosts[s].name, lab.hosts[d].name,
					       pr.expected[s * pr.n + d] ? "unreachable, expected reachable"
									 : "reachable, expected unreachable");
	}
	c = pr.mismatches ? EXIT_FAIL : EXIT_OK;
	lesson_pingall_free(&pr);
	state_free(&lab);
	return c;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "timeout", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	struct check *checks = NULL;
	size_t n = 0, passed = 0;
	struct lab lab;
	int timeout_ms = 1000, c, bad;
	bool json = false;
	const char *name;

	while ((c = getopt_long(argc, argv, ":jW:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'W':
			if ((bad = parse_secs("verify", optarg, &timeout_ms)))
				return bad;
			break;
		case 'h':
			printf("Usage: netlab verify [LAB] [-W SECS] [--json]\n\n"
			       "Check every isolation claim of every host: running; each of its six\n"
			       "namespaces differs from the machine's and from every other host's; lo and\n"
			       "its interfaces up with their IPv4, IPv6 and link-local addresses (empty\n"
			       "hosts: only lo); every networked host reaches exactly the hosts it should\n"
			       "(all others on one bridge; in a topology, what its routes and routers lead\n"
			       "to), over IPv4 and IPv6; empty hosts reach nobody. One PASS/FAIL line per\n"
			       "check with its evidence, then 'N passed, M failed'. Exit 0 only if all pass.\n\n"
			       "Options:\n"
			       "  -W, --timeout SECS  how long to wait for ICMP replies (default 1)\n"
			       "  -j, --json          machine-readable output\n"
			       "  -h, --help          show this help\n");
			return EXIT_OK;
		default:
			return bad_option("verify", c, argv);
		}
	}
	name = lab_arg("verify", argc, argv, &bad);
	if (bad)
		return bad;
	if (lab_load_default(name, &lab, &err) < 0)
		return fail(&err);
	if (lesson_verify(&lab, timeout_ms, &checks, &n, &err) < 0) {
		state_free(&lab);
		return fail(&err);
	}
	for (size_t i = 0; i < n; i++)
		passed += checks[i].pass;
	if (json) {
		printf("{\"version\":1,\"lab\":\"%s\",\"passed\":%zu,\"failed\":%zu,\"checks\":[", lab.name,
		       passed, n - passed);
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"host\":\"%s\",\"check\":", i ? "," : "", checks[i].host);
			json_str(stdout, checks[i].what);
			printf(",\"pass\":%s,\"evidence\":", checks[i].pass ? "true" : "false");
			json_str(stdout, checks[i].evidence ? checks[i].evidence : "");
			putchar('}');
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < n; i++) {
			char *ev = out_escape_dup(checks[i].evidence);	/* whole: no buffer to cut it */

			printf("%s  %-4s %-36s %s\n", checks[i].pass ? GREEN("PASS") : RED("FAIL"),
			       checks[i].host, checks[i].what, ev ? ev : "(out of memory)");
			free(ev);
		}
		printf("%zu passed, %zu failed\n", passed, n - passed);
	}
	lesson_checks_free(checks, n);
	state_free(&lab);
	return passed == n ? EXIT_OK : EXIT_FAIL;
}

static void print_row(const struct compare_row *r, int exw)
{
	printf("%-6s %-*.*s %-17.17s %-17.17s %-17.17s %s\n", r->ns, exw, exw, r->exercise,
	       out_safe(r->value[0]), out_safe(r->value[1]), out_safe(r->value[2]),
	       r->isolated ? GREEN("isolated") : strstr(r->verdict, "not requested") ? r->verdict
								 : RED("SHARED"));
}

static void json_row(const struct compare_row *r, bool first)
{
	printf("%s{\"namespace\":\"%s\",\"exercise\":", first ? "" : ",", r->ns);
	json_str(stdout, r->exercise);
	printf(",\"machine\":");
	json_str(stdout, r->value[0]);
	printf(",\"host\":");
	json_str(stdout, r->value[1]);
	printf(",\"other\":");
	json_str(stdout, r->value[2]);
	printf(",\"isolated\":%s,\"verdict\":\"%s\",\"no_answer\":[%s%s%s%s%s]}",
	       r->isolated ? "true" : "false", r->verdict, r->no_answer[0] ? "\"machine\"" : "",
	       r->no_answer[0] && (r->no_answer[1] || r->no_answer[2]) ? "," : "",
	       r->no_answer[1] ? "\"host\"" : "", r->no_answer[1] && r->no_answer[2] ? "," : "",
	       r->no_answer[2] ? "\"other\"" : "");
}

/* [hostsetup] netlab logs [LAB/]HOST */
static int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	const char *labname = NULL;
	char *text = NULL;
	struct lab lab;
	size_t idx, len;
	int c, r;

	while ((c = getopt_long(argc, argv, ":l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("logs", &err);
			labname = optarg;
			break;
		case 'h':
			printf("Usage: netlab logs [-l LAB] HOST\n\n"
			       "What the exec: commands of a topology file printed in HOST (stdout and\n"
			       "stderr) while `netlab up` ran them: each command after a \"$ \" line, then\n"
			       "a netlab: line when it failed. Kept on the machine, root-only, until `down`;\n"
			       "its last MiB. Control characters are shown escaped (\\xHH).\n\n"
			       "Options:\n"
			       "  -l, --lab LAB   the lab of HOST (or write LAB/HOST)\n"
			       "  -h, --help      show this help\n\n"
			       "Example: netlab logs r1\n");
			return EXIT_OK;
		default:
			return bad_option("logs", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("logs", "missing HOST");
	if (optind + 1 < argc)
		return usage_error("logs", "unexpected argument '%s'", argv[optind + 1]);
	r = lab_resolve_host(argv[optind], labname, &lab, &idx, &err);
	if (r == -EINVAL)
		return usage_err_obj("logs", &err);
	if (r < 0)
		return fail(&err);
	r = hostsetup_log_read(lab.name, lab.hosts[idx].name, &text, &len, &err);
	state_free(&lab);
	if (r < 0)
		return fail(&err);
	print_host_text(stdout, text, len, "");
	free(text);
	return EXIT_OK;
}

static int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	struct compare_row *rows = NULL, *inodes = NULL;
	size_t nrows = 0, ninodes = 0, idx, other = (size_t)-1;
	const char *labname = NULL;
	struct lab lab;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, ":l:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("compare", &err);
			labname = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: netlab compare HOST [--json]\n\n"
			       "The isolation report. Runs the classic exercise of each namespace (hostname,\n"
			       "ipcs -q, echo $$ and ps, the mount table, id and uid_map, ip addr) on the\n"
			       "real machine, inside HOST and inside the lab's empty host (or, if HOST is the\n"
			       "empty one, a networked host), side by side, with a verdict per namespace; then\n"
			       "the inodes of all eight namespace types. Everything is measured live.\n\n"
			       "Example: netlab compare h1\n");
			return EXIT_OK;
		default:
			return bad_option("compare", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("compare", "missing HOST");
	if (optind + 1 < argc)
		return usage_error("compare", "unexpected argument '%s'", argv[optind + 1]);
	r = lab_resolve_host(argv[optind], labname, &lab, &idx, &err);
	if (r == -EINVAL)
		return usage_err_obj("compare", &err);
	if (r < 0)
		return fail(&err);
	/* the other column: the empty-netns control, or a networked host if HOST is the control */
	for (size_t i = 0; i < lab.nhosts && other == (size_t)-1; i++)
		if (i != idx && lab.hosts[i].networked != lab.hosts[idx].networked)
			other = i;
	for (size_t i = 0; i < lab.nhosts && other == (size_t)-1; i++)
		if (i != idx)
			other = i;
	if (lesson_compare(&lab, idx, other, &rows, &nrows, &inodes, &ninodes, &err) < 0) {
		state_free(&lab);
		return fail(&err);
	}
	if (json) {
		printf("{\"version\":1,\"lab\":\"%s\",\"host\":\"%s\",\"other\":", lab.name,
		       lab.hosts[idx].name);
		if (other == (size_t)-1)
			printf("null");
		else
			printf("\"%s\"", lab.hosts[other].name);
		printf(",\"exercises\":[");
		for (size_t i = 0; i < nrows; i++)
			json_row(&rows[i], i == 0);
		printf("],\"inodes\":[");
		for (size_t i = 0; i < ninodes; i++)
			json_row(&inodes[i], i == 0);
		printf("]}\n");
	} else {
		const char *oname = other == (size_t)-1 ? "-" : lab.hosts[other].name;
		char hn[64];

		printf("compare %s (lab \"%s\") with the real machine and %s%s\n", lab.hosts[idx].name,
		       lab.name, oname, other != (size_t)-1 && !lab.hosts[other].networked
						? " (empty netns)" : "");
		printf("(the machine's message queue count includes one netlab made for this report)\n\n");
		snprintf(hn, sizeof(hn), "%s", lab.hosts[idx].name);
		printf("%-6s %-14s %-17s %-17s %-17s %s\n", "NS", "EXERCISE", "REAL MACHINE", hn, oname,
		       "VERDICT");
		for (size_t i = 0; i < nrows; i++)
			print_row(&rows[i], 14);
		printf("\n%-6s %-14s %-17s %-17s %-17s %s\n", "NS", "INODE OF", "REAL MACHINE", hn, oname,
		       "VERDICT");
		for (size_t i = 0; i < ninodes; i++)
			print_row(&inodes[i], 14);
	}
	c = 0;
	for (size_t i = 0; i < nrows; i++)
		c |= !rows[i].isolated;
	/* a host whose command hung: named, and the report is not a pass */
	for (int w = 0; w < 3; w++)
		for (size_t i = 0; i < nrows; i++) {
			if (!rows[i].no_answer[w])
				continue;
			fprintf(stderr, "netlab: %s%s did not answer '%s' within %d s: shown as 'no answer'%s\n",
				w == 0 ? "the real machine" : "host ",
				w == 0 ? "" : lab.hosts[w == 1 ? idx : other].name, rows[i].exercise,
				LESSON_CMD_TIMEOUT_MS / 1000,
				i + 1 < nrows ? ", and its later exercises were not run" : "");
			c = 1;
			break;
		}
	free(rows);
	free(inodes);
	state_free(&lab);
	return c ? EXIT_FAIL : EXIT_OK;
}

static int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	static const char *const word[] = { "ok  ", "warn", "FAIL" };
	struct lab_error *err = NULL;
	struct doctor_line *lines = NULL;
	size_t n = 0, counts[3] = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("Usage: netlab doctor\n\n"
			       "Check this machine before a class: root, kernel version and features (clone3,\n"
			       "pidfd, veth, bridge, tbf, netem: tried for real in a throwaway network\n"
			       "namespace), namespace limits, bridge netfilter, the ARP table limit, free\n"
			       "subnets, labs left over from crashes. One line per check, ok / warn / FAIL,\n"
			       "with the fix. Exit 1 if anything would stop 'netlab up'.\n");
			return EXIT_OK;
		}
		return bad_option("doctor", c, argv);
	}
	if (optind < argc)
		return usage_error("doctor", "unexpected argument '%s'", argv[optind]);
	if (doctor_run(&lines, &n, &err) < 0)
		return fail(&err);
	for (size_t i = 0; i < n; i++) {
		const char *w = word[lines[i].level];
		counts[lines[i].level]++;
		printf("  %s  %-17s %s\n",
		       !colour() ? w : lines[i].level == DOCTOR_OK ? GREEN("ok  ")
				     : lines[i].level == DOCTOR_FAIL ? RED("FAIL") : "\033[33mwarn\033[0m",
		       lines[i].what, lines[i].detail);
	}
	printf("doctor: %zu ok, %zu warning%s, %zu failure%s%s\n", counts[0], counts[1],
	       counts[1] == 1 ? "" : "s", counts[2], counts[2] == 1 ? "" : "s",
	       counts[2] ? ": netlab up will not work until the FAIL lines are fixed" : "");
	free(lines);
	return counts[2] ? EXIT_FAIL : EXIT_OK;
}

static int cmd_graph(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	struct lab_host_info *info = NULL;
	const char *out = NULL, *format = "dot", *name;
	char *dot = NULL;
	struct lab lab;
	int c, bad, code = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("Usage: netlab graph [LAB] [-o FILE]\n\n"
			       "Draw a lab that is up: hosts (boxes), routers (octagons), segments with\n"
			       "their subnets (ellipses), each interface with its live addresses, shaped\n"
			       "links in red. Graphviz lays it out. Without -o, the DOT text goes to\n"
			       "stdout (for 'dot -Tpdf' or an editor).\n\n"
			       "Options:\n"
			       "  -o, --output FILE   write FILE; .svg, .png or .dot (.gv) by its extension\n"
			       "  -h, --help          show this help\n");
			return EXIT_OK;
		default:
			return bad_option("graph", c, argv);
		}
	}
	name = lab_arg("graph", argc, argv, &bad);
	if (bad)
		return bad;
	if (out && !(format = graph_format_of(out)))
		return usage_error("graph", "-o %s: name the picture .svg, .png or .dot", out);
	if (lab_load_default(name, &lab, &err) < 0)
		return fail(&err);
	info = calloc(lab.nhosts + 1, sizeof(*info));
	if (!info) {
		state_free(&lab);
		return EXIT_FAIL;
	}
	for (size_t k = 0; k < lab.nhosts; k++)
		if (lab_host_info(&lab.hosts[k], &info[k], &err) < 0)
			code = fail(&err);	/* drawn from the plan, dashed */
	if (graph_dot(&lab, info, &dot, &err) < 0) {
		code = fail(&err);
	} else if (!out) {
		fputs(dot, stdout);
	} else if (!strcmp(format, "dot")) {
		FILE *f = fopen(out, "we");
		int bad_write = !f || fputs(dot, f) < 0;

		if ((f && fclose(f) != 0) || bad_write) {
			fprintf(stderr, "netlab: write %s: %s\n", out, strerror(errno));
			code = EXIT_FAIL;
		}
	} else if (graph_render(dot, format, out, &err) < 0) {
		code = fail(&err);
	}
	if (out && code == EXIT_OK)
		printf("wrote %s (%s, lab %s: %zu host%s, %zu segment%s)\n", out, format, lab.name,
		       lab.nhosts, lab.nhosts == 1 ? "" : "s", lab.nsegs, lab.nsegs == 1 ? "" : "s");
	free(dot);
	free(info);
	state_free(&lab);
	return code;
}

/* Run argv (tmux) and wait; its exit status. */
static int run_wait(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmd_console(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' }, { "attach", no_argument, NULL, 'a' },
		{ "env", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct env_opts envs = { 0 };
	struct lab_error *err = NULL;
	char session[32], exe[4096], target[48], win[64];
	bool detach = false, attach = false;
	const char *name;
	struct lab lab;
	ssize_t n;
	int c, bad;

	while ((c = getopt_long(argc, argv, ":dae:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			detach = true;
			break;
		case 'e':
			if (env_opt("console", &envs, optarg) != 0)
				return EXIT_USAGE;
			break;
		case 'a':
			attach = true;
			break;
		case 'h':
			printf("Usage: netlab console [LAB] [-d | -a] [-e NAME=VALUE]...\n\n"
			       "A tmux session, netlab-LAB, with one window per host, each already inside its\n"
			       "host and named after it: every host at once over SSH, no X11. Switch windows\n"
			       "with C-b n / C-b p (or C-b w). Closing the session leaves the lab up.\n\n"
			       "Options:\n"
			       "  -d, --detach   create it but do not attach (tmux attach -t netlab-LAB later)\n"
			       "  -a, --attach   inside tmux, attach it nested in this pane instead of\n"
			       "                 switching this tmux client to it (the default there)\n"
			       "  -e, --env NAME=VALUE   for every host's shell (see netlab shell --help)\n");
			return EXIT_OK;
		default:
			return bad_option("console", c, argv);
		}
	}
	name = lab_arg("console", argc, argv, &bad);
	if (bad)
		return bad;
	if (lab_load_default(name, &lab, &err) < 0)
		return fail(&err);
	snprintf(session, sizeof(session), "netlab-%s", lab.name);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		state_free(&lab);
		lab_err(&err, errno, "readlink /proc/self/exe");
		return fail(&err);
	}
	exe[n] = '\0';
	{
		char *has[] = { "tmux", "has-session", "-t", session, NULL };
		int fd = open("/dev/null", O_WRONLY), saved = dup(2);
		int exists;

		dup2(fd, 2);	/* "can't find session" is the normal answer */
		exists = run_wait(has) == 0;
		dup2(saved, 2);
		close(saved);
		close(fd);
		for (size_t i = 0; !exists && i < lab.nhosts; i++) {
			/* tmux runs the command directly (several arguments: no shell in between) */
			snprintf(target, sizeof(target), "%s/%s", lab.name, lab.hosts[i].name);
			snprintf(win, sizeof(win), "%s:", session);
			char *first[] = { "tmux", "new-session", "-d", "-s", session, "-n", lab.hosts[i].name,
					  "-x", "200", "-y", "50", NULL };
			char *more[] = { "tmux", "new-window", "-t", win, "-n", lab.hosts[i].name, NULL };
			char *cmdv[16 + 2 * (sizeof(envs.v) / sizeof(envs.v[0]))];
			size_t k = 0;

			for (char **a = i == 0 ? first : more; *a; a++)
				cmdv[k++] = *a;
			cmdv[k++] = exe;
			cmdv[k++] = "shell";
			for (size_t e = 0; e < envs.n; e++) {
				cmdv[k++] = "-e";
				cmdv[k++] = (char *)envs.v[e];
			}
			cmdv[k++] = target;
			cmdv[k] = NULL;
			int r = run_wait(cmdv);

			if (r != 0) {
				state_free(&lab);
				lab_err(&err, 0, "tmux could not open a window for %s (exit %d): is tmux "
						 "installed? (apt-get install tmux)", target, r);
				return fail(&err);
			}
		}
	}
	state_free(&lab);
	if (detach || !isatty(0) || !isatty(1)) {
		printf("console %s ready: tmux attach -t %s\n", session, session);
		return EXIT_OK;
	}
	/* inside tmux, attach-session refuses to nest unless TMUX is unset: --attach unsets it and
	 * names the server the session is on, the first field of TMUX ("SOCKET,PID,INDEX") */
	if (attach && getenv("TMUX")) {
		char sock[4096];

		snprintf(sock, sizeof(sock), "%.*s", (int)strcspn(getenv("TMUX"), ","), getenv("TMUX"));
		unsetenv("TMUX");
		execlp("tmux", "tmux", "-S", sock, "attach-session", "-t", session, (char *)NULL);
	}
	execlp("tmux", "tmux", getenv("TMUX") ? "switch-client" : "attach-session", "-t", session,
	       (char *)NULL);
	lab_err(&err, errno, "run tmux");
	return fail(&err);
}

/* ------------------------------------------------------------------------------------------- */

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "up", cmd_up, "start a lab: netlab up [N] [--name LAB] [--subnet CIDR] [--empty M]" },
	{ "down", cmd_down, "stop a lab and remove everything it made: netlab down [LAB] | --all" },
	{ "status", cmd_status, "hosts, PIDs, addresses, namespaces: netlab status [LAB] [--json]" },
	{ "shell", cmd_shell, "interactive shell inside a host: netlab shell HOST" },
	{ "exec", cmd_exec, "run a command inside a host: netlab exec HOST -- CMD [ARG...]" },
	{ "logs", cmd_logs, "what a topology file's exec: printed in a host: netlab logs HOST" },
	{ "compare", cmd_compare, "the isolation report, machine | host | empty: netlab compare h1" },
	{ "verify", cmd_verify, "check every isolation claim, PASS/FAIL: netlab verify [LAB]" },
	{ "pingall", cmd_pingall, "who reaches whom, all pairs at once: netlab pingall [LAB]" },
	{ "console", cmd_console, "every host in a tmux window, no X11: netlab console [LAB]" },
	{ "link", cmd_link, "shape a host's link: netlab link h1 --rate 10mbit | --delay 20ms" },
	{ "graph", cmd_graph, "a picture of a lab (SVG, PNG, DOT): netlab graph [LAB] -o lab.svg" },
	{ "clean", cmd_clean, "remove what crashed labs left behind: netlab clean" },
	{ "doctor", cmd_doctor, "is this machine ready for a class? netlab doctor" },
};

static void usage(void)
{
	printf("Usage: netlab COMMAND [ARGS...]\n\n"
	       "Build small, real networks of hosts out of Linux namespaces on this machine.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\nOptions:\n  -h, --help      show this help (netlab COMMAND --help for a command)\n"
	       "  -V, --version   show the version\n\n"
	       "Example: netlab up 2 && netlab exec h1 -- ping -c1 h2 && netlab down\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	/* make sure fds 0-2 exist, so nothing we open lands on them */
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	argv0 = argv[0] && argv[0][0] ? argv[0] : "netlab";
	util_proctitle_init(argc, argv);
	opterr = 0;	/* getopt's messages are worded by bad_option() */
	if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage();
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("netlab %s\n", NETLAB_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name)) {
			optind = 1;
			return commands[i].run(argc - 1, argv + 1);
		}
	return usage_error(NULL, "unknown command '%s'", cmd);
}
