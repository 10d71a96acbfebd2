/* The floor of building a lab: only the kernel work a lab of N hosts needs, done the cheapest way
 * this program knows, to divide netlab's times by (scripts/bench). Not part of netlab.
 *
 *   floor [--fs own|shared] [--prefix P] [--t0 USEC] [--hold] N
 *
 * Up: one bridge (P + "br", no multicast snooping, no IPv6); per host one process, the host's
 * init and nothing else, made by clone3 in new user, mount, PID, net, UTS and IPC namespaces,
 * its own 65536 uids and gids (the parent writes the maps); its root as netlab builds it
 * (src/rootfs.c): --fs own (default), a read-only idmapped non-recursive clone of / made by the
 * parent per host in a private staging mount namespace that the host copies (so the kernel locks
 * it), a tmpfs upper and an overlay with userxattr; --fs shared, a read-only bind of / that every
 * host copies at clone. Then, inside the host: proc, sysfs, /dev (tmpfs, six device binds, devpts,
 * shm, mqueue, symlinks), tmpfs /run, /tmp and /var/tmp, pivot_root, the old root detached, lo up.
 * Per host one veth (RTM_NEWLINK with the peer made directly in the host's netns as eth0, one
 * queue each, the machine's end on the bridge, IPv6 off there), one IPv4 address on eth0, eth0 up
 * (no IPv6 address generation), the machine's end up last. Raw rtnetlink; the netlink socket of a
 * host's netns is opened by the host and passed to us with its "ready".
 * Two threads: one clones and stages hosts, the other cables them as they report ready (netlab
 * too clones beside the cabling).
 * Down: one RTM_DELLINK for the netdevice group (all veths and the bridge), SIGKILL to each host,
 * and return once each is reaped. Not done (netlab does them): hostname files, the machine's
 * secrets hidden, runtime dirs, sysctls, cgroups, /run/netns mounts, state, nftables, IPv6.
 *
 * Prints "up MS down MS cpu MS" (cpu: the CPU time of the up, ours and the hosts'). --t0: the wall
 * clock (CLOCK_REALTIME, microseconds, bash's ${EPOCHREALTIME/./}) when the caller started us, so
 * "up" counts our start too, as it does for a netlab timed from the outside. Everything it made
 * is gone when it exits, error or not; killed, its hosts end at the end of their sockets, and only
 * the bridge can remain (ip link del P"br"). --hold: once up, print each host's name and PID, and
 * wait for a line on stdin before the down (to look at the lab). Run as root. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STAGE "/mnt"		/* in our own mount namespace only, as netlab's ROOTFS_STAGE */
#define SLOTS 16		/* lowers per batch tmpfs: one umount detaches a whole batch */
#define ID_BASE 1000000000u
#define ID_COUNT 65536u
#define TIMEOUT_MS 10000
#define MAX_HOSTS 9999

enum { OWN, SHARED };

struct host {
	pid_t pid;
	int pidfd;
	int sock;		/* our end of the host's socketpair: "go" to it, "ready" from it */
	char name[16];
	char slot[48];		/* own: where its lower is staged */
	char opts[192];		/* own: its overlay's options */
};

struct report {			/* host to us: err 0 is "ready" (with its netlink socket) */
	int32_t err;
	char what[60];
};

static int mode = OWN, nl = -1;
static const char *prefix = "flr";
static uint32_t group;
static size_t n_hosts;
static struct host *hosts;
static int bridge;
static ino_t own_mnt;

/* The threads: the spawner publishes how many hosts it has made; either records the first error. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static size_t spawned;
static bool failed;
static char failure[256];

static void fail_at(int e, const char *fmt, ...)
{
	va_list ap;
	char msg[200];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&mu);
	if (!failed)
		snprintf(failure, sizeof(failure), "%s%s%s", msg, e ? ": " : "", e ? strerror(e) : "");
	failed = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static bool has_failed(void)
{
	bool f;

	pthread_mutex_lock(&mu);
	f = failed;
	pthread_mutex_unlock(&mu);
	return f;
}

static int64_t now_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------------------------ rtnetlink */

struct req {
	struct nlmsghdr h;
	char buf[1024 - sizeof(struct nlmsghdr)];
};

static void req_init(struct req *r, uint16_t type, uint16_t flags, const void *hdr, size_t len)
{
	static uint32_t seq;

	memset(r, 0, sizeof(*r));
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->h.nlmsg_seq = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	r->h.nlmsg_len = NLMSG_LENGTH(len);
	memcpy(NLMSG_DATA(&r->h), hdr, len);
}

static struct nlattr *put(struct req *r, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void put_u32(struct req *r, uint16_t type, uint32_t v)
{
	put(r, type, &v, sizeof(v));
}

static void put_str(struct req *r, uint16_t type, const char *s)
{
	put(r, type, s, strlen(s) + 1);
}

static void nest_end(struct req *r, struct nlattr *a)
{
	a->nla_len = (uint16_t)((char *)r + r->h.nlmsg_len - (char *)a);
}

/* Send k requests in one datagram and read their k acks; an echoed RTM_NEWLINK fills *ifindex and
 * *link (a veth's peer). Returns 0 or -errno (the first error). */
static int talk(int fd, struct req *r, size_t k, int *ifindex, int *link)
{
	char out[4096], in[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len = 0, acks = 0;
	int e = 0;

	for (size_t i = 0; i < k; i++) {
		memcpy(out + len, &r[i], r[i].h.nlmsg_len);
		len += NLMSG_ALIGN(r[i].h.nlmsg_len);
	}
	{
		struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

		if (sendto(fd, out, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)len)
			return -errno;
	}
	while (acks < k) {
		ssize_t got = recv(fd, in, sizeof(in), 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)in; NLMSG_OK(h, (size_t)got);
		     h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

				if (err && !e)
					e = err;
				acks++;
			} else if (h->nlmsg_type == RTM_NEWLINK && ifindex) {
				struct ifinfomsg *ifi = NLMSG_DATA(h);
				int alen = (int)IFLA_PAYLOAD(h);

				*ifindex = ifi->ifi_index;
				for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
					if (a->rta_type == IFLA_LINK && link)
						memcpy(link, RTA_DATA(a), sizeof(*link));
			}
		}
	}
	return e;
}

static void link_req(struct req *r, int ifindex, unsigned flags, unsigned change, uint16_t nlflags)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags,
				 .ifi_change = change };

	req_init(r, RTM_NEWLINK, nlflags, &ifi, sizeof(ifi));
}

static int no_ipv6(const char *name)	/* on a link of our netns, before it has carrier */
{
	char path[80];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (write(fd, "1", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

/* ------------------------------------------------------------------------------ in the host */

/* A host after clone3 runs this alone: no malloc, no stdio, raw id syscalls (glibc would signal
 * the threads it believes we still have). */
__attribute__((noreturn)) static void host_fail(int sock, const char *what)
{
	struct report r = { .err = errno ? errno : EIO };

	strncpy(r.what, what, sizeof(r.what) - 1);
	send(sock, &r, sizeof(r), MSG_NOSIGNAL);
	_exit(1);
}

#define TRY(call, what) do { if ((call) < 0) host_fail(sock, what); } while (0)

static void host_mount(int sock, const char *src, const char *dst, const char *type,
		       unsigned long flags, const char *opts)
{
	if (mount(src, dst, type, flags, opts) < 0)
		host_fail(sock, dst);
}

__attribute__((noreturn)) static void host_main(const struct host *h, int sock)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = { { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" } };
	const unsigned long nse = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char c, path[64];
	int fd;

	/* our socket only: a host holding another's would keep it alive past our end */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);
	if (read(sock, &c, 1) != 1)
		_exit(1);		/* the maps (and an own root's lower) are there */
	if (mode == OWN)		/* copy the stage now: less privileged, so locked */
		TRY(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
	TRY(syscall(SYS_setgroups, 0, NULL), "setgroups");
	TRY(syscall(SYS_setresgid, 0, 0, 0), "setresgid");
	TRY(syscall(SYS_setresuid, 0, 0, 0), "setresuid");
	TRY(sethostname(h->name, strlen(h->name)), "sethostname");
	if (mode == OWN) {
		host_mount(sock, "tmpfs", STAGE "/host", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1g");
		TRY(mkdir(STAGE "/host/u", 0755), "mkdir upper");
		TRY(mkdir(STAGE "/host/w", 0700), "mkdir work");
		host_mount(sock, "overlay", STAGE "/r", "overlay", 0, h->opts);
	} else {
		host_mount(sock, STAGE "/s", STAGE "/r", NULL, MS_BIND, NULL);
	}
	/* before the old root goes (mount_too_revealing) */
	host_mount(sock, "proc", STAGE "/r/proc", "proc", nse, NULL);
	host_mount(sock, "sysfs", STAGE "/r/sys", "sysfs", nse, NULL);
	host_mount(sock, "tmpfs", STAGE "/r/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		char src[16] = "/dev/";

		strcpy(path, STAGE "/r/dev/");
		strcat(path, nodes[i]);
		strcat(src, nodes[i]);
		TRY(fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666), path);
		close(fd);
		host_mount(sock, src, path, NULL, MS_BIND, NULL);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		strcpy(path, STAGE "/r/dev/");
		strcat(path, links[i][0]);
		TRY(symlink(links[i][1], path), path);
	}
	TRY(mkdir(STAGE "/r/dev/pts", 0755), "mkdir dev/pts");
	host_mount(sock, "devpts", STAGE "/r/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		   "newinstance,ptmxmode=0666,mode=620,gid=5");
	TRY(mkdir(STAGE "/r/dev/shm", 0755), "mkdir dev/shm");
	host_mount(sock, "tmpfs", STAGE "/r/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	TRY(mkdir(STAGE "/r/dev/mqueue", 0755), "mkdir dev/mqueue");
	host_mount(sock, "mqueue", STAGE "/r/dev/mqueue", "mqueue", nse, NULL);
	host_mount(sock, "tmpfs", STAGE "/r/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
	host_mount(sock, "tmpfs", STAGE "/r/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	host_mount(sock, "tmpfs", STAGE "/r/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	TRY(chdir(STAGE "/r"), "chdir");
	TRY(syscall(SYS_pivot_root, ".", "."), "pivot_root");
	TRY(umount2(".", MNT_DETACH), "detach the old root");
	TRY(chdir("/"), "chdir /");
	/* lo up, and the socket through which our netns is cabled */
	{
		struct req r;
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct report ok = { .err = 0 };
		struct iovec iov = { .iov_base = &ok, .iov_len = sizeof(ok) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf) };
		struct cmsghdr *cm;
		int e;

		TRY(fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), "netlink socket");
		link_req(&r, 1, IFF_UP, IFF_UP, 0);
		if ((e = talk(fd, &r, 1, NULL, NULL)) < 0) {
			errno = -e;
			host_fail(sock, "lo up");
		}
		memset(&ctl, 0, sizeof(ctl));
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(sock, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(ok))
			_exit(1);
		close(fd);
	}
	/* the host's init: until our end goes (down, or we died) */
	while (read(sock, &c, 1) > 0 || errno == EINTR)
		;
	_exit(0);
}

/* ---------------------------------------------------------------------------------- the stage */

static int batch, used = SLOTS;
static bool batch_mounted[2];
static size_t batch_first[2];	/* the first host of each batch */

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags,
	       const char *opts)
{
	if (mount(src, dst, type, flags, opts) < 0) {
		fail_at(errno, "mount %s on %s", type ? type : src, dst);
		return -1;
	}
	return 0;
}

static int stage_init(void)
{
	struct stat sb;

	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fail_at(errno, "a private mount namespace for the stage");
		return -1;
	}
	if (stat("/proc/self/ns/mnt", &sb) < 0) {
		fail_at(errno, "stat /proc/self/ns/mnt");
		return -1;
	}
	own_mnt = sb.st_ino;
	if (mnt("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		return -1;
	if (mkdir(STAGE "/host", 0755) < 0 || mkdir(STAGE "/r", 0755) < 0 || mkdir(STAGE "/s", 0755) < 0 ||
	    mkdir(STAGE "/b0", 0755) < 0 || mkdir(STAGE "/b1", 0755) < 0) {
		fail_at(errno, "directories of the stage");
		return -1;
	}
	if (mode == SHARED)	/* the root filesystem only, read-only, for every host */
		return mnt("/", STAGE "/s", NULL, MS_BIND, NULL) < 0 ||
		       mnt("none", STAGE "/s", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
			   NULL) < 0 ? -1 : 0;
	return 0;
}

static bool copied(pid_t pid)	/* has the host copied our mount namespace (or is it gone)? */
{
	char path[48];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	return stat(path, &sb) < 0 || sb.st_ino != own_mnt;
}

/* The slot for host i: a fresh batch when one is full, the other batch detached first, at once,
 * once all of its hosts have copied the stage. */
static int slot_next(size_t i)
{
	if (used == SLOTS) {
		int b = 1 - batch;
		char path[32];

		snprintf(path, sizeof(path), STAGE "/b%d", b);
		if (batch_mounted[b]) {
			for (size_t k = batch_first[b]; k < batch_first[b] + SLOTS; k++)
				for (int t = 0; !copied(hosts[k].pid); t++) {
					if (t > TIMEOUT_MS * 10 || has_failed()) {
						fail_at(0, "host %s did not copy the stage", hosts[k].name);
						return -1;
					}
					usleep(100);
				}
			if (umount2(path, MNT_DETACH) < 0) {
				fail_at(errno, "detach %s", path);
				return -1;
			}
			batch_mounted[b] = false;
		}
		if (mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
			return -1;
		batch_mounted[b] = true;
		for (int k = 0; k < SLOTS; k++) {
			char d[48];

			snprintf(d, sizeof(d), "%s/%d", path, k);
			if (mkdir(d, 0755) < 0) {
				fail_at(errno, "mkdir %s", d);
				return -1;
			}
		}
		batch = b;
		batch_first[b] = i;
		used = 0;
	}
	snprintf(hosts[i].slot, sizeof(hosts[i].slot), STAGE "/b%d/%d", batch, used++);
	snprintf(hosts[i].opts, sizeof(hosts[i].opts),
		 "lowerdir=%s,upperdir=" STAGE "/host/u,workdir=" STAGE "/host/w,userxattr", hosts[i].slot);
	return 0;
}

/* The host's lower: / (not recursive), idmapped with its user namespace, read-only, nodev. */
static int stage_lower(struct host *h)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_IDMAP };
	char path[48];
	int ufd, mfd, r = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)h->pid);
	if ((ufd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fail_at(errno, "open %s", path);
		return -1;
	}
	attr.userns_fd = (uint64_t)ufd;
	mfd = open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mfd < 0)
		fail_at(errno, "open_tree /");
	else if (mount_setattr(mfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		fail_at(errno, "idmap the clone of /");
	else if (move_mount(mfd, "", AT_FDCWD, h->slot, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		fail_at(errno, "attach the clone of / at %s", h->slot);
	else
		r = 0;
	if (mfd >= 0)
		close(mfd);
	close(ufd);
	return r;
}

/* ------------------------------------------------------------------------------- the spawner */

struct clone_args_v0 {	/* <linux/sched.h>'s struct clone_args, version 0 */
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static int write_map(pid_t pid, const char *which, size_t i)
{
	char path[48], map[48];
	int fd, len, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	len = snprintf(map, sizeof(map), "0 %u %u\n", ID_BASE + (unsigned)i * ID_COUNT, ID_COUNT);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, map, (size_t)len) != len)
		r = -1, fail_at(errno, "write %s", path);
	if (fd >= 0)
		close(fd);
	return r;
}

static int spawn(size_t i)
{
	struct host *h = &hosts[i];
	struct clone_args_v0 args = { .exit_signal = SIGCHLD };
	int sp[2];
	pid_t pid;

	snprintf(h->name, sizeof(h->name), "h%u", (unsigned)(i + 1) % 100000);
	if (mode == OWN && slot_next(i) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		fail_at(errno, "socketpair");
		return -1;
	}
	args.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC |
		     CLONE_PIDFD | (mode == SHARED ? CLONE_NEWNS : 0);
	args.pidfd = (uint64_t)(uintptr_t)&h->pidfd;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		host_main(h, sp[1]);
	close(sp[1]);
	if (pid < 0) {
		fail_at(errno, "clone3");
		close(sp[0]);
		return -1;
	}
	h->pid = pid;
	h->sock = sp[0];
	if (write_map(pid, "uid_map", i) < 0 || write_map(pid, "gid_map", i) < 0 ||
	    (mode == OWN && stage_lower(h) < 0))
		return -1;
	if (send(h->sock, "G", 1, MSG_NOSIGNAL) != 1) {
		fail_at(errno, "start host %s", h->name);
		return -1;
	}
	return 0;
}

static void *spawner(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < n_hosts && !has_failed(); i++) {
		if (spawn(i) < 0)
			break;
		pthread_mutex_lock(&mu);
		spawned = i + 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

/* --------------------------------------------------------------------------------- the cabler */

static int ready(struct host *h)	/* its report; returns its netlink socket */
{
	struct report r;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct pollfd p = { .fd = h->sock, .events = POLLIN };
	struct cmsghdr *cm;
	int fd = -1;
	ssize_t got = 0;

	if (poll(&p, 1, TIMEOUT_MS) != 1 || (got = recvmsg(h->sock, &m, MSG_CMSG_CLOEXEC)) <= 0) {
		fail_at(0, "host %s did not report ready", h->name);
		return -1;
	}
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	if (got != sizeof(r) || r.err || fd < 0) {
		r.what[sizeof(r.what) - 1] = '\0';
		fail_at(r.err, "host %s: %s", h->name, got == sizeof(r) ? r.what : "bad report");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int cable(size_t i)
{
	struct host *h = &hosts[i];
	struct req r[2];
	struct nlattr *info, *data, *peer, *af, *in6;
	struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC };
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 16 };
	char name[IFNAMSIZ];
	uint8_t addr[4] = { 10, 79, (uint8_t)((i + 1) / 250), (uint8_t)((i + 1) % 250 + 1) };
	int hnl, ifindex = 0, eth0 = 0, e;

	if ((hnl = ready(h)) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s%zu", prefix, i + 1);
	/* the pair: our end on the bridge, down; eth0 made in the host's netns */
	link_req(&r[0], 0, 0, 0, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
	put_str(&r[0], IFLA_IFNAME, name);
	put_u32(&r[0], IFLA_GROUP, group);
	put_u32(&r[0], IFLA_MASTER, (uint32_t)bridge);
	put_u32(&r[0], IFLA_NUM_TX_QUEUES, 1);
	put_u32(&r[0], IFLA_NUM_RX_QUEUES, 1);
	info = put(&r[0], IFLA_LINKINFO, NULL, 0);
	put_str(&r[0], IFLA_INFO_KIND, "veth");
	data = put(&r[0], IFLA_INFO_DATA, NULL, 0);
	peer = put(&r[0], VETH_INFO_PEER, &pifi, sizeof(pifi));
	put_str(&r[0], IFLA_IFNAME, "eth0");
	put_u32(&r[0], IFLA_NET_NS_PID, (uint32_t)h->pid);
	put_u32(&r[0], IFLA_NUM_TX_QUEUES, 1);
	put_u32(&r[0], IFLA_NUM_RX_QUEUES, 1);
	nest_end(&r[0], peer);
	nest_end(&r[0], data);
	nest_end(&r[0], info);
	if ((e = talk(nl, r, 1, &ifindex, &eth0)) < 0 || !ifindex || !eth0) {
		fail_at(e < 0 ? -e : 0, "create veth %s (peer eth0 in %s)%s", name, h->name,
			e < 0 ? "" : ": no echo (Linux >= 6.3 has it)");
		goto fail;
	}
	if ((e = no_ipv6(name)) < 0) {
		fail_at(-e, "disable IPv6 on %s", name);
		goto fail;
	}
	/* inside: the address, eth0 up without IPv6 address generation */
	req_init(&r[0], RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	((struct ifaddrmsg *)NLMSG_DATA(&r[0].h))->ifa_index = (uint32_t)eth0;
	put(&r[0], IFA_LOCAL, addr, 4);
	put(&r[0], IFA_ADDRESS, addr, 4);
	link_req(&r[1], eth0, IFF_UP, IFF_UP, 0);
	af = put(&r[1], IFLA_AF_SPEC, NULL, 0);
	in6 = put(&r[1], AF_INET6, NULL, 0);
	put(&r[1], IFLA_INET6_ADDR_GEN_MODE, &(uint8_t){ IN6_ADDR_GEN_MODE_NONE }, 1);
	nest_end(&r[1], in6);
	nest_end(&r[1], af);
	if ((e = talk(hnl, r, 2, NULL, NULL)) < 0) {
		fail_at(-e, "address and eth0 up in %s", h->name);
		goto fail;
	}
	close(hnl);
	/* our end up last: its bridge port is enabled once */
	link_req(&r[0], ifindex, IFF_UP, IFF_UP, 0);
	if ((e = talk(nl, r, 1, NULL, NULL)) < 0) {
		fail_at(-e, "set %s up", name);
		return -1;
	}
	return 0;
fail:
	close(hnl);
	return -1;
}

static void *cabler(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < n_hosts; i++) {
		pthread_mutex_lock(&mu);
		while (spawned <= i && !failed)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		if (has_failed() || cable(i) < 0)
			break;
	}
	return NULL;
}

/* ----------------------------------------------------------------------------------------- main */

static int make_bridge(void)
{
	char name[IFNAMSIZ];
	struct req r;
	struct nlattr *info, *data;
	int e;

	snprintf(name, sizeof(name), "%sbr", prefix);
	link_req(&r, 0, 0, 0, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
	put_str(&r, IFLA_IFNAME, name);
	put_u32(&r, IFLA_GROUP, group);
	info = put(&r, IFLA_LINKINFO, NULL, 0);
	put_str(&r, IFLA_INFO_KIND, "bridge");
	data = put(&r, IFLA_INFO_DATA, NULL, 0);
	put(&r, IFLA_BR_MCAST_SNOOPING, &(uint8_t){ 0 }, 1);
	nest_end(&r, data);
	nest_end(&r, info);
	if ((e = talk(nl, &r, 1, &bridge, NULL)) < 0 || !bridge) {
		fail_at(-e, "create bridge %s", name);
		return -1;
	}
	if ((e = no_ipv6(name)) < 0) {
		fail_at(-e, "disable IPv6 on %s", name);
		return -1;
	}
	link_req(&r, bridge, IFF_UP, IFF_UP, 0);
	if ((e = talk(nl, &r, 1, NULL, NULL)) < 0) {
		fail_at(-e, "set %s up", name);
		return -1;
	}
	return 0;
}

/* CPU time the lab took so far, ms: ours (both threads) and each host's (its own setup). */
static double cpu_ms(void)
{
	struct rusage ru;
	double ms = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	for (size_t i = 0; i < n_hosts; i++) {
		char path[48];
		unsigned long long ns = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)hosts[i].pid);
		if ((f = fopen(path, "re"))) {
			if (fscanf(f, "%llu", &ns) == 1)
				ms += (double)ns / 1e6;
			fclose(f);
		}
	}
	return ms;
}

/* Everything we made: the links at once, then the hosts. Returns 0 or -1 (links left). */
static int teardown(void)
{
	struct req r;
	int e, rc = 0;

	if (bridge) {
		link_req(&r, 0, 0, 0, 0);
		r.h.nlmsg_type = RTM_DELLINK;
		put_u32(&r, IFLA_GROUP, group);
		if ((e = talk(nl, &r, 1, NULL, NULL)) < 0) {
			fprintf(stderr, "floor: delete the links of group %u: %s\n", group, strerror(-e));
			rc = -1;
		}
	}
	for (size_t i = 0; i < n_hosts; i++)
		if (hosts[i].pid > 0)
			syscall(SYS_pidfd_send_signal, hosts[i].pidfd, SIGKILL, NULL, 0);
	for (size_t i = 0; i < n_hosts; i++)
		if (hosts[i].pid > 0) {
			while (waitpid(hosts[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
			close(hosts[i].pidfd);
			close(hosts[i].sock);
		}
	return rc;
}

int main(int argc, char **argv)
{
	int64_t t0 = now_us(CLOCK_REALTIME), t_up, t1;
	double cpu;
	pthread_t ts, tc;
	char *end;
	long n;
	int i = 1, rc;
	bool hold = false;

	for (; i < argc - 1 && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--hold")) {
			hold = true;
			i--;
		} else if (!strcmp(argv[i], "--fs") && !strcmp(argv[i + 1], "own"))
			mode = OWN;
		else if (!strcmp(argv[i], "--fs") && !strcmp(argv[i + 1], "shared"))
			mode = SHARED;
		else if (!strcmp(argv[i], "--prefix") && strlen(argv[i + 1]) <= 6 && *argv[i + 1])
			prefix = argv[i + 1];
		else if (!strcmp(argv[i], "--t0"))
			t0 = strtoll(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (i != argc - 1 || (n = strtol(argv[i], &end, 10)) < 1 || n > MAX_HOSTS || *end) {
		fprintf(stderr, "usage: floor [--fs own|shared] [--prefix P] [--t0 USEC] [--hold] N (1..%d)\n",
			MAX_HOSTS);
		return 2;
	}
	n_hosts = (size_t)n;
	group = 0x464c0000u | ((uint32_t)getpid() & 0xffff);	/* "FL" */
	hosts = calloc(n_hosts, sizeof(*hosts));
	if (!hosts) {
		perror("floor");
		return 1;
	}
	for (size_t k = 0; k < n_hosts; k++)
		hosts[k].pidfd = hosts[k].sock = -1;
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0) {
		perror("floor: netlink socket");
		return 1;
	}
	if (stage_init() == 0 && make_bridge() == 0) {
		pthread_create(&ts, NULL, spawner, NULL);
		pthread_create(&tc, NULL, cabler, NULL);
		pthread_join(ts, NULL);
		pthread_join(tc, NULL);
	}
	t_up = now_us(CLOCK_REALTIME);
	cpu = failed ? 0 : cpu_ms();
	if (hold && !failed) {	/* to look at the lab: until a line (or the end) on stdin */
		char line[8];

		for (size_t k = 0; k < n_hosts; k++)
			printf("%s %d\n", hosts[k].name, (int)hosts[k].pid);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			line[0] = '\0';
	}
	t1 = now_us(CLOCK_MONOTONIC);
	rc = teardown();
	if (failed) {
		fprintf(stderr, "floor: %s\n", failure);
		return 1;
	}
	printf("up %.1f down %.1f cpu %.1f\n", (double)(t_up - t0) / 1e3,
	       (double)(now_us(CLOCK_MONOTONIC) - t1) / 1e3, cpu);
	return rc < 0;
}
