/* The pty relay of `netlab exec`, `shell` and `console` (see pty.h). Modelled on util-linux's
 * lib/pty-session.c (what `su --pty` and `script` use): signalfd + poll, raw mode on the caller's
 * terminal, the slave's settings copied from it; a stdin that is not a terminal stays the command's. */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "util.h"

/* The host's own /dev/pts/ptmx, opened from outside through its root (root: an O_PATH fd of it):
 * resolved inside that root with no symlink followed (openat2, Linux 5.6), and taken only if it is
 * what it says, the ptmx of a devpts instance. -1 when the host has none (or root is -1). */
static int host_ptmx(int root)
{
	struct open_how how = { .flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	struct stat st;

	if (root < 0)
		return -1;
	fd = (int)syscall(SYS_openat2, root, "dev/pts/ptmx", &how, sizeof(how));
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 ||
	    minor(st.st_rdev) != 2 || fstatfs(fd, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC)
		return -1;
	return TAKE_FD(fd);
}

int pty_open(struct pty *p, int root, struct lab_error **err)
{
	_cleanup_close_ int master = -1, slave = -1;
	struct winsize ws;
	bool any = false;

	memset(p, 0, sizeof(*p));
	p->master = p->slave = p->out = p->tty = -1;
	for (int fd = 0; fd < 3; fd++) {
		p->on[fd] = isatty(fd);
		if (p->on[fd] && p->tty < 0)
			p->tty = fd;
		any |= p->on[fd];
	}
	/* no terminal involved (a shell fed by a pipe, a script's exec): nothing of the admin's to
	 * protect and none to relay. And never the slave in place of a stdin that is not a
	 * terminal: a pipe or file keeps its own end of file, which a pty could only imitate (a VEOF
	 * that an interactive shell's line editor, in non-canonical mode, takes for a key) */
	if (!any)
		return 0;
	/* the host's own devpts when it has one, so that the command's tty has a name there
	 * (ttyname, `tty`, ssh); else the machine's, opened before joining */
	master = host_ptmx(root);
	if (master < 0)
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return lab_err(err, errno, "open a pseudo-terminal (/dev/ptmx)");
	if (unlockpt(master) < 0)
		return lab_err(err, errno, "unlockpt");
	/* the slave by the master's fd (Linux >= 4.13), not by a path someone could swap */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return lab_err(err, errno, "open the pseudo-terminal's slave (TIOCGPTPEER)");
	if (p->tty >= 0 && tcgetattr(p->tty, &p->saved) == 0) {
		/* the command sees the admin's erase and interrupt characters, and its size */
		if (tcsetattr(slave, TCSANOW, &p->saved) < 0)
			return lab_err(err, errno, "set the pseudo-terminal's modes");
		if (ioctl(p->tty, TIOCGWINSZ, &ws) == 0 && ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return lab_err(err, errno, "set the pseudo-terminal's window size");
	}
	p->relay_in = p->on[0];
	p->raw = p->on[0] && isatty(0);
	if (p->raw && tcgetpgrp(0) != getpgrp()) {
		/* started in the background (`netlab exec h1 -- tcpdump &`): changing the
		 * terminal's modes would stop us (SIGTTOU) and its keys are for the foreground job,
		 * not for us */
		p->relay_in = p->raw = false;
	}
	/* the command's output and echo go to our stdout if it gets the slave there, else stderr,
	 * else the terminal its stdin is (`netlab exec h1 -- cat > file` still echoes) */
	p->out = p->on[1] ? 1 : p->on[2] ? 2 : isatty(0) ? 0 : -1;
	p->master = TAKE_FD(master);
	p->slave = TAKE_FD(slave);
	return 0;
}

void pty_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

int pty_child_fds(struct pty *p)
{
	int ctty = -1;

	for (int fd = 0; fd < 3; fd++) {
		if (!p->on[fd])
			continue;
		if (dup2(p->slave, fd) < 0)
			return -1;
		if (ctty < 0)
			ctty = fd;
	}
	close(p->master);
	close(p->slave);
	p->master = p->slave = -1;
	return ctty;
}

void pty_close(struct pty *p)
{
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	p->slave = p->master = -1;
}

/* Copy what the master has now to p->out; false once the slave side is gone (EIO) or at EOF. */
static bool pump_out(struct pty *p)
{
	char buf[4096];
	ssize_t n = TEMP_FAILURE_RETRY(read(p->master, buf, sizeof(buf)));

	if (n < 0 && errno == EAGAIN)
		return true;
	if (n <= 0)
		return false;
	/* a closed stdout drops it, as script does */
	if (p->out >= 0)
		(void)util_write_all(p->out, buf, (size_t)n);
	return true;
}

static void set_size(const struct pty *p)
{
	struct winsize ws;

	if (p->tty >= 0 && ioctl(p->tty, TIOCGWINSZ, &ws) == 0)
		ioctl(p->master, TIOCSWINSZ, &ws); /* the kernel sends the command SIGWINCH */
}

static int relay(struct pty *p, pid_t child, int *out_status, struct lab_error **err)
{
	_cleanup_close_ int sfd = -1;
	char pending[4096];
	size_t npending = 0, off = 0;
	bool in_open = p->relay_in, out_open = true;
	sigset_t set;
	int status;

	pty_signals(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return lab_err(err, errno, "signalfd");
	for (;;) {
		struct pollfd pf[3] = {
		    {.fd = sfd, .events = POLLIN},
		    {.fd = out_open ? p->master : -1, .events = POLLIN | (npending ? POLLOUT : 0)},
		    {.fd = in_open && !npending ? 0 : -1, .events = POLLIN},
		};
		struct signalfd_siginfo si;

		if (!out_open && npending)
			npending = 0; /* nobody reads the slave any more */
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return lab_err(err, errno, "poll");
		}
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			int sig = (int)si.ssi_signo;

			if (sig == SIGWINCH)
				set_size(p);
			else if (sig != SIGCHLD)
				kill(child, sig); /* the command's side passes it on */
		}
		if (waitpid(child, &status, WNOHANG) == child)
			break;
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR))
			out_open = pump_out(p);
		if (out_open && npending && (pf[1].revents & POLLOUT)) {
			ssize_t n = TEMP_FAILURE_RETRY(write(p->master, pending + off, npending));

			if (n > 0) {
				off += (size_t)n;
				npending -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN) {
				npending = 0;
			}
		}
		if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = TEMP_FAILURE_RETRY(read(0, pending, sizeof(pending)));

			off = 0;
			if (n > 0) {
				npending = (size_t)n;
			} else {
				struct termios t;

				/* end of a piped stdin: the command reads EOF (its VEOF, ^D), as
				 * util-linux's pty-session does; a terminal that went away has
				 * nothing more to say */
				in_open = false;
				if (!p->raw && tcgetattr(p->master, &t) == 0) {
					pending[0] = (char)t.c_cc[VEOF];
					npending = 1;
				}
			}
		}
	}
	/* the command has ended: what it wrote before is in the pty's buffer (bounded: a process
	 * left in the host may go on writing) */
	for (int reads = 0; out_open && reads < 1024 && pump_out(p); reads++) {
		struct pollfd pf = {.fd = p->master, .events = POLLIN};

		if (poll(&pf, 1, 0) <= 0)
			break;
	}
	*out_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

int pty_relay(struct pty *p, pid_t child, int *out_status, struct lab_error **err)
{
	struct termios raw;
	int r;

	if (p->raw) {
		raw = p->saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSANOW, &raw) < 0)
			p->raw = false; /* still relays; keys are then cooked twice */
	}
	fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);
	r = relay(p, child, out_status, err);
	if (r < 0) {
		/* poll or signalfd failed: end the command (its terminal hangs up) and reap it */
		kill(child, SIGHUP);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	/* closing the master hangs the slave up: what the host kept open of it reads nothing more
	 */
	close(p->master);
	p->master = -1;
	if (p->raw)
		tcsetattr(0, TCSADRAIN, &p->saved);
	return r;
}
