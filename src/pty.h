/* A new pseudo-terminal between the admin's terminal and a command run inside a host.
 *
 * A host's root controls what runs there, so the command must never get the admin's terminal:
 * with it as controlling tty it could push keystrokes into the admin's shell (TIOCSTI) or read
 * the admin's later input (bubblewrap CVE-2017-5226; `su --pty` and `runc exec -t` do the same as
 * this). netlab opens a pty on the machine's devpts, hands its slave to the command (which makes it
 * its controlling tty in a new session) and relays between the master and its own terminal; when
 * the command ends, closing the master hangs the slave up, so nothing left in the host can reach
 * the admin's terminal. */
#ifndef NETLAB_PTY_H
#define NETLAB_PTY_H

#include <signal.h>
#include <stdbool.h>
#include <termios.h>
#include <sys/types.h>

#include "error.h"

struct pty {
	int master;    /* on the machine's devpts; -1: no terminal involved, no pty */
	int slave;     /* for the command; -1 once handed on or closed */
	bool on[3];    /* the command gets the slave as its fd 0, 1, 2 */
	int out;       /* where the master's output goes (one of our 0, 1, 2), -1: nowhere */
	int tty;       /* our fd that is the admin's terminal (window size), -1: none */
	bool relay_in; /* copy our stdin to the master */
	bool raw;      /* our stdin is a terminal, put in raw mode: restore saved at the end */
	struct termios saved;
};

/* Open a pty if any of our fds 0, 1, 2 is a terminal. The slave replaces those of our fds that are
 * terminals; the others (a piped stdin) pass as they are. p->master is -1 when none was needed. root is an
 * O_PATH fd of the host's root (or -1): its own devpts is used when it has one, else the
 * machine's /dev/ptmx. The slave gets the admin's terminal settings and window
 * size. Nothing of our terminal changes yet (see pty_relay). */
int pty_open(struct pty *p, int root, struct lab_error **err);

/* The signals pty_relay handles; block them (sigprocmask) before forking the command's side, and
 * restore the old mask in the child. */
void pty_signals(sigset_t *set);

/* In the child, before joining the host: put the slave on the fds in p->on, close the master and
 * the slave's own fd. Returns the fd to make the controlling tty (TIOCSCTTY after setsid). */
int pty_child_fds(struct pty *p);

/* In the parent: raw mode on our terminal, then relay until child exits (its window size follows
 * SIGWINCH; SIGINT, SIGQUIT, SIGTERM and SIGHUP sent to us go to child), drain what it wrote,
 * close the master and restore our terminal (also on every error path). *out_status: child's exit
 * code, or 128+signal. The signals of pty_signals must be blocked. */
int pty_relay(struct pty *p, pid_t child, int *out_status, struct lab_error **err);

/* Close what p still holds (the parent's copy of the slave after forking, or all on failure). */
void pty_close(struct pty *p);

#endif
