/* exec, shell and console against a hostile host (issue 19 items 1 and 4, issue 14 items 6 and 7,
 * issue 18): root inside a host controls what runs there. The terminal attacks are driven through
 * a real terminal, a tmux pane running the admin's root bash on the machine; what they would do is
 * checked on the machine (a marker file only real root can create). Each test has its own lab, its
 * own tmux server (-L) and its own files, all removed in .fini. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r, t; /* big: static, one per test process */
static char LAB[16], H1[32], SOCK[32], MARKER[64], OUT[64], PAYLOAD[64];

static void setup(void)
{
	snprintf(SOCK, sizeof(SOCK), "netlab-tx%d", (int)getpid());
	/* /run is root's: a host's root (uid 1000000000 outside) cannot create these */
	snprintf(MARKER, sizeof(MARKER), "/run/netlab-tx%d.marker", (int)getpid());
	snprintf(OUT, sizeof(OUT), "/run/netlab-tx%d.out", (int)getpid());
	snprintf(PAYLOAD, sizeof(PAYLOAD), "/run/netlab-tx%d.rc", (int)getpid());
	unlink(MARKER);
	unlink(OUT);
	lab_up_unique(LAB, "tx", "1", "0");
	snprintf(H1, sizeof(H1), "%s/h1", LAB);
}

static void teardown(void)
{
	run(&t, "tmux", "-L", SOCK, "kill-server", NULL);
	lab_down_quiet(LAB);
	char path[80];

	unlink(MARKER);
	unlink(OUT);
	unlink(PAYLOAD);
	snprintf(path, sizeof(path), "%s.tty", OUT);
	unlink(path);
	snprintf(path, sizeof(path), "%s.pid", OUT);
	unlink(path);
}

TestSuite(exec, .init = setup, .fini = teardown, .timeout = 90);

/* The admin's terminal: a tmux pane of cols x rows running root's bash on the machine. */
static void pane_start(int cols, int rows)
{
	char x[16], y[16];

	snprintf(x, sizeof(x), "%d", cols);
	snprintf(y, sizeof(y), "%d", rows);
	unsetenv("TMUX");
	setenv("PS1", "admin$ ", 1);
	cr_assert_eq(run(&t, "tmux", "-L", SOCK, "-f", "/dev/null", "new-session", "-d", "-s", "t",
			 "-x", x, "-y", y, "bash --norc --noprofile -i", NULL),
		     0, "tmux: %s", t.err);
	usleep(300000);
}

/* Type a line into the pane, as the admin would. */
static void pane_type(const char *line)
{
	run(&t, "tmux", "-L", SOCK, "send-keys", "-t", "t", "-l", line, NULL);
	run(&t, "tmux", "-L", SOCK, "send-keys", "-t", "t", "Enter", NULL);
}

static const char *pane_text(void)
{
	run(&t, "tmux", "-L", SOCK, "capture-pane", "-p", "-t", "t", "-S", "-100", NULL);
	return t.out;
}

/* Wait up to ms for path to exist with a line in it; its contents, or "" if none came. */
static const char *wait_file(const char *path, int ms)
{
	static char buf[4096];
	FILE *f;
	size_t n = 0;

	buf[0] = '\0';
	for (int waited = 0; waited <= ms; waited += 100) {
		if ((f = fopen(path, "r"))) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = '\0';
			if (strchr(buf, '\n'))
				return buf;
		}
		usleep(100000);
	}
	return buf;
}

/* In the host: wait up to 5 s for the payload to have run, print its result. */
#define PAYLOAD_RAN                                                                                \
	"for i in $(seq 50); do [ -s /tmp/payload-ran ] && break; sleep 0.1; done; cat "           \
	"/tmp/payload-ran"

/* Wait up to ms for needle to show in the pane. */
static bool pane_wait(const char *needle, int ms)
{
	for (int waited = 0; waited <= ms; waited += 100) {
		if (strstr(pane_text(), needle))
			return true;
		usleep(100000);
	}
	return false;
}

/* A program for the host: pushes "id > MARKER" and Enter into /dev/tty (TIOCSTI), as the admin. */
static void write_payload(bool kill_parent)
{
	FILE *f = fopen(PAYLOAD, "w");

	cr_assert_not_null(f);
	fprintf(f,
		"#!/bin/sh\n"
		"perl -e 'open(my $t, \"+<\", \"/dev/tty\") or exit 3; "
		"ioctl($t, 0x5412, $_) or exit 4 for split //, \"id > %s\\n\"'\n"
		"echo $? > /tmp/payload-ran\n%s",
		MARKER, kill_parent ? "kill -9 $PPID $$\n" : "");
	fclose(f);
}

/* Put the payload into h1 at path (its own root: nothing of the machine's files is there). */
static void payload_into_host(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s exec %s -- sh -c 'cat > %s && chmod 755 %s' < %s", netlab_bin(),
		 H1, path, path, PAYLOAD);
	cr_assert_eq(run(&r, "sh", "-c", cmd, NULL), 0, "%s", r.err);
}

/* ---------------------------------------------------------------------- the admin's terminal */

Test(exec, a_shell_rc_that_pushes_keys_with_tiocsti_cannot_reach_the_admins_shell)
{
	char line[256];

	write_payload(true);
	payload_into_host("/tmp/payload");
	/* the host's root owns HOME=/tmp and so the shell's .bashrc */
	cr_assert_eq(nl_sh(&r, LAB, "h1", "echo '. /tmp/payload' > /tmp/.bashrc"), 0, "%s", r.err);
	pane_start(120, 40);
	snprintf(line, sizeof(line), "%s shell %s", netlab_bin(), H1);
	pane_type(line);
	wait_file(MARKER, 4000);
	cr_assert_eq(access(MARKER, F_OK), -1, "the host's keys ran in the admin's shell:\n%s",
		     pane_text());
	/* not vacuous: the payload did run in the host and its TIOCSTI worked (on its own pty) */
	cr_assert_eq(nl_sh(&r, LAB, "h1", PAYLOAD_RAN), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0\n", "TIOCSTI in the host: %s", r.out);
}

Test(exec, a_bind_mounted_binary_run_with_all_fds_redirected_cannot_reach_the_admins_tty)
{
	char line[256];

	write_payload(false);
	payload_into_host("/tmp/evil");
	cr_assert_eq(nl_sh(&r, LAB, "h1", "mount --bind /tmp/evil /usr/bin/ip"), 0, "%s", r.err);
	pane_start(120, 40);
	snprintf(line, sizeof(line), "%s exec %s -- ip -br addr </dev/null >/dev/null 2>&1",
		 netlab_bin(), H1);
	pane_type(line);
	wait_file(MARKER, 3000);
	cr_assert_eq(access(MARKER, F_OK), -1, "the host's keys ran in the admin's shell:\n%s",
		     pane_text());
	cr_assert_eq(nl_sh(&r, LAB, "h1", PAYLOAD_RAN), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "3\n", "the command had a terminal to open: %s", r.out);
}

Test(exec, a_process_left_in_the_host_cannot_read_what_the_admin_types_later)
{
	char line[512];

	pane_start(120, 40);
	/* keep /dev/tty open in a process of a new session, which escapes job control */
	snprintf(line, sizeof(line),
		 "%s exec %s -- sh -c 'exec 3</dev/tty; setsid -f sh -c \"cat <&3 "
		 ">/tmp/cap\" 3<&3; sleep 0.3'; echo done > %s; sleep 3",
		 netlab_bin(), H1, OUT);
	pane_type(line);
	cr_assert(strstr(wait_file(OUT, 5000), "done"), "%s", pane_text());
	/* the admin's shell now waits for sleep, which does not read: what is typed goes to a
	 * reader */
	usleep(300000);
	pane_type("typed-by-the-admin");
	usleep(3000000);
	cr_assert_eq(nl_sh(&r, LAB, "h1", "cat /tmp/cap 2>/dev/null; true"), 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "typed-by-the-admin"), "the host read the admin's keys: %s",
		       r.out);
}

Test(exec, the_window_size_follows_the_admins_terminal)
{
	char line[512];

	pane_start(123, 37);
	snprintf(line, sizeof(line),
		 "%s exec %s -- sh -c 'stty size; trap \"stty size; exit 0\" WINCH; "
		 "while :; do sleep 0.1; done' > %s",
		 netlab_bin(), H1, OUT);
	pane_type(line);
	cr_assert_str_eq(wait_file(OUT, 8000), "37 123\n", "%s", pane_text());
	run(&t, "tmux", "-L", SOCK, "resize-window", "-t", "t", "-x", "100", "-y", "30", NULL);
	for (int i = 0; i < 40 && !strstr(wait_file(OUT, 0), "30 100"); i++)
		usleep(100000);
	cr_assert_str_eq(wait_file(OUT, 0), "37 123\n30 100\n", "SIGWINCH: %s", pane_text());
}

Test(exec, exit_status_and_signals_pass_through_a_terminal)
{
	char line[512];

	pane_start(120, 40);
	snprintf(line, sizeof(line), "%s exec %s -- sh -c 'tty; exit 7' > %s.tty; echo rc=$? > %s",
		 netlab_bin(), H1, OUT, OUT);
	pane_type(line);
	cr_assert_str_eq(wait_file(OUT, 8000), "rc=7\n", "%s", pane_text());
	unlink(OUT);
	/* a terminal, with a name in the host (its own devpts) */
	snprintf(line, sizeof(line), "%s.tty", OUT);
	char pane_tty[64];
	run(&t, "tmux", "-L", SOCK, "display-message", "-p", "-t", "t", "#{pane_tty}", NULL);
	snprintf(pane_tty, sizeof(pane_tty), "%.63s", t.out);
	const char *inner = wait_file(line, 0);
	/* the host's own devpts has its own numbering, so the name alone cannot tell the two apart;
	 * the TIOCSTI and read-after tests show it is not the pane's */
	cr_assert(!strncmp(inner, "/dev/pts/", 9), "inside: %s pane: %s", inner, pane_tty);
	unlink(line);
	snprintf(line, sizeof(line), "%s exec %s -- sh -c 'kill -KILL $$'; echo rc=$? > %s",
		 netlab_bin(), H1, OUT);
	pane_type(line);
	cr_assert_str_eq(wait_file(OUT, 8000), "rc=137\n", "%s", pane_text());
	unlink(OUT);
	/* ^C typed goes through the pty to the command, which dies of it */
	snprintf(line, sizeof(line), "%s exec %s -- sleep 30; echo rc=$? > %s", netlab_bin(), H1,
		 OUT);
	pane_type(line);
	usleep(800000);
	run(&t, "tmux", "-L", SOCK, "send-keys", "-t", "t", "C-c", NULL);
	cr_assert_str_eq(wait_file(OUT, 8000), "rc=130\n", "%s", pane_text());
}

Test(exec, a_shell_has_a_right_prompt_and_exit_status_whatever_the_callers_shell)
{
	char line[512];
	const char *shells[] = {"/bin/sh", "/bin/bash", "/usr/bin/zsh"};

	pane_start(150, 40);
	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
		if (access(shells[i], X_OK) < 0)
			continue; /* zsh is not installed everywhere */
		unlink(OUT);
		run(&t, "tmux", "-L", SOCK, "clear-history", "-t", "t", NULL);
		snprintf(line, sizeof(line), "clear; SHELL=%s %s shell %s; echo rc=$? > %s",
			 shells[i], netlab_bin(), H1, OUT);
		pane_type(line);
		cr_assert(pane_wait("root@h1:", 8000), "SHELL=%s:\n%s", shells[i], pane_text());
		/* another shell inside, with job control on the host's own terminal */
		pane_type("sh");
		usleep(300000);
		pane_type("sleep 0.1; exit 4");
		usleep(500000);
		pane_type("echo inner=$?; exit 5");
		cr_assert_str_eq(wait_file(OUT, 8000), "rc=5\n", "SHELL=%s:\n%s", shells[i],
				 pane_text());
		const char *text = pane_text();
		cr_assert(strstr(text, "root@h1:~#") || strstr(text, "root@h1:/tmp#"),
			  "SHELL=%s:\n%s", shells[i], text);
		cr_assert(strstr(text, "inner=4"), "%s", text);
		cr_assert_null(strstr(text, "\\u@"), "%s", text);
		cr_assert_null(strstr(text, "Cannot set tty"), "%s", text);
		cr_assert_null(strstr(text, "no job control"), "%s", text);
	}
	/* a host whose root's shell is dash (its own /etc/passwd): a prompt dash can show */
	cr_assert_eq(
	    nl_sh(
		&r, LAB, "h1",
		"sed 's,^root:\\(.*\\):[^:]*$,root:\\1:/bin/dash,' /etc/passwd "
		"> /tmp/passwd && mount --bind /tmp/passwd /etc/passwd && grep ^root: /etc/passwd"),
	    0, "%s", r.err);
	cr_assert(strstr(r.out, ":/bin/dash\n"), "%s", r.out);
	unlink(OUT);
	snprintf(line, sizeof(line), "clear; %s shell %s; echo rc=$? > %s", netlab_bin(), H1, OUT);
	pane_type(line);
	cr_assert(pane_wait("root@h1:/tmp#", 8000), "%s", pane_text());
	pane_type("cd /etc; echo shell=$0; exit 6");
	cr_assert_str_eq(wait_file(OUT, 8000), "rc=6\n", "%s", pane_text());
	const char *text = pane_text();
	cr_assert(strstr(text, "root@h1:/tmp# ") && strstr(text, "shell=/bin/dash"), "%s", text);
}

/* ------------------------------------------------------------------------- no terminal at all */

Test(exec, without_a_terminal_the_command_has_none_and_keeps_its_pipes)
{
	char line[256];

	/* stdin /dev/null, stdout and stderr pipes (helpers.c): passed as they are, no pty */
	cr_assert_eq(nl_sh(&r, LAB, "h1", "tty; echo out; echo err >&2; ps -o sid= -p $$; echo $$"),
		     0, "%s", r.err);
	cr_assert(strstr(r.out, "not a tty\nout\n"), "%s", r.out);
	cr_assert_str_eq(r.err, "err\n");
	int sid = 0, pid = -1;
	cr_assert_eq(sscanf(strstr(r.out, "out\n") + 4, "%d %d", &sid, &pid), 2, "%s", r.out);
	cr_assert_eq(sid, pid, "the command leads a session of its own: %s", r.out);
	/* it has no controlling terminal to open */
	cr_assert_eq(nl_sh(&r, LAB, "h1", "exec 3</dev/tty"), 2, "%s", r.err);
	/* lab_capture_timed (compare) still runs commands in hosts */
	snprintf(line, sizeof(line), "%s", H1);
	cr_assert_eq(nl(&r, "compare", line, NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "h1"), "%s", r.out);
}

Test(exec, no_descriptor_but_0_1_2_reaches_the_host)
{
	char cmd[512];
	FILE *f = fopen(OUT, "w");

	cr_assert_not_null(f);
	fputs("root-only-secret\n", f);
	fclose(f);
	chmod(OUT, 0600);
	snprintf(cmd, sizeof(cmd),
		 "%s exec %s -- sh -c 'cat <&7; ls /proc/self/fd | tr \"\\n\" \" \"' 7<%s",
		 netlab_bin(), H1, OUT);
	run(&r, "sh", "-c", cmd, NULL);
	cr_assert_null(strstr(r.out, "root-only-secret"), "fd 7 leaked: %s", r.out);
	cr_assert_str_eq(r.out, "0 1 2 3 ", "fds of ls (3: its directory): %s", r.out);
}

Test(exec, the_host_gets_a_clean_environment_and_what_e_passes)
{
	char tmpdir[64];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/netlab-tx%d-nope", (int)getpid());
	setenv("TMPDIR", tmpdir, 1);
	setenv("OLDPWD", "/root", 1);
	setenv("NETLAB_TX_MINE", "mine", 1);
	setenv("LC_TIME", "C.UTF-8", 1);
	cr_assert_eq(nl(&r, "exec", H1, "--", "mktemp", NULL), 0, "%s", r.err);
	cr_assert(!strncmp(r.out, "/tmp/tmp.", 9), "%s", r.out);
	cr_assert_eq(
	    nl(&r, "exec", H1, "-e", "FOO=bar baz", "--env", "NETLAB_TX_MINE", "--", "env", NULL),
	    0, "%s", r.err);
	cr_assert_null(strstr(r.out, "TMPDIR="), "%s", r.out);
	cr_assert_null(strstr(r.out, "OLDPWD="), "%s", r.out);
	cr_assert(strstr(r.out, "\nFOO=bar baz\n") || !strncmp(r.out, "FOO=bar baz\n", 12), "%s",
		  r.out);
	cr_assert(strstr(r.out, "NETLAB_TX_MINE=mine\n"), "%s", r.out);
	cr_assert(
	    strstr(r.out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"),
	    "%s", r.out);
	cr_assert(strstr(r.out, "HOME=/tmp\n") && strstr(r.out, "USER=root\n") &&
		      strstr(r.out, "LOGNAME=root\n") && strstr(r.out, "SHELL=/") &&
		      strstr(r.out, "NETLAB_HOST=h1\n") && strstr(r.out, "LC_TIME=C.UTF-8\n"),
		  "%s", r.out);
	char lab_line[64];
	snprintf(lab_line, sizeof(lab_line), "NETLAB_LAB=%s\n", LAB);
	cr_assert(strstr(r.out, lab_line), "%s", r.out);
	/* -e overrides the host's own, and bad names are usage errors */
	cr_assert_eq(nl(&r, "exec", H1, "-e", "HOME=/", "--", "sh", "-c", "echo $HOME", NULL), 0);
	cr_assert_str_eq(r.out, "/\n");
	cr_assert_eq(nl(&r, "exec", H1, "-e", "1X=y", "--", "true", NULL), 2);
	cr_assert(strstr(r.err, "NAME=VALUE"), "%s", r.err);
}

Test(exec, not_found_is_127_by_the_hosts_path_not_the_callers)
{
	char dir[64], path[4096];

	/* a directory of the caller's PATH that root of the host cannot read (like
	 * /root/.cargo/bin) */
	snprintf(dir, sizeof(dir), "/run/netlab-tx%d.d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s:%s", dir,
		 getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	nl(&r, "exec", H1, "--", "nosuchcmd", NULL);
	rmdir(dir);
	cr_assert_eq(r.status, 127, "%s", r.err);
	cr_assert(strstr(r.err, "nosuchcmd': command not found"), "%s", r.err);
	cr_assert_eq(nl(&r, "exec", H1, "--", "ip", "-br", "link", "show", "lo", NULL), 0, "%s",
		     r.err);
}

Test(exec, options_after_the_host_are_options)
{
	cr_assert_eq(nl(&r, "exec", H1, "--explain", "--", "true", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "nsenter --target"), "%s", r.out);
	/* the printed command does the same when pasted into a shell */
	cr_assert_eq(nl(&r, "exec", H1, "--explain", "-e", "B=it's x", "--", "sh", "-c",
			"echo $B $HOME $NETLAB_HOST; hostname", NULL),
		     0, "%s", r.err);
	char *nlpos = strchr(r.out, '\n');
	cr_assert(!strncmp(r.out, "  $ nsenter ", 12) && nlpos, "%s", r.out);
	cr_assert_str_eq(nlpos + 1, "it's x /tmp h1\nh1\n");
	*nlpos = '\0';
	static char pasted[1024];
	snprintf(pasted, sizeof(pasted), "%.1000s", r.out + 4);
	cr_assert_eq(run(&t, "sh", "-c", pasted, NULL), 0, "%s: %s", pasted, t.err);
	cr_assert_str_eq(t.out, "it's x /tmp h1\nh1\n", "%s", pasted);
	cr_assert_eq(nl(&r, "exec", H1, "--bogus", "--", "true", NULL), 2);
	cr_assert(strstr(r.err, "unknown option '--bogus'"), "%s", r.err);
	cr_assert_eq(nl(&r, "exec", H1, "--", "sh", "-c", "echo $0", "--explain", NULL), 0, "%s",
		     r.err);
	cr_assert_str_eq(r.out, "--explain\n");
	/* no -- : the command starts at the first word that is not an option */
	cr_assert_eq(nl(&r, "exec", H1, "-e", "A=1", "sh", "-c", "echo $A", NULL), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1\n");
}

Test(exec, signals_to_netlab_reach_the_command_without_a_terminal)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s exec %s -- sleep 30 & sleep 0.5; kill -TERM $!; wait $!",
		 netlab_bin(), H1);
	cr_assert_eq(run(&r, "sh", "-c", cmd, NULL), 143, "%s", r.err);
	cr_assert_eq(nl_sh(&r, LAB, "h1", "exit 7"), 7);
	cr_assert_eq(nl_sh(&r, LAB, "h1", "kill -TERM $$"), 143);
}

/* ---------------------------------------------------------------------------------- console */

Test(exec, console_inside_tmux_attaches_nested_with_attach_and_passes_e)
{
	char line[256], session[32], win[48];

	pane_start(160, 45);
	/* the pane's TMUX names our own server: the console's session is made there */
	snprintf(line, sizeof(line), "%s console %s --attach -e NETLAB_TX=seen", netlab_bin(), LAB);
	pane_type(line);
	snprintf(session, sizeof(session), "netlab-%s", LAB);
	for (int i = 0; i < 40; i++) {
		run(&t, "tmux", "-L", SOCK, "list-clients", "-F", "#{session_name}", NULL);
		if (strstr(t.out, session))
			break;
		usleep(100000);
	}
	cr_assert(strstr(t.out, session), "no client on %s: %s\n%s", session, t.out, pane_text());
	snprintf(win, sizeof(win), "%s:h1", session);
	run(&t, "tmux", "-L", SOCK, "send-keys", "-t", win, "echo X=$NETLAB_TX:$TMPDIR:$(tty)",
	    "Enter", NULL);
	usleep(600000);
	run(&t, "tmux", "-L", SOCK, "capture-pane", "-p", "-t", win, NULL);
	cr_assert(strstr(t.out, "X=seen::/dev/pts/"), "%s", t.out);
	cr_assert(strstr(t.out, "root@h1"), "%s", t.out);
}

Test(exec, started_in_the_background_it_runs_without_stopping)
{
	char line[256];

	pane_start(120, 40);
	/* stdin is the pane's terminal, but the job is not in its foreground */
	snprintf(line, sizeof(line),
		 "%s exec %s -- sh -c 'echo bg=$(tty)' > %s & wait $!; echo rc=$? >> %s",
		 netlab_bin(), H1, OUT, OUT);
	pane_type(line);
	for (int i = 0; i < 40 && !strstr(wait_file(OUT, 0), "rc="); i++)
		usleep(100000);
	cr_assert(strstr(wait_file(OUT, 0), "bg=/dev/pts/") && strstr(wait_file(OUT, 0), "rc=0\n"),
		  "%s\n%s", wait_file(OUT, 0), pane_text());
}

Test(exec, the_joined_netlab_is_not_dumpable_so_the_host_cannot_trace_it)
{
	char path[64], line[256];
	struct stat st;
	unsigned uid = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(netlab_bin(), "netlab", "exec", H1, "--", "sleep", "2", (char *)NULL);
		_exit(127);
	}
	usleep(700000);
	/* netlab itself joined the host and became its root (the first id of its range)... */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	fclose(f);
	/* ...yet its /proc entries stay real root's: PR_SET_DUMPABLE 0, whatever fs.suid_dumpable
	 */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	cr_assert_eq(stat(path, &st), 0);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	/* the host's root is the first id of its own range, as its init's uid_map says */
	{
		unsigned base = 0;

		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)host_pid(LAB, "h1"));
		f = fopen(path, "r");
		cr_assert(f && fscanf(f, "%*u %u", &base) == 1, "%s", path);
		fclose(f);
		cr_assert_eq(uid, base, "netlab did not join as the host's root: uid %u, not %u", uid,
			     base);
	}
	cr_assert_eq(st.st_uid, 0u, "/proc/PID/fd of the joined netlab belongs to uid %u",
		     st.st_uid);
}

Test(exec, the_admins_terminal_modes_come_back_after_exit_and_after_a_signal)
{
	char line[512], pidfile[80], before[512];
	int pid;

	pane_start(120, 40);
	snprintf(line, sizeof(line), "stty -g > %s", OUT);
	pane_type(line);
	snprintf(before, sizeof(before), "%s", wait_file(OUT, 8000));
	cr_assert(strchr(before, ':'), "stty -g: %s", before);
	unlink(OUT);
	/* SIGTERM to netlab while the relay runs (raw mode on): it reaches the command, netlab
	 * exits 143 and the terminal's modes are back */
	snprintf(pidfile, sizeof(pidfile), "%s.pid", OUT);
	snprintf(
	    line, sizeof(line),
	    "sh -c 'echo $$ > %s; exec %s exec %s -- sleep 30'; echo rc=$? > %s; stty -g >> %s",
	    pidfile, netlab_bin(), H1, OUT, OUT);
	pane_type(line);
	pid = atoi(wait_file(pidfile, 8000));
	unlink(pidfile);
	cr_assert_gt(pid, 1);
	usleep(700000);
	kill(pid, SIGTERM);
	for (int i = 0; i < 80 && !strstr(wait_file(OUT, 0), ":"); i++)
		usleep(100000);
	char want[600];
	snprintf(want, sizeof(want), "rc=143\n%s", before);
	cr_assert_str_eq(wait_file(OUT, 0), want, "%s", pane_text());
}

Test(exec, a_fifo_bound_over_the_hosts_passwd_does_not_block_exec, .timeout = 30)
{
	/* netlab reads root's shell there (for SHELL): the host owns that file */
	cr_assert_eq(
	    nl_sh(&r, LAB, "h1",
		  "mkfifo /tmp/p && mount --bind /tmp/p /etc/passwd && stat -c %F /etc/passwd"),
	    0, "%s", r.err);
	cr_assert_str_eq(r.out, "fifo\n");
	cr_assert_eq(nl_sh(&r, LAB, "h1", "echo $SHELL"), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "/bin/bash\n");
}

Test(exec, passes_exit_status_through_and_names_what_it_cannot_run)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "exit 7"), 7);
	cr_assert_eq(nl_sh(&r, LAB, "h1", "kill -TERM $$"), 143);
	cr_assert_eq(nl(&r, "exec", H1, "--", "/nonexistent-cmd", NULL), 127);
	cr_assert(strstr(r.err, "cannot run '/nonexistent-cmd'"), "%s", r.err);
	char h9[32];
	snprintf(h9, sizeof(h9), "%s/h9", LAB);
	cr_assert_eq(nl(&r, "exec", h9, "--", "true", NULL), 1);
	cr_assert(strstr(r.err, "no host 'h9'"), "%s", r.err);
	cr_assert_eq(nl(&r, "exec", "--lab", LAB, "h1", "--", "true", NULL), 0, "%s", r.err);
}
