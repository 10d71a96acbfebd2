#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/ipv6.h"
#include "../src/state.h"

int run_argv(struct run *r, char *const argv[])
{
	int out[2], err[2], status;
	size_t no = 0, ne = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return r->status = -1;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			char buf[4096];
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			char *dst = i == 0 ? r->out : r->err;
			size_t cap = i == 0 ? sizeof(r->out) : sizeof(r->err), *len = i == 0 ? &no : &ne;
			size_t take = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;
			memcpy(dst + *len, buf, take);
			*len += take;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r->status;
}

static int run_va(struct run *r, const char *prefix, const char *first, va_list ap)
{
	char *argv[64];
	int n = 0;

	if (prefix)
		argv[n++] = (char *)prefix;
	for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	argv[n] = NULL;
	return run_argv(r, argv);
}

int run(struct run *r, const char *first, ...)
{
	va_list ap;
	int s;

	va_start(ap, first);
	s = run_va(r, NULL, first, ap);
	va_end(ap);
	return s;
}

const char *netlab_bin(void)
{
	const char *b = getenv("NETLAB");
	return b && *b ? b : "./netlab";
}

int nl(struct run *r, const char *first, ...)
{
	va_list ap;
	int s;

	va_start(ap, first);
	s = run_va(r, netlab_bin(), first, ap);
	va_end(ap);
	return s;
}

int nl_sh(struct run *r, const char *lab, const char *host, const char *script)
{
	char target[64];

	snprintf(target, sizeof(target), "%s/%s", lab, host);
	return nl(r, "exec", target, "--", "sh", "-c", script, NULL);
}

void lab_up_or_die(const char *lab, const char *subnet, const char *hosts, const char *empty)
{
	static struct run r;

	nl(&r, "up", hosts, "--name", lab, "--subnet", subnet, "--empty", empty, "-q", NULL);
	cr_assert_eq(r.status, 0, "netlab up %s failed (%d): %s", lab, r.status, r.err);
}

void lab_up_unique(char name[16], const char *prefix, const char *hosts, const char *empty)
{
	static struct run r;

	int mod = 1;

	/* 8 characters (the tests keep lab names in char[16]): as many PID digits as fit */
	for (size_t i = strlen(prefix); i < 8; i++)
		mod *= 10;
	snprintf(name, 16, "%s%d", prefix, (int)(getpid() % mod));
	nl(&r, "up", hosts, "--name", name, "--empty", empty, "-q", NULL);
	cr_assert_eq(r.status, 0, "netlab up %s failed (%d): %s", name, r.status, r.err);
}

void sample_lab(struct lab *out)
{
	static struct lab_segment segs[2];
	static struct lab_host hosts[4];
	static const struct { const char *name; bool router; int nif; unsigned seg[2]; uint32_t addr[2]; }
		plan[4] = {
			{ "h1", false, 1, { 0 }, { 0x0a4d0101 } },
			{ "r1", true, 2, { 0, 1 }, { 0x0a4d01fe, 0x0a4d02fe } },
			{ "h2", false, 1, { 1 }, { 0x0a4d0201 } },
			{ "e1", false, 0, { 0 }, { 0 } },
		};

	memset(segs, 0, sizeof(segs));
	memset(hosts, 0, sizeof(hosts));
	*out = (struct lab){ .number = 7, .complete = true, .from_file = true, .builder = 99,
			     .builder_start = 4999, .extra_ns = LAB_NS_CGROUP | LAB_NS_TIME,
			     .nsegs = 2, .segs = segs, .nhosts = 4, .hosts = hosts };
	snprintf(out->name, sizeof(out->name), "lab");
	for (int g = 0; g < 2; g++) {
		snprintf(segs[g].name, sizeof(segs[g].name), "lan%c", '1' + g);
		snprintf(segs[g].bridge, sizeof(segs[g].bridge), "lab-lan%c", '1' + g);
		segs[g].subnet = (struct ipv4_net){ 0x0a4d0100 + ((uint32_t)g << 8), 24 };
	}
	segs[0].has6 = true;	/* lan2: IPv4 only */
	ipv6_lab_net(7, 1, &segs[0].subnet6);
	for (int i = 0; i < 4; i++) {
		struct lab_host *h = &hosts[i];

		snprintf(h->name, sizeof(h->name), "%s", plan[i].name);
		h->router = plan[i].router;
		h->nifaces = (size_t)plan[i].nif;
		h->networked = plan[i].nif > 0;
		h->pid = 100 + i;
		h->start = 5000 + (unsigned)i;
		for (int k = 0; k < plan[i].nif; k++) {
			struct lab_iface *x = &h->ifaces[k];

			snprintf(x->name, sizeof(x->name), "eth%d", k);
			x->seg = plan[i].seg[k];
			x->addr = plan[i].addr[k];
			if (segs[x->seg].has6)
				ipv6_host(&segs[x->seg].subnet6, x->addr & 0xff, x->addr6);
			snprintf(x->veth, sizeof(x->veth), k ? "lab-%s-%d" : "lab-%s", h->name, k);
		}
	}
}

const char *lab_host(const char *lab, const char *host)
{
	static char buf[4][64];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", lab, host);
	return buf[k];
}

const char *lab_netns(const char *lab, const char *host)
{
	static char buf[2][64];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s-%s", lab, host);
	return buf[k];
}

void lab_down_quiet(const char *lab)
{
	static struct run r;

	nl(&r, "down", lab, NULL);
}

pid_t host_pid(const char *lab, const char *host)
{
	char path[128], line[256], want[64];
	FILE *f;
	pid_t pid = 0;

	snprintf(path, sizeof(path), "/run/netlab/%s/state", lab);
	snprintf(want, sizeof(want), "host %s ", host);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		int p;

		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line, "host %63s %d", name, &p) == 2)	/* "host NAME PID START ..." */
			pid = p;
	}
	fclose(f);
	return pid;
}

unsigned state_number(const char *lab)
{
	char path[128], line[256];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/run/netlab/%s/state", lab);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f) && sscanf(line, "number %u", &n) != 1)
		;
	fclose(f);
	return n;
}

bool state_bridge(const char *lab, const char *seg, char out[16])
{
	char path[128], line[256], name[64], bridge[16];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/run/netlab/%s/state", lab);
	if (!(f = fopen(path, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "segment ", 8) && sscanf(line, "segment %63s %15s", name, bridge) == 2 &&
		    (!seg || !strcmp(seg, name))) {
			snprintf(out, 16, "%s", bridge);
			found = true;
		}
	fclose(f);
	return found;
}

bool state_veth(const char *lab, const char *host, int k, char out[16])
{
	char path[128], line[256], name[64], ifname[16], veth[16];
	bool in_host = false, found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/run/netlab/%s/state", lab);
	if (!(f = fopen(path, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char want[16];

		if (!strncmp(line, "host ", 5) && sscanf(line, "host %63s", name) == 1)
			in_host = !strcmp(name, host);
		snprintf(want, sizeof(want), "eth%d", k);
		if (in_host && sscanf(line, "iface %15s %*u %*s %*s %15s", ifname, veth) == 2 &&
		    !strcmp(ifname, want)) {
			snprintf(out, 16, "%s", veth);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool live = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		live = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return live;
}

/* A process with the lab's hosts file bound over its /etc/hosts: one of the lab's hosts, even one
 * that `up` made but never recorded. Its mount table names the file ("//deleted" once removed). */
static pid_t lab_host_process(const char *lab)
{
	char needle[64], path[64], line[512];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	snprintf(needle, sizeof(needle), "netlab/%s/hosts", lab);
	while (d && !found && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", atoi(e->d_name));
		if (!(f = fopen(path, "r")))
			continue;	/* gone meanwhile */
		while (!found && fgets(line, sizeof(line), f))
			if (strstr(line, needle) && strstr(line, " /etc/hosts "))
				found = (pid_t)atoi(e->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

bool lab_leftovers(const char *lab, const pid_t *pids, size_t npids, char *what, size_t len)
{
	pid_t host;
	char prefix[32], path[128], alias[64];
	static struct run r;
	struct stat st;
	DIR *d;
	FILE *f;
	struct dirent *e;

	snprintf(prefix, sizeof(prefix), "%s-", lab);
	/* a check that could not look finds nothing: say so rather than pass */
	if (run(&r, "ip", "-o", "link", NULL) != 0 || !strstr(r.out, ": lo: ")) {
		snprintf(what, len, "'ip -o link' failed (%d), so interfaces were not checked: %s",
			 r.status, r.err);
		return true;
	}
	/* the lab's interfaces by their alias, netlab:LAB:...; by the names netlabs before the
	 * numbered ones gave them, LAB-... */
	snprintf(alias, sizeof(alias), " alias netlab:%s:", lab);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char *name = strchr(line, ' ');

		if (strstr(line, alias) || (name && !strncmp(name + 1, prefix, strlen(prefix)))) {
			snprintf(what, len, "interface %.200s", line);
			return true;
		}
	}
	d = opendir("/run/netns");
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			snprintf(what, len, "/run/netns/%s", e->d_name);
			closedir(d);
			return true;
		}
	if (d)
		closedir(d);
	/* a mount left at /run/netns/LAB-HOST, even one no path reaches any more (covered by a mount
	 * of /run/netns made later): the mount table still lists it */
	if ((f = fopen("/proc/self/mountinfo", "r"))) {
		char line[1024], needle[64];
		bool found = false;

		snprintf(needle, sizeof(needle), " /run/netns/%s ", prefix);
		needle[strlen(needle) - 1] = '\0';	/* " /run/netns/LAB-" */
		while (!found && fgets(line, sizeof(line), f))
			if ((found = strstr(line, needle) != NULL))
				snprintf(what, len, "mount %.200s", line);
		fclose(f);
		if (found)
			return true;
	}
	snprintf(path, sizeof(path), "/run/netlab/%s", lab);
	if (lstat(path, &st) == 0) {
		snprintf(what, len, "%s", path);
		return true;
	}
	for (size_t i = 0; i < npids; i++)
		if (pids[i] > 0 && alive(pids[i])) {
			snprintf(what, len, "process %d", (int)pids[i]);
			return true;
		}
	snprintf(path, sizeof(path), "netlab-%s", lab);
	if (run(&r, "nft", "list", "table", "bridge", path, NULL) == 0) {
		snprintf(what, len, "the nftables table bridge %s", path);
		return true;
	}
	if ((host = lab_host_process(lab))) {
		snprintf(what, len, "process %d, a host of the lab", (int)host);
		return true;
	}
	/* its cgroups: netlab/LAB at the root of cgroup v2, or of a v1 controller's hierarchy */
	for (const char *const *h = (const char *const[]){ "", "/pids", "/memory", "/unified", NULL };
	     *h; h++) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/netlab/%s", *h, lab);
		if (lstat(path, &st) == 0) {
			snprintf(what, len, "cgroup %s", path);
			return true;
		}
	}
	return false;
}

int count_lines(const char *s, const char *needle)
{
	int n = 0;
	const char *line = s;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024];

		snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1),
			 line);
		if (strstr(buf, needle))
			n++;
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

/* Shared by the suites of a lab's life: up, down, clean, rollback, host. */

unsigned long inode_of(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

void assert_lab_gone(const char *lab, const pid_t *pids, size_t n)
{
	char what[256];

	cr_assert(!lab_leftovers(lab, pids, n, what, sizeof(what)), "lab %s left %s", lab, what);
}

void own_mount_ns(void)
{
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%s", strerror(errno));
}

bool is_mount_point(const char *path)
{
	char line[1024], needle[256];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	snprintf(needle, sizeof(needle), " %s ", path);
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *p = line;
		for (int i = 0; i < 4 && p; i++)	/* the fifth field is the mount point */
			if ((p = strchr(p, ' ')))
				p++;
		found = p && !strncmp(p - 1, needle, strlen(needle));
	}
	if (f)
		fclose(f);
	return found;
}

void cover_with_ip_netns(void)
{
	static struct run r;
	char other[32];

	snprintf(other, sizeof(other), "tnsother%d", (int)getpid());
	if (is_mount_point("/run/netns"))	/* already one: cover it the way ip netns would */
		cr_assert_eq(run(&r, "mount", "--rbind", "/run/netns", "/run/netns", NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "netns", "add", other, NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "netns", "del", other, NULL), 0, "%s", r.err);
	cr_assert(is_mount_point("/run/netns"), "ip netns add made /run/netns a mount point");
}

pid_t start_stopped_up(const char *lab, const char *subnet, int step)
{
	char env[16];
	pid_t pid;
	int status;

	snprintf(env, sizeof(env), "%d", step);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("NETLAB_STOP_AT", env, 1);
		execl(netlab_bin(), "netlab", "up", "2", "--name", lab, "--subnet", subnet, NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(status), "netlab up did not stop at step %d (status %x)", step, status);
	return pid;
}

int clean_lock(void)
{
	int fd = open(netlab_bin(), O_RDONLY | O_CLOEXEC);

	cr_assert(fd >= 0, "open %s: %s", netlab_bin(), strerror(errno));
	cr_assert_eq(TEMP_FAILURE_RETRY(flock(fd, LOCK_EX)), 0, "flock: %s", strerror(errno));
	return fd;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
