/* The children of hostsetup: each joins a host or runs a command in it, and reports an error of
 * netlab's own on a pipe; waiting for them with a deadline, signals watched. */
#include "hostsetup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/openat2.h>

#include "cleanup.h"
#include "rootfs.h"
#include "topo.h"
#include "util.h"
#include "hostsetup_int.h"

/* Children: a helper that joins a host (files:, sysctls:) and a runner per exec: command. Both
 * report an error of netlab's own (not the command's) on a pipe (lab_err_send), as exec.c's pty
 * children do. */

/* Wait until the child behind pidfd exits (*out_wstatus: waitpid's), the deadline passes (1; it
 * still runs) or a signal arrives on sigfd (< 0, an interrupted error: exit 128+N). deadline 0:
 * none. */
int hs_wait_child(pid_t pid, int pidfd, uint64_t deadline, int sigfd, const char *what,
		      int *out_wstatus, struct lab_error **err)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
		uint64_t now = util_now_ns();
		int timeout = -1, n;

		if (deadline && now >= deadline)
			return 1;
		if (deadline)
			timeout = (int)((deadline - now) / 1000000u) + 1;
		n = poll(p, sigfd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno != EINTR)
			return lab_err(err, errno, "wait for %s", what);
		if (n > 0 && sigfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			/* as up_step reports it: the CLI exits 128+N for an interrupted error */
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return lab_err_interrupted(err, (int)si.ssi_signo, "interrupted by %s "
							   "while %s", strsignal((int)si.ssi_signo),
							   what);
		}
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP))) {
			while (waitpid(pid, out_wstatus, 0) < 0)
				if (errno != EINTR)
					return lab_err(err, errno, "waitpid %s", what);
			return 0;
		}
	}
}

/* In a child: the fds it keeps, on 3, 4, ... in order (CLOEXEC), none clobbered on the way (one
 * may already sit where another goes); every other fd above them closed. */
int hs_keep_fds(const int *fds, int n)
{
	int high[8];

	for (int i = 0; i < n; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 16)) < 0)
			return -1;
	for (int i = 0; i < n; i++)
		if (dup3(high[i], 3 + i, O_CLOEXEC) < 0)
			return -1;
	close_range((unsigned)(3 + n), ~0U, 0);
	return 0;
}

/* A child of ours that must go now: kill it and reap it. */
void hs_kill_reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* util_fork_piped, the pipe for the child's error, plus what a child of `up` needs: it dies with
 * `up`, its signals unblocked; and a pidfd for us. *out_errfd and *out_pidfd are set only on
 * success (the parent's; the child has no pidfd). */
pid_t hs_fork_reporting(int *out_errfd, int *out_pidfd, struct lab_error **err)
{
	pid_t parent = getpid(), pid;
	int errfd = -1, pidfd;

	pid = util_fork_piped(&errfd, err);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		sigset_t none;

		/* `up` dying ends us (a uid change clears this: we are short-lived before it) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		/* `up` blocks its signals to read them from a signalfd: ours are our own */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		*out_errfd = errfd;
		return 0;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int e = errno;
		hs_kill_reap(pid);
		close(errfd);
		return lab_err(err, e, "pidfd_open");
	}
	*out_errfd = errfd;
	*out_pidfd = pidfd;
	return pid;
}
