/* Running commands inside a host: `exec`, `shell`, and captured output for the lesson. */
#include "lab_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "cleanup.h"
#include "pty.h"
#include "util.h"

/* waitpid, EINTR retried; *out_status as a shell would report it (128+signal if killed). */
static int wait_child(pid_t pid, int *out_status, struct lab_error **err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return lab_err(err, errno, "waitpid %d", (int)pid);
	*out_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static pid_t exec_child;

/* Signals sent to netlab go on to the command, which is in a session of its own now: ^C and ^\
 * from a terminal reach its whole process group, as the terminal would have sent them. */
static bool exec_term_kills;	/* lab_capture_timed's waiter: SIGTERM ends the command's group */

static void forward_signal(int sig)
{
	if (exec_child <= 0)
		return;
	if (sig == SIGTERM && exec_term_kills)	/* a report's deadline: no second chance */
		kill(-exec_child, SIGKILL);
	else
		kill(sig == SIGINT || sig == SIGQUIT ? -exec_child : exec_child, sig);
}

/* The host's root's login shell, from the host's own /etc/passwd (as su and sshd choose it), if it
 * can be run; else /bin/bash, else /bin/sh. Read by hand: NSS could load modules or ask nscd. The
 * host owns that file: a FIFO or device bound over it must not block us, nor a huge file. */
static void host_shell(char *out, size_t len)
{
	char line[512];
	int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "r") : NULL;

	if (!f && fd >= 0)
		close(fd);
	out[0] = '\0';
	for (int lines = 0; f && lines < 10000 && fgets(line, sizeof(line), f); lines++) {
		char *field = line;

		if (strncmp(line, "root:", 5))
			continue;
		for (int i = 0; i < 6 && field; i++)
			field = strchr(field, ':') ? strchr(field, ':') + 1 : NULL;
		if (field) {
			field[strcspn(field, "\r\n")] = '\0';
			snprintf(out, len, "%s", field);
		}
		break;
	}
	if (f)
		fclose(f);
	if (out[0] != '/' || access(out, X_OK) < 0)
		snprintf(out, len, "%s", access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh");
}

/* Add "NAME=VALUE" to env (at most max-1 entries, NULL-terminated), replacing one of that name. */
static int env_set(char **env, size_t max, char *entry, struct lab_error **err)
{
	size_t n, k;

	if (!entry)
		return lab_err(err, ENOMEM, "environment");
	k = strcspn(entry, "=");
	for (n = 0; env[n]; n++) {
		if (!strncmp(env[n], entry, k + 1)) {
			free(env[n]);
			env[n] = entry;
			return 0;
		}
	}
	if (n + 1 >= max) {
		free(entry);
		return lab_err(err, E2BIG, "too many environment variables (at most %zu)", max - 1);
	}
	env[n] = entry;
	env[n + 1] = NULL;
	return 0;
}

static char *env_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *env_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void env_free(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
}

#define HOST_ENV_MAX 256

#define HOST_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The command's whole environment: a host is another machine, so nothing of the caller's passes
 * but the terminal type and the locale (which describe the admin's terminal and language); then
 * the caller's extra, which win. A shell also gets a prompt naming the host. */
static int host_env(char **env, const struct lab *lab, const struct lab_host *h, const char *shell,
		    bool interactive, const char *const extra[], struct lab_error **err)
{
	extern char **environ;
	const char *base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
	int r = 0;

	env[0] = NULL;
	r |= env_set(env, HOST_ENV_MAX, env_fmt("PATH=%s", HOST_PATH), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("HOME=/tmp"), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("USER=root"), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("LOGNAME=root"), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("SHELL=%s", shell), err);
	for (char **e = environ; r == 0 && e && *e; e++)
		if (!strncmp(*e, "TERM=", 5) || !strncmp(*e, "LANG=", 5) || !strncmp(*e, "LANGUAGE=", 9) ||
		    !strncmp(*e, "LC_", 3))
			r |= env_set(env, HOST_ENV_MAX, env_fmt("%s", *e), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("NETLAB_LAB=%s", lab->name), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("NETLAB_HOST=%s", h->name), err);
	/* bash and zsh set their prompts in their system rc files (Debian's /etc/bash.bashrc says
	 * \u@\h:\w\$, unexported), so they get none from us: an exported one in their syntax would
	 * show raw in a shell started inside. dash and other POSIX shells expand only parameters. */
	if (interactive && strcmp(base, "bash") && strcmp(base, "zsh"))
		r |= env_set(env, HOST_ENV_MAX, env_fmt("PS1=root@%s:$PWD# ", h->name), err);
	for (size_t i = 0; r == 0 && extra && extra[i]; i++)
		r |= env_set(env, HOST_ENV_MAX, env_fmt("%s", extra[i]), err);
	if (r < 0) {
		env_free(env);
		env[0] = NULL;
		return -1;
	}
	return 0;
}

/* Join the host (this process) and run argv (NULL: the host's shell) in a child, in a new session
 * with nothing of ours but fds 0, 1, 2; ctty >= 0 is the fd it makes its controlling terminal. */
static int exec_joined(const struct lab *lab, const struct lab_host *h, char *const argv_in[],
		       const char *const extra[], int ctty, int *out_status, struct lab_error **err)
{
	extern char **environ;
	_cleanup_close_ int pidfd = -1;
	struct sigaction fwd = { .sa_handler = forward_signal };
	char *env[HOST_ENV_MAX], shell[256], *sh_argv[] = { shell, NULL };
	char *const *argv = argv_in ? argv_in : sh_argv;
	char **saved_environ = environ;
	int pipefd[2], child_errno = 0;
	ssize_t n;
	pid_t pid;

	pidfd = ns_pidfd_verified(h->pid, h->start, err);
	if (pidfd == -ESRCH) {	/* the message says it all: no ": No such process" after it */
		lab_err(err, 0, "host %s of lab %s (pid %d) is not running any more: 'netlab down %s' "
				"cleans the lab up", h->name, lab->name, (int)h->pid, lab->name);
		return -ESRCH;
	}
	if (pidfd < 0)
		return -1;
#ifdef __SANITIZE_ADDRESS__
	/* once we are in the host's user namespace LeakSanitizer can no longer ptrace this process
	 * (it would spin at exit): check for leaks now, which also disables the check at exit */
	__lsan_do_leak_check();
#endif
	/* its cgroups first, while we may still write the machine's cgroupfs: what runs in a host
	 * is limited as the host is */
	if (cgroup_join(lab->name, h->name, err) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	/* no ptrace, no /proc/PID/mem, no core of us from inside, whatever fs.suid_dumpable says
	 * (runc CVE-2016-9962); the uid change below resets it to fs.suid_dumpable, so again after */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return lab_err(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (ns_enter(pidfd, lab->extra_ns, err) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	/* root of the host, in its /tmp, from here on: we only wait for the command now */
	if (ns_become_root(err) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return lab_err(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (chdir("/tmp") < 0)
		return lab_err(err, errno, "host %s: chdir /tmp", h->name);
	host_shell(shell, sizeof(shell));
	if (host_env(env, lab, h, shell, !argv_in, extra, err) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		env_free(env);
		return lab_err(err, errno, "pipe");
	}
	/* execvp searches the PATH of environ: the host's, never the caller's */
	environ = env;
	sigaction(SIGINT, &fwd, NULL);
	sigaction(SIGQUIT, &fwd, NULL);
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	/* vfork: the child only sets up its session and fds and execs (or reports why not), and we
	 * wait anyway; it saves copying our page tables, a fair part of what exec costs */
	pid = vfork();
	if (pid < 0) {
		int e = errno;
		environ = saved_environ;
		env_free(env);
		close(pipefd[0]);
		close(pipefd[1]);
		return lab_err(err, e, "vfork");
	}
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigset_t none;
		int e;

		/* a session of its own: the admin's terminal is not its controlling tty (TIOCSTI,
		 * /dev/tty); with a terminal it gets the pty's slave instead */
		if (setsid() < 0 || (ctty >= 0 && ioctl(ctty, TIOCSCTTY, 0) < 0))
			goto fail;
		/* every descriptor of ours but 0, 1, 2 closes at exec (runc does the same) */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			goto fail;
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGQUIT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		sigaction(SIGHUP, &dfl, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
fail:
		e = errno;
		(void)!write(pipefd[1], &e, sizeof(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	environ = saved_environ;
	env_free(env);
	close(pipefd[1]);
	exec_child = pid;
	n = util_read_all(pipefd[0], &child_errno, sizeof(child_errno));
	close(pipefd[0]);
	if (wait_child(pid, out_status, err) < 0)
		return -1;
	exec_child = 0;
	if (n == (ssize_t)sizeof(child_errno)) {
		*out_status = child_errno == ENOENT ? 127 : 126;
		if (child_errno == ENOENT && !strchr(argv[0], '/'))
			return lab_err(err, 0, "host %s: cannot run '%s': command not found (PATH=%s)",
				       h->name, argv[0], HOST_PATH);
		return lab_err(err, child_errno, "host %s: cannot run '%s'", h->name, argv[0]);
	}
	return 0;
}

int lab_exec(const struct lab *lab, const struct lab_host *h, char *const argv[],
	     const char *const env[], int *out_status, struct lab_error **err)
{
	struct pty p;
	sigset_t sigs, old;
	int errfd = -1, r;
	pid_t pid;

	*out_status = 1;
	{
		/* the host's root, for a pty in its own devpts (pty_open checks what it finds) */
		_cleanup_close_ int pidfd = lab_host_pidfd(h), root = -1;
		char path[64];

		if (pidfd >= 0) {
			snprintf(path, sizeof(path), "/proc/%d/root", (int)h->pid);
			root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (root >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
				close(TAKE_FD(root));	/* gone, maybe its PID reused: not its root */
		}
		if (pty_open(&p, root, err) < 0)
			return -1;
	}
	if (p.master < 0)
		return exec_joined(lab, h, argv, env, -1, out_status, err);
	/* a terminal is involved: we stay outside with the admin's terminal and relay; a child
	 * joins the host with the pty's slave only */
	pty_signals(&sigs);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	pid = util_fork_piped(&errfd, err);
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		pty_close(&p);
		return -1;
	}
	if (pid == 0) {
		struct lab_error *e = NULL;
		int st = 1, ctty;

		sigprocmask(SIG_SETMASK, &old, NULL);
		/* out of the admin's session at once, and nothing of the admin's terminal kept:
		 * the slave replaces it on 0, 1, 2, every other fd closes (errfd moves to 3) */
		setsid();
		ctty = pty_child_fds(&p);
		if (ctty < 0 || (errfd != 3 && dup3(errfd, 3, O_CLOEXEC) < 0))
			_exit(1);
		close_range(4, ~0U, 0);
		if (exec_joined(lab, h, argv, env, ctty, &st, &e) < 0) {
			lab_err_send(3, e);
			lab_err_free(&e);
			st = st ? st : 1;
		}
		_exit(st);
	}
	close(p.slave);
	p.slave = -1;
	r = pty_relay(&p, pid, out_status, err);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		r = lab_err_recv(errfd, err);
	close(errfd);
	return r;
}

int lab_host_pidfd(const struct lab_host *h)
{
	return ns_pidfd_verified(h->pid, h->start, NULL);
}

/* The child of lab_capture_timed: stdin from /dev/null, stdout and stderr into wfd, then argv in the
 * host (lab_exec: it joins, so that the caller stays where it is) or, h NULL, on the machine. */
__attribute__((noreturn)) static void capture_child(const struct lab *lab, const struct lab_host *h,
						    char *const argv[], int wfd)
{
	struct lab_error *e = NULL;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), st = 127;

	dup2(fd, 0);
	dup2(wfd, 1);
	dup2(wfd, 2);
	if (h) {
		if (lab_exec(lab, h, argv, NULL, &st, &e) < 0)
			st = st ? st : 1;
	} else {
		execvp(argv[0], argv);
	}
	_exit(st);
}

/* [hostsetup] */
void lab_exec_deadline_waiter(void)
{
	exec_term_kills = true;
}

int lab_capture_timed(const struct lab *lab, const struct lab_host *h, char *const argv[], char *out,
		      size_t len, int timeout_ms, int *out_status, struct lab_error **err)
{
	_cleanup_close_ int rd = -1;
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000u;
	bool late = false;
	size_t got = 0;
	pid_t pid;

	pid = util_fork_piped(&rd, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* the command runs in a session of its own (exec_joined): on SIGTERM this waiter
		 * kills its whole process group, then reaps it and exits */
		exec_term_kills = true;
		setpgid(0, 0);
		capture_child(lab, h, argv, rd);
	}
	setpgid(pid, pid);	/* also here: no race with the kill below */
	/* read until EOF, the buffer is full, or the deadline */
	while (got + 1 < len) {
		uint64_t now = util_now_ns();
		struct pollfd p = { .fd = rd, .events = POLLIN };
		ssize_t n;
		int w;

		if (now >= deadline) {
			late = true;
			break;
		}
		w = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (w < 0 && errno != EINTR)
			break;
		if (w <= 0)
			continue;
		n = TEMP_FAILURE_RETRY(read(rd, out + got, len - 1 - got));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(TAKE_FD(rd));	/* a command that prints more than we keep gets SIGPIPE: fine */
	/* then until it exits (a command may close its output and go on), or the deadline */
	while (!late) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
			break;
		if (si.si_pid)
			break;
		late = util_now_ns() >= deadline;
		if (!late)
			usleep(2000);
	}
	if (late) {
		/* the command and what it started, not the waiter: it reaps them inside the host (a
		 * killed waiter would hand them to the machine's init) and then exits by itself */
		for (int i = 0; i < 200; i++) {
			siginfo_t si = { 0 };

			/* again now and then: the word may come before the waiter knows the command */
			if (i % 20 == 0)
				kill(pid, SIGTERM);
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid)
				break;
			usleep(5000);
		}
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		wait_child(pid, out_status, NULL);
		return lab_err(err, ETIMEDOUT, "%s%s did not answer '%s' within %.3g s",
			       h ? "host " : "the machine", h ? h->name : "", argv[0], timeout_ms / 1000.0);
	}
	return wait_child(pid, out_status, err);
}
