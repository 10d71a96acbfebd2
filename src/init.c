#include "init.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noreturn)) void init_run(void)
{
	sigset_t set;

	/* Block everything but synchronous faults, then take signals one by one. A PID 1 gets no
	 * default actions, so SIGTERM/SIGINT mean something only because we handle them here. */
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGABRT);
	sigdelset(&set, SIGTRAP);
	sigdelset(&set, SIGSYS);
	sigprocmask(SIG_SETMASK, &set, NULL);
	/* what died before we got here (an exec: command of `up`, run before the host was
	 * committed, killed or daemonising): its SIGCHLD was discarded then, not made pending */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;	/* EINTR */
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
		if (sig == SIGCHLD) {
			/* SIGCHLDs coalesce: reap until nothing is left to reap */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		/* everything else is ignored, as the kernel would for a PID 1 without handlers */
	}
}
