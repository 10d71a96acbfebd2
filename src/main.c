/* netlab's command line: parse, call the lab layer, print. The only file that prints or exits. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipv4.h"
#include "json.h"
#include "lab.h"
#include "names.h"
#include "util.h"

#ifndef NETLAB_VERSION
#define NETLAB_VERSION "0.1.0"
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static int fail(struct lab_error **err)
{
	char buf[1024];
	int code = EXIT_FAIL;

	fprintf(stderr, "netlab: %s\n", lab_err_str(*err, buf, sizeof(buf)));
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

static int usage_err_obj(const char *cmd, struct lab_error **err)
{
	int r = usage_error(cmd, "%s", (*err && (*err)->msg) ? (*err)->msg : "invalid argument");
	lab_err_free(err);
	return r;
}

/* ------------------------------------------------------------------------------------------- */

static const char *const ns_word[] = { "user", "mnt", "pid", "net", "uts", "ipc" };

static void print_up(const struct lab *lab, const struct lab_timing *t, bool quiet)
{
	char net[20], a[24];
	unsigned nets = 0, empties = 0;

	for (size_t i = 0; i < lab->nhosts; i++)
		lab->hosts[i].networked ? nets++ : empties++;
	printf("lab \"%s\" up: %u host%s + %u empty on bridge %s (%s), %.0f ms\n", lab->name, nets,
	       nets == 1 ? "" : "s", empties, lab->bridge,
	       ipv4_fmt_net(&lab->subnet, net, sizeof(net)), (double)t->total / 1e6);
	if (quiet)
		return;
	printf("  %-6s %-8s %-18s %s\n", "HOST", "PID", "ADDRESS", "NAMESPACES");
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];

		if (h->networked) {
			ipv4_fmt(h->addr, a, sizeof(a));
			snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%d", lab->subnet.prefix);
		} else {
			snprintf(a, sizeof(a), "-");
		}
		printf("  %-6s %-8d %-18s uts ipc pid mnt user net%s\n", h->name, (int)h->pid, a,
		       h->networked ? "" : " (empty netns)");
	}
	printf("Next: netlab shell %s | netlab exec %s -- ip addr | netlab status | netlab down%s%s\n",
	       lab->nhosts ? lab->hosts[0].name : "h1",
	       lab->nhosts ? lab->hosts[lab->nhosts - 1].name : "e1",
	       strcmp(lab->name, LAB_DEFAULT_NAME) ? " " : "",
	       strcmp(lab->name, LAB_DEFAULT_NAME) ? lab->name : "");
}

static int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "subnet", required_argument, NULL, 's' },
		{ "empty", required_argument, NULL, 'e' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 },
	};
	struct lab_spec spec = { .name = LAB_DEFAULT_NAME, .hosts = 2, .empty = 1 };
	struct lab_error *err = NULL;
	struct lab_timing t;
	struct lab lab;
	unsigned long v;
	bool quiet = false;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:e:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("up", &err);
			spec.name = optarg;
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
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("Usage: netlab up [N] [options]\n\n"
			       "Start a lab of N networked hosts h1..hN (default 2) on one bridge, plus\n"
			       "empty-netns control hosts e1..eM. Each host is a process tree in new user,\n"
			       "mount, PID, network, UTS and IPC namespaces, with its own /proc, /sys, /tmp\n"
			       "and /etc/hosts.\n\n"
			       "Options:\n"
			       "  -n, --name LAB      lab name (default \"%s\"; up to %d letters, digits, _)\n"
			       "  -s, --subnet CIDR   private IPv4 subnet for the hosts (default: the first\n"
			       "                      free /24 in 10.77.0.0/16 that no route uses)\n"
			       "  -e, --empty M       empty-netns control hosts (default 1, at most %d)\n"
			       "  -q, --quiet         print only the summary line\n"
			       "  -h, --help          show this help\n\n"
			       "Example: netlab up 3 --name week1 --subnet 10.99.0.0/24\n",
			       LAB_DEFAULT_NAME, LAB_NAME_MAX, LAB_EMPTY_MAX);
			return EXIT_OK;
		default:
			return usage_error("up", "invalid option");
		}
	}
	if (optind < argc) {
		if (util_parse_ulong(argv[optind], 1, LAB_HOSTS_MAX, &v) < 0)
			return usage_error("up", "'%s' is not a number of hosts from 1 to %d",
					   argv[optind], LAB_HOSTS_MAX);
		spec.hosts = (unsigned)v;
		optind++;
	}
	if (optind < argc)
		return usage_error("up", "unexpected argument '%s'", argv[optind]);
	if (spec.has_subnet && spec.hosts > ipv4_capacity(spec.subnet.prefix)) {
		char net[20];
		return usage_error("up", "subnet %s holds %u hosts, not %u: use a larger one",
				   ipv4_fmt_net(&spec.subnet, net, sizeof(net)),
				   ipv4_capacity(spec.subnet.prefix), spec.hosts);
	}
	if (lab_up(&spec, &lab, &t, &err) < 0)
		return fail(&err);
	print_up(&lab, &t, quiet);
	if (getenv("NETLAB_TIMING"))
		fprintf(stderr, "timing: reserve %.2f ms, spawn+links %.2f ms, ready %.2f ms, "
				"mounts %.2f ms, commit %.2f ms, total %.2f ms\n",
			(double)t.reserve / 1e6, (double)t.spawn / 1e6, (double)t.ready / 1e6,
			(double)t.mounts / 1e6, (double)t.commit / 1e6, (double)t.total / 1e6);
	state_free(&lab);
	return EXIT_OK;
}

static int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	char **names = NULL;
	size_t count = 0, downed = 0;
	bool all = false;
	uint64_t t0 = util_now_ns();
	int c, r, code = EXIT_OK;

	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			printf("Usage: netlab down [LAB] | --all\n\n"
			       "Stop a lab: kill its hosts, delete its bridge and veths, unmount its\n"
			       "/run/netns entries and remove its state. Doing it twice is harmless.\n\n"
			       "Options:\n"
			       "  -a, --all    every lab that is up\n"
			       "  -h, --help   show this help\n\n"
			       "Example: netlab down week1\n");
			return EXIT_OK;
		default:
			return usage_error("down", "invalid option");
		}
	}
	if (all) {
		if (optind < argc)
			return usage_error("down", "--all takes no lab name");
		if (lab_names(&names, &count, &err) < 0)
			return fail(&err);
	} else {
		const char *name = optind < argc ? argv[optind++] : LAB_DEFAULT_NAME;

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
		r = lab_down(names[i], &err);
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

static void print_status_json(FILE *f, const struct lab *lab, const struct lab_host_info *info)
{
	char net[20], a[16];

	fputs("{\"name\":", f);
	json_str(f, lab->name);
	fprintf(f, ",\"state\":\"%s\",\"bridge\":", lab->complete ? "up" : "building");
	json_str(f, lab->bridge);
	fprintf(f, ",\"subnet\":\"%s\",\"hosts\":[", ipv4_fmt_net(&lab->subnet, net, sizeof(net)));
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		const struct lab_host_info *in = &info[i];
		char *save = NULL, addrs[sizeof(in->addrs)];
		bool first = true;

		fprintf(f, "%s{\"name\":\"%s\",\"kind\":\"%s\",\"pid\":%d,\"alive\":%s,", i ? "," : "",
			h->name, h->networked ? "net" : "empty", (int)h->pid, in->alive ? "true" : "false");
		if (h->networked)
			fprintf(f, "\"address\":\"%s/%d\",\"veth\":\"%s\",",
				ipv4_fmt(h->addr, a, sizeof(a)), lab->subnet.prefix, h->veth);
		else
			fputs("\"address\":null,\"veth\":null,", f);
		fprintf(f, "\"netns\":\"%s/%s-%s\",\"mac\":", LAB_NETNS_DIR, lab->name, h->name);
		if (in->mac[0])
			json_str(f, in->mac);
		else
			fputs("null", f);
		fputs(",\"addresses\":[", f);
		snprintf(addrs, sizeof(addrs), "%s", in->addrs);
		for (char *t = strtok_r(addrs, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			fprintf(f, "%s", first ? "" : ",");
			json_str(f, t);
			first = false;
		}
		fputs("],\"namespaces\":{", f);
		for (int k = 0; k < NS_KINDS_ALL; k++)
			fprintf(f, "%s\"%s\":%lu", k ? "," : "", ns_kinds[k].name, in->ns[k]);
		fputs("}}", f);
	}
	fputs("]}", f);
}

static void print_status_text(const struct lab *lab, const struct lab_host_info *info)
{
	char net[20], a[24];

	printf("lab \"%s\": %s, bridge %s, subnet %s, %zu hosts\n", lab->name,
	       lab->complete ? "up" : "being built (or its netlab up died: netlab clean)", lab->bridge,
	       ipv4_fmt_net(&lab->subnet, net, sizeof(net)), lab->nhosts);
	printf("  %-6s %-8s %-6s %-18s %-18s %s\n", "HOST", "PID", "STATE", "ADDRESS", "MAC", "LINKS");
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		const struct lab_host_info *in = &info[i];

		if (h->networked) {
			ipv4_fmt(h->addr, a, sizeof(a));
			snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%d", lab->subnet.prefix);
		} else {
			snprintf(a, sizeof(a), "-");
		}
		printf("  %-6s %-8d %-6s %-18s %-18s %s\n", h->name, (int)h->pid,
		       in->alive ? "alive" : "DEAD", a, in->mac[0] ? in->mac : "-",
		       in->alive ? in->links : "-");
		if (in->alive) {
			printf("  %-6s ns", "");
			for (int k = 0; k < NS_KINDS; k++)
				printf(" %s:%lu", ns_word[k], in->ns[k]);
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

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: netlab status [LAB] [--json]\n\n"
			       "Show every host of every lab (or of LAB): PID, alive or DEAD, address, MAC\n"
			       "of eth0, interfaces and the inodes of its six namespaces.\n\n"
			       "Options:\n"
			       "  -j, --json   machine-readable output (schema in the README)\n"
			       "  -h, --help   show this help\n");
			return EXIT_OK;
		default:
			return usage_error("status", "invalid option");
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
		fputs("{\"version\":1,\"labs\":[", stdout);
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

static int run_in_host(const char *cmd, const char *host_arg, const char *lab_name,
		       char *const argv[], bool shell)
{
	struct lab_error *err = NULL;
	struct lab lab;
	size_t idx;
	int status = EXIT_FAIL, r;
	char env_host[64], env_lab[64], env_ps1[64];
	const char *env[] = { "HOME=/tmp", env_host, env_lab, shell ? env_ps1 : NULL, NULL };

	r = lab_resolve_host(host_arg, lab_name, &lab, &idx, &err);
	if (r == -EINVAL)
		return usage_err_obj(cmd, &err);
	if (r < 0)
		return fail(&err);
	snprintf(env_host, sizeof(env_host), "NETLAB_HOST=%s", lab.hosts[idx].name);
	snprintf(env_lab, sizeof(env_lab), "NETLAB_LAB=%s", lab.name);
	snprintf(env_ps1, sizeof(env_ps1), "PS1=\\u@\\h:\\w\\$ ");
	r = lab_exec(&lab, &lab.hosts[idx], argv, env, &status, &err);
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
		{ "lab", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	const char *lab = NULL, *host;
	int c;

	while ((c = getopt_long(argc, argv, "+l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("exec", &err);
			lab = optarg;
			break;
		case 'h':
			printf("Usage: netlab exec [-l LAB] HOST -- COMMAND [ARG...]\n\n"
			       "Run COMMAND inside all six namespaces of HOST (h1, or LAB/h1 when several\n"
			       "labs are up), as root of the host, in its /tmp. Its exit status is\n"
			       "netlab's (128+N if killed by signal N; 127 if not found).\n\n"
			       "Options:\n"
			       "  -l, --lab LAB   the lab HOST belongs to\n"
			       "  -h, --help      show this help\n\n"
			       "Example: netlab exec h1 -- ping -c1 h2\n");
			return EXIT_OK;
		default:
			return usage_error("exec", "invalid option");
		}
	}
	if (optind >= argc)
		return usage_error("exec", "missing HOST");
	host = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		return usage_error("exec", "missing COMMAND after '%s --'", host);
	return run_in_host("exec", host, lab, argv + optind, false);
}

static int cmd_shell(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_error *err = NULL;
	const char *lab = NULL, *shell = getenv("SHELL");
	char *sh_argv[3] = { NULL, NULL, NULL };
	int c;

	while ((c = getopt_long(argc, argv, "+l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (names_check_lab(optarg, &err) < 0)
				return usage_err_obj("shell", &err);
			lab = optarg;
			break;
		case 'h':
			printf("Usage: netlab shell [-l LAB] HOST\n\n"
			       "Open an interactive shell ($SHELL, else bash) inside HOST. The prompt shows\n"
			       "the host's name (root@h1). Leave it with 'exit'; the host keeps running.\n\n"
			       "Example: netlab shell h1\n");
			return EXIT_OK;
		default:
			return usage_error("shell", "invalid option");
		}
	}
	if (optind >= argc)
		return usage_error("shell", "missing HOST");
	if (optind + 1 < argc)
		return usage_error("shell", "unexpected argument '%s' (to run a command use netlab exec)",
				   argv[optind + 1]);
	if (!shell || shell[0] != '/' || access(shell, X_OK) < 0)
		shell = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
	sh_argv[0] = (char *)shell;
	return run_in_host("shell", argv[optind], lab, sh_argv, true);
}

static void clean_report(const char *what, void *arg)
{
	(*(unsigned *)arg)++;
	printf("  %s\n", what);
}

static int cmd_clean(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct lab_error *err = NULL;
	unsigned removed = 0;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("Usage: netlab clean\n\n"
			       "Remove what crashed or killed netlab runs left behind: labs whose netlab up\n"
			       "died, labs whose hosts are all dead, and interfaces marked as netlab's\n"
			       "(alias netlab:LAB:...) that belong to no lab. Labs that are up and working\n"
			       "are left alone, and so is anything netlab did not create.\n");
			return EXIT_OK;
		}
		return usage_error("clean", "invalid option");
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
	{ "clean", cmd_clean, "remove what crashed labs left behind: netlab clean" },
};

static void usage(void)
{
	printf("Usage: netlab COMMAND [ARGS...]\n\n"
	       "Build small, real networks of hosts out of Linux namespaces on this machine.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-7s %s\n", commands[i].name, commands[i].summary);
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
	util_proctitle_init(argc, argv);
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
