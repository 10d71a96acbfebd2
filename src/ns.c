#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "init.h"
#include "rootfs.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Order is significant: the user namespace comes first, so that the others are owned by it. */
const struct ns_kind ns_kinds[NS_KINDS_ALL] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },  { "pid", CLONE_NEWPID },
	{ "net", CLONE_NEWNET },   { "uts", CLONE_NEWUTS }, { "ipc", CLONE_NEWIPC },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static int host_ns_flags(void)
{
	int flags = 0;

	for (int i = 0; i < NS_KINDS; i++)
		flags |= ns_kinds[i].flag;
	return flags;
}

/* struct clone_args of <linux/sched.h>, version 0 (64 bytes): that header clashes with glibc's */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

enum { MSG_GO = 'G', MSG_COMMIT = 'C', MSG_STAGED = 'S' };

struct ns_report {
	uint64_t start;		/* ready: the host's start time (/proc/PID/stat, field 22) */
	int32_t failed;
	int32_t errnum;
	char msg[488];
};

int ns_become_root(struct lab_error **err)
{
	/* drop real root's supplementary groups first: group 0 outside must not come along */
	if (setgroups(0, NULL) < 0)
		return lab_err(err, errno, "setgroups");
	if (setresgid(0, 0, 0) < 0)
		return lab_err(err, errno, "setresgid to root of the host");
	if (setresuid(0, 0, 0) < 0)
		return lab_err(err, errno, "setresuid to root of the host");
	return 0;
}

/* The host's clone flags: an own root copies the mount namespace later, once it is staged. */
static int spec_clone_flags(const struct ns_spec *spec)
{
	int flags = host_ns_flags() | spec->extra_flags;

	return spec->fs == ROOTFS_OWN ? flags & ~CLONE_NEWNS : flags;
}

static void rootfs_spec_of(const struct ns_spec *spec, struct rootfs_spec *out)
{
	*out = (struct rootfs_spec){ .mode = spec->fs, .hostname = spec->hostname,
				     .hosts_path = spec->hosts_path,
				     .id_base = spec->id_base ? spec->id_base : NS_ID_BASE };
}

static int child_isolate(const struct ns_spec *spec, int sync_fd, struct lab_error **err)
{
	struct pollfd pfd = { .fd = sync_fd, .events = POLLIN };
	struct rootfs_spec rs;

	rootfs_spec_of(spec, &rs);
	/* nothing mounted in here may propagate back to the real machine, or in from it */
	/* "none": the type is ignored for propagation changes and binds (as iproute2 passes it) */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return lab_err(err, errno, "make mounts private");
	/* still real uid 0 here, so root-only /run/netlab and /run/netns can be written */
	if (spec->mountpoint && (!spec->mountpoint_of || link(spec->mountpoint_of, spec->mountpoint) < 0)) {
		int fd;

		if (spec->mountpoint_of && errno != EXDEV && errno != EPERM && errno != EMLINK &&
		    errno != EOPNOTSUPP)
			return lab_err(err, errno, "link %s to %s", spec->mountpoint,
				       spec->mountpoint_of);
		fd = open(spec->mountpoint, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
		if (fd < 0)
			return lab_err(err, errno, "create %s", spec->mountpoint);
		close(fd);
	}
	if (ns_become_root(err) < 0)
		return -1;
	/* a change of uid clears the parent-death signal: set it again, then make sure the
	 * parent did not die in between (its end of the socket would have hung up) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return lab_err(err, errno, "prctl(PR_SET_PDEATHSIG)");
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
		_exit(1);
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return lab_err(err, errno, "sethostname %s", spec->hostname);
	/* its own root (or the machine's, read-only), fresh /proc, /sys, /dev, /run, /tmp, and
	 * nothing of the machine's mounts left under them */
	if (rootfs_enter(&rs, err) < 0)
		return lab_err_wrap(err, "%s", rootfs_mode_text(rs.mode));
	for (size_t i = 0; spec->sysctl && spec->sysctl[i]; i++) {
		const char *eq = strchr(spec->sysctl[i], '=');
		char path[128];

		if (!eq)
			return lab_err(err, EINVAL, "sysctl %s: no value", spec->sysctl[i]);
		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - spec->sysctl[i]),
			 spec->sysctl[i]);
		if (util_write_file(path, eq + 1, err) < 0)
			return -1;
	}
	if (rootfs_runtime_dirs(&rs, err) < 0)
		return -1;
	if (chdir("/") < 0)
		return lab_err(err, errno, "chdir /");
	return 0;
}

static void report_fill(struct ns_report *r, const struct lab_error *e)
{
	memset(r, 0, sizeof(*r));
	if (e) {
		r->failed = 1;
		r->errnum = e->errnum;
		snprintf(r->msg, sizeof(r->msg), "%s", e->msg ? e->msg : "error");
	}
}

/* A report read back: 0, or < 0 with its error in *err. */
static int report_error(struct ns_report *r, struct lab_error **err)
{
	if (!r->failed)
		return 0;
	r->msg[sizeof(r->msg) - 1] = '\0';
	return lab_err(err, r->errnum, "%s", r->msg);
}

static void report(int sync_fd, const struct lab_error *e)
{
	struct ns_report r;

	report_fill(&r, e);
	(void)TEMP_FAILURE_RETRY(send(sync_fd, &r, sizeof(r), MSG_NOSIGNAL));
}

static int wait_msg(int sync_fd, char want)
{
	char c;
	ssize_t n = TEMP_FAILURE_RETRY(recv(sync_fd, &c, 1, 0));

	return n == 1 && c == want ? 0 : -1;
}

static void close_all_but(int keep)
{
	if (keep > 3)
		close_range(3, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0u, 0);
}

__attribute__((noreturn)) static void child_main(const struct ns_spec *spec, int sync_fd)
{
	struct lab_error *err = NULL;
	int fd;

	/* while `up` is building, a host dies with it: a killed `up` leaves little behind */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		/* an init must not hold the user's terminal or pipe open */
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	close_all_but(sync_fd);

	/* an own root: copy the parent's mount namespace once it has staged our root there; the
	 * copy is less privileged, so the kernel locks every mount in it (read-only stays so) */
	if (!(spec_clone_flags(spec) & CLONE_NEWNS)) {
		if (wait_msg(sync_fd, MSG_STAGED) < 0)
			_exit(1);
		if (unshare(CLONE_NEWNS) < 0) {
			err = NULL;
			lab_err(&err, errno, "unshare the staged mount namespace");
			report(sync_fd, err);
			_exit(1);
		}
	}
	if (wait_msg(sync_fd, MSG_GO) < 0)
		_exit(1);	/* parent gone or gave up */
	if (child_isolate(spec, sync_fd, &err) < 0) {
		report(sync_fd, err);
		_exit(1);
	}
	/* From here on, `up` going away ends us by the end of the socket, not by a signal: once
	 * it has sent the word, it may exit at once, and the word is read before the end. */
	prctl(PR_SET_PDEATHSIG, 0);
	{
		struct ns_report r = { .failed = 0 };
		unsigned long long start = 0;

		if (util_proc_starttime(getpid(), &start) < 0)	/* our own /proc: we are PID 1 */
			_exit(1);
		r.start = start;
		if (TEMP_FAILURE_RETRY(send(sync_fd, &r, sizeof(r), MSG_NOSIGNAL)) != (ssize_t)sizeof(r))
			_exit(1);
	}
	if (wait_msg(sync_fd, MSG_COMMIT) < 0)
		_exit(1);	/* `up` failed, or died: the lab is not recorded */
	close(sync_fd);	/* the lab is recorded: live until `down` */
	util_proctitle_set(spec->title);
	init_run();
}

static int spawn_error(struct lab_error **err, int e)
{
	if (e == EPERM || e == EACCES)
		return lab_err(err, e, "clone3 with new namespaces refused (user namespaces disabled? "
				       "check /proc/sys/user/max_user_namespaces, or boot with "
				       "user_namespace.enable=1 on CentOS 7)");
	if (e == ENOSPC || e == EUSERS)
		return lab_err(err, e, "clone3: namespace limit reached "
				       "(raise /proc/sys/user/max_*_namespaces)");
	return lab_err(err, e, "clone3 with new namespaces");
}

int ns_spawn(const struct ns_spec *spec, struct ns_child *out, struct lab_error **err)
{
	struct clone3_args args = { 0 };
	struct rootfs_spec rs;
	int sp[2], pidfd = -1;
	char path[64], map[64];
	pid_t pid;

	for (size_t i = 0; spec->cgroup_procs && spec->cgroup_procs[i]; i++)
		if (util_write_file(spec->cgroup_procs[i], "0", err) < 0)	/* "0": ourselves */
			return lab_err_wrap(err, "join the host's cgroup");
	rootfs_spec_of(spec, &rs);
	/* the stage (the first time; for a shared root, all of it: hosts copy it at clone), and
	 * for an own root the slot this host will find its root in */
	if (rootfs_stage(&rs, 0, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return lab_err(err, errno, "socketpair");
	args.flags = (uint64_t)(spec_clone_flags(spec) | CLONE_PIDFD);
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && errno == ENOSYS)	/* valgrind (and kernels before 5.3): clone(2) does it too */
		pid = (pid_t)syscall(SYS_clone, (unsigned long)args.flags | SIGCHLD, NULL, &pidfd, NULL, 0);
	if (pid < 0) {
		int e = errno;
		close(sp[0]);
		close(sp[1]);
		return spawn_error(err, e);
	}
	if (pid == 0) {
		close(sp[0]);
		child_main(spec, sp[1]);
	}
	close(sp[1]);
	out->pid = pid;
	out->pidfd = pidfd;
	out->sync_fd = sp[0];

	/* root inside is an unprivileged id outside: it cannot write the real machine's files */
	snprintf(map, sizeof(map), "0 %u %u\n", spec->id_base ? spec->id_base : NS_ID_BASE,
		 NS_ID_COUNT);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (util_write_file(path, map, err) < 0)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	if (util_write_file(path, map, err) < 0)
		goto fail;
	/* an own root: its read-only clone of / is idmapped with the user namespace it now has */
	if (!(args.flags & CLONE_NEWNS)) {
		char m = MSG_STAGED;

		if (rootfs_stage(&rs, pid, err) < 0)
			goto fail;
		/* it copies the stage at its own pace: rootfs.c frees the slot once it has */
		if (TEMP_FAILURE_RETRY(send(out->sync_fd, &m, 1, MSG_NOSIGNAL)) != 1) {
			lab_err(err, errno, "host process %d: its root is staged", (int)pid);
			goto fail;
		}
	}
	return 0;
fail:
	ns_abort(out);
	return -1;
}

int ns_go(struct ns_child *c, struct lab_error **err)
{
	char m = MSG_GO;

	if (TEMP_FAILURE_RETRY(send(c->sync_fd, &m, 1, MSG_NOSIGNAL)) != 1)
		return lab_err(err, errno, "start host process %d", (int)c->pid);
	return 0;
}

int ns_read_ready(struct ns_child *c, struct lab_error **err)
{
	struct ns_report r;
	ssize_t n = TEMP_FAILURE_RETRY(recv(c->sync_fd, &r, sizeof(r), 0));

	if (n < 0)
		return lab_err(err, errno, "read from host process %d", (int)c->pid);
	if (n != (ssize_t)sizeof(r))
		return lab_err(err, 0, "host process %d died while setting up", (int)c->pid);
	c->start = r.start;
	return report_error(&r, err);
}

int ns_commit(struct ns_child *c, struct lab_error **err)
{
	char m = MSG_COMMIT;

	if (TEMP_FAILURE_RETRY(send(c->sync_fd, &m, 1, MSG_NOSIGNAL)) != 1)
		return errno == EPIPE || errno == ECONNRESET
			       ? lab_err(err, 0, "host process %d died after it was ready", (int)c->pid)
			       : lab_err(err, errno, "commit host process %d", (int)c->pid);
	close(c->sync_fd);
	c->sync_fd = -1;
	return 0;
}

void ns_abort(struct ns_child *c)
{
	if (c->pid > 0) {
		if (c->pidfd >= 0)
			pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
		else
			kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->sync_fd >= 0)
		close(c->sync_fd);
	c->pidfd = c->sync_fd = -1;
}

/* ------------------------------------------------------------------------------- the spawner */

#define SPAWNER_FD 3
#define SPAWNER_TIMEOUT_MS 10000

struct spawn_reply {
	uint32_t index;
	int32_t pid;
	struct ns_report r;	/* failed: no fds come with it */
};

__attribute__((noreturn)) static void spawner_main(int fd, pid_t parent, ns_spawn_fn *fn, void *arg)
{
	uint32_t i;

	/* with `up` gone, uncommitted hosts go too: they die with us (PR_SET_PDEATHSIG) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, "netlab-spawner");
	if (fd != SPAWNER_FD && (dup2(fd, SPAWNER_FD) < 0 || close(fd) < 0))
		_exit(1);
	close_range(SPAWNER_FD + 1, ~0u, 0);	/* the point: each clone copies this table */
	while (TEMP_FAILURE_RETRY(recv(SPAWNER_FD, &i, sizeof(i), 0)) == (ssize_t)sizeof(i)) {
		struct ns_child c = { .pid = 0, .pidfd = -1, .sync_fd = -1 };
		struct spawn_reply rep = { .index = i };
		struct lab_error *e = NULL;
		union {
			char buf[CMSG_SPACE(2 * sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		int failed = fn(arg, i, &c, &e) < 0;

		report_fill(&rep.r, failed ? (e ? e : &(struct lab_error){ .msg = "spawn failed" }) : NULL);
		lab_err_free(&e);
		if (!failed) {
			struct cmsghdr *cm;
			int fds[2] = { c.pidfd, c.sync_fd };

			rep.pid = c.pid;
			memset(&ctl, 0, sizeof(ctl));
			m.msg_control = ctl.buf;
			m.msg_controllen = sizeof(ctl.buf);
			cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(fds));
			memcpy(CMSG_DATA(cm), fds, sizeof(fds));
		}
		if (TEMP_FAILURE_RETRY(sendmsg(SPAWNER_FD, &m, MSG_NOSIGNAL)) != (ssize_t)sizeof(rep))
			_exit(1);
		if (!failed) {	/* the host is `up`'s to handle now */
			close(c.pidfd);
			close(c.sync_fd);
		}
	}
	_exit(0);
}

int ns_spawner_start(struct ns_spawner *s, ns_spawn_fn *fn, void *arg, struct lab_error **err)
{
	pid_t parent = getpid(), pid;
	int sp[2], e;

	s->pid = 0;
	s->fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return lab_err(err, errno, "socketpair for the spawner");
	/* should the helper die, the hosts it made come to us, to be reaped */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		e = errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		e = errno;
		prctl(PR_SET_CHILD_SUBREAPER, 0);
		goto fail;
	}
	if (pid == 0) {
		close(sp[0]);
		spawner_main(sp[1], parent, fn, arg);
	}
	close(sp[1]);
	s->pid = pid;
	s->fd = sp[0];
	return 0;
fail:
	close(sp[0]);
	close(sp[1]);
	return lab_err(err, e, "start the spawner process");
}

int ns_spawner_ask(struct ns_spawner *s, size_t i, struct lab_error **err)
{
	uint32_t m = (uint32_t)i;

	if (TEMP_FAILURE_RETRY(send(s->fd, &m, sizeof(m), MSG_NOSIGNAL)) != (ssize_t)sizeof(m))
		return lab_err(err, errno, "ask the spawner (pid %d) for a host", (int)s->pid);
	return 0;
}

int ns_spawner_take(struct ns_spawner *s, size_t i, struct ns_child *out, struct lab_error **err)
{
	struct spawn_reply rep;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	struct cmsghdr *cm;
	int fds[2] = { -1, -1 };
	ssize_t n;

	n = TEMP_FAILURE_RETRY(poll(&p, 1, SPAWNER_TIMEOUT_MS));
	if (n == 0)
		return lab_err(err, ETIMEDOUT, "the spawner (pid %d) did not answer", (int)s->pid);
	n = n < 0 ? -1 : TEMP_FAILURE_RETRY(recvmsg(s->fd, &m, MSG_CMSG_CLOEXEC));
	if (n < 0)
		return lab_err(err, errno, "read from the spawner (pid %d)", (int)s->pid);
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
		memcpy(fds, CMSG_DATA(cm), cm->cmsg_len >= CMSG_LEN(sizeof(fds)) ? sizeof(fds) : sizeof(int));
	if (n != (ssize_t)sizeof(rep) || rep.index != i || (!rep.r.failed && fds[1] < 0)) {
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return n == 0 ? lab_err(err, 0, "the spawner (pid %d) died", (int)s->pid)
			      : lab_err(err, EPROTO, "bad answer from the spawner (pid %d)", (int)s->pid);
	}
	if (report_error(&rep.r, err) < 0)
		return -1;
	out->pid = rep.pid;
	out->pidfd = fds[0];
	out->sync_fd = fds[1];
	return 0;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

void ns_spawner_finish(struct ns_spawner *s)
{
	/* committed hosts outlive us: when the helper goes, they go to init, not to us */
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	if (s->fd >= 0)
		close(s->fd);	/* the helper reads the end of its requests, and exits */
	if (s->pid > 0)
		reap(s->pid);
	s->fd = -1;
	s->pid = 0;
}

void ns_spawner_abort(struct ns_spawner *s, struct ns_child *known, size_t n)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);	/* our unreaped child: the PID is still its */
		reap(s->pid);
	}
	/* hosts in flight (made, not yet handed to us) lose their socket with it */
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->pid = 0;
	for (size_t i = 0; i < n; i++) {
		if (known[i].pid > 0 && known[i].pidfd >= 0)
			pidfd_send_signal(known[i].pidfd, SIGKILL, NULL, 0);
		if (known[i].sync_fd >= 0)
			close(known[i].sync_fd);
		known[i].sync_fd = -1;
	}
	/* All of them are ours now, and each one dies: by SIGKILL, by its parent-death signal, or at
	 * the end of its socket. Reap them all, so that none acts after we return. */
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int ns_pidfd_verified(pid_t pid, unsigned long long start_ticks, struct lab_error **err)
{
	unsigned long long now;
	int fd;

	if (pid <= 0)
		return lab_err(err, ESRCH, "no process recorded");
	fd = pidfd_open(pid, 0);
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : lab_err(err, errno, "pidfd_open %d", (int)pid);
	/* (-ENOSYS, e.g. under valgrind, lets callers fall back to a checked kill) */
	/* the pidfd pins whatever process has this PID now: make sure it is the one we started */
	if (util_proc_starttime(pid, &now) < 0 || now != start_ticks) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

int ns_enter(int pidfd, int extra_flags, struct lab_error **err)
{
	/* one setns with a pidfd joins all of them at once, the user namespace first (Linux >= 5.8) */
	if (setns(pidfd, host_ns_flags() | extra_flags) < 0)
		return lab_err(err, errno, "setns into the host's namespaces");
	return 0;
}

unsigned long ns_inode(pid_t pid, const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}
