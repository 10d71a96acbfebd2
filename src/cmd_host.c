/* The commands that work on one host or on each host: exec, shell, console, link. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "hostsetup.h"
#include "lab.h"
#include "names.h"
#include "print.h"
#include "units.h"

#define ENV_MAX 64	/* -e variables of one command */

/* The options of exec, shell and console (each table takes its own of them). */
struct host_args {
	const char *lab;		/* -l LAB */
	bool explain, detach, attach;	/* -x, -d, -a */
	/* -e/--env, for the host's command (see lab_exec): NAME=VALUE, or NAME alone for our own
	 * value of NAME (left out if we have none), as docker run -e does; NULL-terminated */
	size_t nenv;
	const char *env[ENV_MAX + 1];
};

static int env_opt(struct host_args *a, const char *arg)
{
	size_t k = strcspn(arg, "=");

	if (k == 0 || (!isalpha((unsigned char)arg[0]) && arg[0] != '_'))
		return cli_usage_error("-e '%s': expected NAME=VALUE (NAME of letters, digits and '_')", arg);
	for (size_t i = 1; i < k; i++)
		if (!isalnum((unsigned char)arg[i]) && arg[i] != '_')
			return cli_usage_error("-e '%s': expected NAME=VALUE (NAME of letters, digits and '_')",
					       arg);
	if (a->nenv >= ENV_MAX)
		return cli_usage_error("-e: at most %d variables", ENV_MAX);
	if (!arg[k]) {
		const char *mine = getenv(arg);

		if (!mine)
			return 0;
		arg = mine - k - 1;	/* getenv points just after "NAME=" in our environment */
	}
	a->env[a->nenv++] = arg;
	a->env[a->nenv] = NULL;
	return 0;
}

static int host_opt(int key, const char *arg, void *ctx)
{
	struct host_args *a = ctx;

	switch (key) {
	case 'l':
		return cli_lab_opt(arg, &a->lab);
	case 'e':
		return env_opt(a, arg);
	case 'x':
		a->explain = true;
		return 0;
	case 'd':
		a->detach = true;
		return 0;
	case 'a':
		a->attach = true;
		return 0;
	}
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

/* What a person can paste: the same namespaces, the host's clean environment and a session of
 * its own (netlab adds a new pty when a terminal is involved). */
static void explain_exec(const struct lab *lab, const struct lab_host *h, char *const argv[],
			 const struct host_args *a)
{
	printf("  $ nsenter --target %d --all --setuid 0 --setgid 0 --wd=/tmp -- env -i "
	       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp "
	       "USER=root LOGNAME=root NETLAB_LAB=%s NETLAB_HOST=%s", (int)h->pid, lab->name, h->name);
	for (size_t i = 0; i < a->nenv; i++)
		print_word(a->env[i]);
	printf(" setsid -w");
	for (char *const *w = argv; *w; w++)
		print_word(*w);
	printf("\n");
	fflush(stdout);
}

/* argv (NULL: the host's shell) in host_arg; the command's exit status. */
static int run_in_host(const char *host_arg, char *const argv[], const struct host_args *a)
{
	struct lab_error *err = NULL;
	struct lab lab;
	size_t idx;
	int status = EXIT_FAIL, r;

	if (lab_resolve_host(host_arg, a->lab, &lab, &idx, &err) < 0)
		return cli_fail(&err);
	if (a->explain && argv)
		explain_exec(&lab, &lab.hosts[idx], argv, a);
	r = lab_exec(&lab, &lab.hosts[idx], argv, a->env, &status, &err);
	state_free(&lab);
	if (r < 0) {
		cli_fail(&err);
		return status == EXIT_FAIL ? EXIT_FAIL : status;
	}
	return status;
}

/* --- exec --- */

static const struct cli_opt exec_opts[] = {
	{ "lab", 'l', "LAB", "the lab HOST belongs to" },
	{ "env", 'e', "NAME=VALUE", "set NAME in the command's environment (NAME alone:\n"
				    "pass this one of yours); repeatable" },
	{ "explain", 'x', NULL, "first print the equivalent nsenter command" },
	{ NULL },
};

static int run_exec(const struct cli_command *self, int argc, char **argv)
{
	struct host_args a = { 0 };
	const char *host = NULL;
	int r;

	/* options may come before or after HOST: `exec h1 --explain -- true`; the command starts at
	 * `--` or at the first word after HOST that is not an option */
	for (;;) {
		if ((r = cli_options(self, argc, argv, host_opt, &a)) != CLI_CONTINUE)
			return r;
		if (host || optind >= argc || !strcmp(argv[optind - 1], "--"))
			break;
		host = argv[optind++];
	}
	if (!host && optind < argc && !(optind > 0 && !strcmp(argv[optind - 1], "--")))
		host = argv[optind++];
	if (!host)
		return cli_usage_error("missing HOST");
	if (optind >= argc)
		return cli_usage_error("missing COMMAND after '%s --'", host);
	return run_in_host(host, argv + optind, &a);
}

const struct cli_command cmd_exec = {
	.name = "exec",
	.summary = "run a command inside a host: netlab exec HOST -- CMD [ARG...]",
	.run = run_exec,
	.usage = "Usage: netlab exec [-l LAB] [-e NAME=VALUE]... [--explain] HOST -- COMMAND [ARG...]\n\n"
		 "Run COMMAND inside all six namespaces of HOST (h1, or LAB/h1 when several\n"
		 "labs are up), as root of the host, in its /tmp, in a session of its own\n"
		 "(a new pseudo-terminal when stdin, stdout or stderr is a terminal), with\n"
		 "the host's environment (PATH, HOME=/tmp, TERM, LANG...). Its exit status\n"
		 "is netlab's (128+N if killed by signal N; 127 if not found).\n",
	.options_title = "Options (before or after HOST, before --):",
	.column = 25,
	.opts = exec_opts,
	.example = "Example: netlab exec h1 -- ping -c1 h2\n",
	.in_order = true,
};

/* --- shell --- */

static const struct cli_opt shell_opts[] = {
	{ "lab", 'l', "LAB", "the lab HOST belongs to" },
	{ "env", 'e', "NAME=VALUE", "set NAME in the shell's environment; repeatable" },
	{ NULL },
};

static int run_shell(const struct cli_command *self, int argc, char **argv)
{
	struct host_args a = { 0 };
	int r;

	if ((r = cli_options(self, argc, argv, host_opt, &a)) != CLI_CONTINUE)
		return r;
	if (optind >= argc)
		return cli_usage_error("missing HOST");
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument '%s' (to run a command use netlab exec)",
				       argv[optind + 1]);
	return run_in_host(argv[optind], NULL, &a);
}

const struct cli_command cmd_shell = {
	.name = "shell",
	.summary = "interactive shell inside a host: netlab shell HOST",
	.run = run_shell,
	.usage = "Usage: netlab shell [-l LAB] [-e NAME=VALUE]... HOST\n\n"
		 "Open an interactive shell inside HOST, on a pseudo-terminal of its own: the\n"
		 "host's root's shell (its /etc/passwd: /bin/bash; not your $SHELL). The\n"
		 "prompt shows the host's name (root@h1). Leave it with 'exit'; the host\n"
		 "keeps running; its exit status is netlab's.\n",
	.column = 25,
	.opts = shell_opts,
	.example = "Example: netlab shell h1\n",
};

/* --- console --- */

static const struct cli_opt console_opts[] = {
	{ "detach", 'd', NULL, "create it but do not attach (tmux attach -t netlab-LAB later)" },
	{ "attach", 'a', NULL, "inside tmux, attach it nested in this pane instead of\n"
			       "switching this tmux client to it (the default there)" },
	{ "env", 'e', "NAME=VALUE", "for every host's shell (see netlab shell --help)" },
	{ NULL },
};

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

/* Is there a tmux session of this name? ("can't find session" is the normal answer: hidden) */
static bool tmux_has(const char *session)
{
	char *has[] = { "tmux", "has-session", "-t", (char *)session, NULL };
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC), saved = dup(2);
	bool exists;

	dup2(fd, 2);
	exists = run_wait(has) == 0;
	dup2(saved, 2);
	close(saved);
	close(fd);
	return exists;
}

/* The session with one window per host, each running `netlab shell LAB/HOST` (tmux runs the
 * command directly: several arguments, no shell in between). */
static int tmux_windows(const struct lab *lab, const char *session, const char *exe,
			const struct host_args *a, struct lab_error **err)
{
	char target[64], win[64];

	snprintf(win, sizeof(win), "%s:", session);
	for (size_t i = 0; i < lab->nhosts; i++) {
		char *first[] = { "tmux", "new-session", "-d", "-s", (char *)session, "-n",
				  (char *)lab->hosts[i].name, "-x", "200", "-y", "50", NULL };
		char *more[] = { "tmux", "new-window", "-t", win, "-n", (char *)lab->hosts[i].name, NULL };
		char *cmdv[16 + 2 * ENV_MAX];
		size_t k = 0;
		int r;

		snprintf(target, sizeof(target), "%s/%s", lab->name, lab->hosts[i].name);
		for (char **w = i == 0 ? first : more; *w; w++)
			cmdv[k++] = *w;
		cmdv[k++] = (char *)exe;
		cmdv[k++] = "shell";
		for (size_t e = 0; e < a->nenv; e++) {
			cmdv[k++] = "-e";
			cmdv[k++] = (char *)a->env[e];
		}
		cmdv[k++] = target;
		cmdv[k] = NULL;
		if ((r = run_wait(cmdv)) != 0)
			return lab_err(err, 0, "tmux could not open a window for %s (exit %d): is tmux "
					       "installed? (apt-get install tmux)", target, r);
	}
	return 0;
}

static int run_console(const struct cli_command *self, int argc, char **argv)
{
	struct host_args a = { 0 };
	struct lab_error *err = NULL;
	char session[32], exe[4096];
	struct lab lab;
	ssize_t n;
	int r;

	if ((r = cli_options_lab(self, argc, argv, host_opt, &a, &lab)) != CLI_CONTINUE)
		return r;
	snprintf(session, sizeof(session), "netlab-%s", lab.name);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		state_free(&lab);
		lab_err(&err, errno, "readlink /proc/self/exe");
		return cli_fail(&err);
	}
	exe[n] = '\0';
	r = tmux_has(session) ? 0 : tmux_windows(&lab, session, exe, &a, &err);
	state_free(&lab);
	if (r < 0)
		return cli_fail(&err);
	if (a.detach || !isatty(0) || !isatty(1)) {
		printf("console %s ready: tmux attach -t %s\n", session, session);
		return EXIT_OK;
	}
	/* inside tmux, attach-session refuses to nest unless TMUX is unset: --attach unsets it and
	 * names the server the session is on, the first field of TMUX ("SOCKET,PID,INDEX") */
	if (a.attach && getenv("TMUX")) {
		char sock[4096];

		snprintf(sock, sizeof(sock), "%.*s", (int)strcspn(getenv("TMUX"), ","), getenv("TMUX"));
		unsetenv("TMUX");
		execlp("tmux", "tmux", "-S", sock, "attach-session", "-t", session, (char *)NULL);
	}
	execlp("tmux", "tmux", getenv("TMUX") ? "switch-client" : "attach-session", "-t", session,
	       (char *)NULL);
	lab_err(&err, errno, "run tmux");
	return cli_fail(&err);
}

const struct cli_command cmd_console = {
	.name = "console",
	.summary = "every host in a tmux window, no X11: netlab console [LAB]",
	.run = run_console,
	.usage = "Usage: netlab console [LAB] [-d | -a] [-e NAME=VALUE]...\n\n"
		 "A tmux session, netlab-LAB, with one window per host, each already inside its\n"
		 "host and named after it: every host at once over SSH, no X11. Switch windows\n"
		 "with C-b n / C-b p (or C-b w). Closing the session leaves the lab up.\n",
	.column = 17,
	.opts = console_opts,
};

/* --- link --- */

static const struct cli_opt link_opts[] = {
	{ "iface", 'i', "IF", "which interface of HOST (default eth0)" },
	{ "rate", 'r', "R", "e.g. 10mbit, 500kbit, 1gbit" },
	{ "delay", 'd', "D", "e.g. 20ms (needs netem)" },
	{ "jitter", 'j', "J", "e.g. 5ms (needs netem)" },
	{ "loss", 'p', "P", "e.g. 1% (needs netem)" },
	{ "clear", 'c', NULL, "remove the shaping" },
	{ "lab", 'l', "LAB", "the lab HOST belongs to" },
	{ NULL },
};

struct link_args {
	struct lab_shape shape;
	const char *lab, *ifname;
	bool netem;
};

static int link_opt(int key, const char *arg, void *ctx)
{
	struct link_args *a = ctx;

	switch (key) {
	case 'i':
		a->ifname = arg;
		return 0;
	case 'l':
		return cli_lab_opt(arg, &a->lab);
	case 'r':
		if (units_rate(arg, &a->shape.rate_bps) < 0)
			return cli_usage_error("--rate '%s': expected a rate such as 10mbit, 500kbit or "
					       "1gbit (8kbit to 40gbit)", arg);
		return 0;
	case 'd':
	case 'j':
		if (units_time_us(arg, key == 'd' ? &a->shape.delay_us : &a->shape.jitter_us) < 0)
			return cli_usage_error("--%s '%s': expected a time such as 10ms, 500us or 1s",
					       key == 'd' ? "delay" : "jitter", arg);
		a->netem = true;
		return 0;
	case 'p':
		if (units_percent(arg, &a->shape.loss_percent) < 0)
			return cli_usage_error("--loss '%s': expected a percentage such as 1%% (0 to 100)",
					       arg);
		a->netem = true;
		return 0;
	case 'c':
		a->shape.clear = true;
		return 0;
	}
	return 0;
}

static int link_check(const struct link_args *a, int argc, char **argv)
{
	if (optind >= argc)
		return cli_usage_error("missing HOST");
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (a->shape.clear && (a->shape.rate_bps || a->netem))
		return cli_usage_error("--clear takes no other option");
	if (!a->shape.clear && !a->shape.rate_bps && !a->netem)
		return cli_usage_error("say what to do: --rate, --delay, --jitter, --loss or --clear");
	if (a->shape.rate_bps && a->netem)
		return cli_usage_error("--rate together with --delay/--jitter/--loss is not supported "
				       "yet: apply one of them");
	return 0;
}

static int run_link(const struct cli_command *self, int argc, char **argv)
{
	struct link_args a = { .ifname = "eth0" };
	struct lab_error *err = NULL;
	const struct lab_host *h;
	struct lab lab;
	size_t idx, iface;
	int r;

	if ((r = cli_options(self, argc, argv, link_opt, &a)) != CLI_CONTINUE)
		return r;
	if ((r = link_check(&a, argc, argv)) != 0)
		return r;
	if (lab_resolve_host(argv[optind], a.lab, &lab, &idx, &err) < 0)
		return cli_fail(&err);
	h = &lab.hosts[idx];
	for (iface = 0; iface < h->nifaces; iface++)
		if (!strcmp(h->ifaces[iface].name, a.ifname))
			break;
	if (h->networked && iface == h->nifaces) {
		char have[32] = "only eth0";

		if (h->nifaces > 1)
			snprintf(have, sizeof(have), "eth0..eth%zu", h->nifaces - 1);
		r = cli_usage_error("host %s has no interface %s (it has %s)", h->name, a.ifname, have);
		state_free(&lab);
		return r;
	}
	r = lab_shape(&lab, h, iface, &a.shape, &err);
	if (r == 0)
		print_shape(h, iface, &a.shape);
	state_free(&lab);
	return r < 0 ? cli_fail(&err) : EXIT_OK;
}

const struct cli_command cmd_link = {
	.name = "link",
	.summary = "shape a host's link: netlab link h1 --rate 10mbit | --delay 20ms",
	.run = run_link,
	.usage = "Usage: netlab link HOST [--iface ethK] [--rate R] [--delay D] [--jitter J] [--loss P] | --clear\n\n"
		 "Shape both directions of HOST's link (eth0, or --iface, inside it and its\n"
		 "veth on the bridge): a rate with the tbf qdisc, delay/jitter/loss with netem.\n"
		 "Applying again replaces the shaping; --clear removes it. Shown in\n"
		 "'netlab status'.\n",
	.column = 19,
	.opts = link_opts,
	.example = "Example: netlab link h1 --rate 10mbit\n",
};

/* --- logs --- */

static const struct cli_opt logs_opts[] = {
	{ "lab", 'l', "LAB", "the lab of HOST (or write LAB/HOST)" },
	{ NULL },
};

static int run_logs(const struct cli_command *self, int argc, char **argv)
{
	struct host_args a = { 0 };
	struct lab_error *err = NULL;
	struct lab lab;
	char *text = NULL;
	size_t idx, len;
	int r;

	if ((r = cli_options(self, argc, argv, host_opt, &a)) != CLI_CONTINUE)
		return r;
	if (optind >= argc)
		return cli_usage_error("missing HOST");
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (lab_resolve_host(argv[optind], a.lab, &lab, &idx, &err) < 0)
		return cli_fail(&err);
	r = hostsetup_log_read(lab.name, lab.hosts[idx].name, &text, &len, &err);
	state_free(&lab);
	if (r < 0)
		return cli_fail(&err);
	print_host_text(stdout, text, len, "");
	free(text);
	return EXIT_OK;
}

const struct cli_command cmd_logs = {
	.name = "logs",
	.summary = "what a topology file's exec: printed in a host: netlab logs HOST",
	.run = run_logs,
	.usage = "Usage: netlab logs [-l LAB] HOST\n\n"
		 "What the exec: commands of a topology file printed in HOST (stdout and\n"
		 "stderr) while `netlab up` ran them: each command after a \"$ \" line, then\n"
		 "a netlab: line when it failed. Kept on the machine, root-only, until `down`;\n"
		 "its last MiB. Control characters are shown escaped (\\xHH).\n",
	.column = 18,
	.opts = logs_opts,
	.example = "Example: netlab logs r1\n",
};
