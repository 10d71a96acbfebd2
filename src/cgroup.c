#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* Where a lab's cgroups live: a netlab/ directory at the root of each hierarchy, not under the
 * cgroup of the process that runs `up`. Hosts outlive `up` and belong to no login session: under
 * the caller's cgroup they would die with its session scope (systemd's KillUserProcesses) and
 * their limits would depend on who typed `up`; `down` and `clean`, run from anywhere, would have
 * to be told where to look. On cgroup v2 a systemd scope also holds processes, so no controller
 * can be enabled below it (the "no internal processes" rule); the root is exempt from that rule.
 * docker's and LXC's cgroupfs drivers do the same (/sys/fs/cgroup/docker, /lxc.payload). */
#define CGROUP_DIR "netlab"

/* A rmdir that finds tasks still there (a `netlab exec` whose command died with the host, still
 * on its way out) is retried this long. */
#define REMOVE_WAIT_MS 2000

/* -------------------------------------------------------------------------- finding hierarchies */

static bool has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, word, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Add (or extend) the hierarchy mounted at path. */
static void add_hier(struct cgroup_set *s, const char *path, bool v2, bool pids, bool memory)
{
	struct cgroup_hier *h;

	for (size_t i = 0; i < s->n; i++) {
		pids = pids && !s->h[i].pids;
		memory = memory && !s->h[i].memory;
	}
	if ((!pids && !memory) || s->n == CGROUP_HIER_MAX || strlen(path) >= sizeof(h->path))
		return;
	h = &s->h[s->n++];
	util_copy(h->path, sizeof(h->path), path);
	h->v2 = v2;
	h->pids = pids;
	h->memory = memory;
}

void cgroup_detect(struct cgroup_set *out)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], v1[2][128] = {"", ""}, v2[128] = "";
	bool v1_pids = false, v1_mem = false;

	memset(out, 0, sizeof(*out));
	if (!f)
		return;
	/* "36 25 0:31 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids": the first mount of
	 * each kind; mount points with escaped characters (\040) are not ours to guess */
	while (fgets(line, sizeof(line), f)) {
		char mnt[128], type[32], opts[512];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %127s", mnt) != 1 || strchr(mnt, '\\') ||
		    sscanf(dash + 3, "%31s %*s %511s", type, opts) != 2)
			continue;
		if (!strcmp(type, "cgroup2") && !v2[0]) {
			util_copy(v2, sizeof(v2), mnt);
		} else if (!strcmp(type, "cgroup")) {
			if (has_word(opts, "pids", ',') && !v1_pids) {
				util_copy(v1[0], sizeof(v1[0]), mnt);
				v1_pids = true;
			}
			if (has_word(opts, "memory", ',') && !v1_mem) {
				util_copy(v1[1], sizeof(v1[1]), mnt);
				v1_mem = true;
			}
		}
	}
	fclose(f);
	if (v2[0]) {
		char path[192], ctl[256];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2);
		if (util_read_file(path, ctl, sizeof(ctl), NULL) > 0) {
			ctl[strcspn(ctl, "\n")] = '\0';
			add_hier(out, v2, true, has_word(ctl, "pids", ' '),
				 has_word(ctl, "memory", ' '));
		}
	}
	/* a controller is in one hierarchy only; one bound to v1 is missing from v2's list */
	if (v1_pids && v1_mem && !strcmp(v1[0], v1[1]))
		add_hier(out, v1[0], false, true, true);
	if (v1_pids)
		add_hier(out, v1[0], false, true, false);
	if (v1_mem)
		add_hier(out, v1[1], false, false, true);
}

void cgroup_describe(const struct cgroup_set *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && used < len; i++) {
		const struct cgroup_hier *h = &s->h[i];

		used += (size_t)snprintf(buf + used, len - used, "%s%s %s%s%s at %s", i ? ", " : "",
					 h->v2 ? "v2" : "v1", h->pids ? "pids" : "",
					 h->pids && h->memory ? "+" : "", h->memory ? "memory" : "",
					 h->path);
	}
}

/* ------------------------------------------------------------------------------------ limits */

int cgroup_parse_pids(const char *s, uint64_t *out)
{
	unsigned long v;

	if (s && !strcmp(s, "max"))
		return *out = CGROUP_UNLIMITED, 0;
	if (!s || util_parse_ulong(s, CGROUP_PIDS_MIN, CGROUP_PIDS_LIMIT, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

int cgroup_parse_memory(const char *s, uint64_t *out)
{
	static const char *const units[] = {"",    "b", "k",  "kb",  "kib", "m",  "mb",
					    "mib", "g", "gb", "gib", "t",   "tb", "tib"};
	static const int shift[] = {0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40};
	unsigned long long v;
	char *end;

	if (s && !strcmp(s, "max"))
		return *out = CGROUP_UNLIMITED, 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(end, units[i])) {
			if (v > (1ull << (50 - shift[i]))) /* 1 PiB: surely a typo */
				return -1;
			v <<= shift[i];
			if (v < CGROUP_MEMORY_MIN)
				return -1;
			*out = v;
			return 0;
		}
	return -1;
}

void cgroup_fmt(uint64_t v, bool bytes, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";
	int k = -1;

	if (v == CGROUP_UNLIMITED) {
		snprintf(buf, len, "max");
		return;
	}
	if (!bytes) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return;
	}
	while (k < 3 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		k++;
	}
	if (k < 0 && v >= 1024) { /* a usage, not a round limit: one decimal */
		double d = (double)v;

		for (k = -1; k < 3 && d >= 1024; k++)
			d /= 1024;
		snprintf(buf, len, "%.1f%c", d, suffix[k]);
		return;
	}
	if (k < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, suffix[k]);
}

/* ------------------------------------------------------------------------ making and removing */

static int write_at(const char *dir, const char *file, const char *value, struct lab_error **err)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return util_write_file(path, value, err);
}

/* On v2, a cgroup's children get the controllers named in its cgroup.subtree_control. */
static int enable_controllers(const struct cgroup_hier *h, const char *dir, struct lab_error **err)
{
	char want[32];

	if (!h->v2)
		return 0;
	snprintf(want, sizeof(want), "%s%s%s", h->pids ? "+pids" : "",
		 h->pids && h->memory ? " " : "", h->memory ? "+memory" : "");
	if (write_at(dir, "cgroup.subtree_control", want, err) < 0)
		return lab_err_wrap(err, "enable %s for the cgroups below %s", want, dir);
	return 0;
}

static uint64_t read_proc_u64(const char *path, const char *key)
{
	char buf[4096], *p = buf;
	unsigned long long v = 0;

	if (util_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return 0;
	if (key && !(p = strstr(buf, key)))
		return 0;
	if (sscanf(p + (key ? strlen(key) : 0), "%llu", &v) != 1)
		return 0;
	return v;
}

/* The limits of netlab/, for the hosts of all labs together: half the tasks the machine can have
 * (kernel.pid_max and kernel.threads-max, the smaller), and three quarters of its memory. Many
 * hosts each within their own limit (100 hosts x 512 tasks is more than a pid_max of 32768) still
 * leave the machine room to log in and run `netlab down`. */
static int set_top_limits(const struct cgroup_hier *h, const char *top, struct lab_error **err)
{
	char v[32];

	if (h->pids) {
		uint64_t pid_max = read_proc_u64("/proc/sys/kernel/pid_max", NULL);
		uint64_t threads = read_proc_u64("/proc/sys/kernel/threads-max", NULL);
		uint64_t n = pid_max && threads ? (pid_max < threads ? pid_max : threads) / 2 : 0;

		if (n) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)(n < 1024 ? 1024 : n));
			if (write_at(top, "pids.max", v, err) < 0)
				return -1;
		}
	}
	if (h->memory) {
		uint64_t kib = read_proc_u64("/proc/meminfo", "MemTotal:");

		if (kib) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)(kib / 4 * 3 * 1024));
			if (write_at(top, h->v2 ? "memory.max" : "memory.limit_in_bytes", v, err) <
			    0)
				return -1;
		}
	}
	return 0;
}

/* On v2 the hierarchy's root must hand the controllers down. The true root always can; the root
 * of a container's cgroup namespace holds processes and then cannot ("no internal processes":
 * EBUSY) unless they are already enabled. There the container's own limits still bound the hosts
 * together; each host goes without the controllers that are missing. False: none is left. */
static bool root_delegates(struct cgroup_hier *h)
{
	struct lab_error *ignored = NULL;
	char path[192], ctl[256] = "";

	if (!h->v2 || enable_controllers(h, h->path, &ignored) == 0)
		return true;
	lab_err_free(&ignored);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", h->path);
	if (util_read_file(path, ctl, sizeof(ctl), NULL) > 0)
		ctl[strcspn(ctl, "\n")] = '\0';
	h->pids = h->pids && has_word(ctl, "pids", ' ');
	h->memory = h->memory && has_word(ctl, "memory", ' ');
	return h->pids || h->memory;
}

int cgroup_lab_create(struct cgroup_set *s, const char *lab, struct lab_error **err)
{
	bool made[CGROUP_HIER_MAX] = {false};
	char top[192], dir[256];
	int ret = -1;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct cgroup_hier *h = &s->h[i];
		int e = 0;

		if (!root_delegates(&s->h[i])) {
			memmove(&s->h[i], &s->h[i + 1], (s->n - i - 1) * sizeof(s->h[0]));
			s->n--;
			i--;
			continue;
		}
		snprintf(top, sizeof(top), "%s/" CGROUP_DIR, h->path);
		snprintf(dir, sizeof(dir), "%s/%s", top, lab);
		/* the last lab's `down` removes netlab/ without our lock: make it again if it went
		 */
		for (int tries = 0; tries < 10; tries++) {
			e = 0;
			if (mkdir(top, 0755) == 0) {
				/* all labs together: a limit of their own, set by whoever makes
				 * netlab/ */
				if (set_top_limits(h, top, err) < 0) {
					if (!err || !*err || (*err)->errnum != ENOENT) {
						rmdir(top);
						goto fail;
					}
					lab_err_free(err);
					e = ENOENT;
					continue;
				}
			} else if (errno != EEXIST) {
				lab_err(err, errno, "create cgroup %s", top);
				goto fail;
			}
			if (enable_controllers(h, top, err) < 0) {
				if (!err || !*err || (*err)->errnum != ENOENT)
					goto fail;
				lab_err_free(err);
				e = ENOENT;
				continue;
			}
			if (mkdir(dir, 0755) == 0)
				break;
			e = errno;
			if (e != ENOENT)
				break;
		}
		if (e == EEXIST) {
			lab_err(err, EEXIST,
				"cgroup %s is left over from an earlier lab %s: run 'netlab "
				"clean'",
				dir, lab);
			ret = -EEXIST;
			goto fail;
		}
		if (e) {
			lab_err(err, e, "create cgroup %s", dir);
			goto fail;
		}
		made[i] = true;
		if (enable_controllers(h, dir, err) < 0)
			goto fail;
	}
	return 0;
fail:
	/* only what this call made; netlab/ itself goes when the last lab goes */
	for (size_t k = 0; k <= i && k < s->n; k++)
		if (made[k]) {
			snprintf(dir, sizeof(dir), "%s/" CGROUP_DIR "/%s", s->h[k].path, lab);
			rmdir(dir);
		}
	return ret;
}

static void host_dir(const struct cgroup_hier *h, const char *lab, const char *host, char *buf,
		     size_t len)
{
	snprintf(buf, len, "%s/" CGROUP_DIR "/%s/%s", h->path, lab, host);
}

/* The limits of one hierarchy's controllers. Memory without swap: a host that reaches its limit is
 * OOM-killed inside, instead of filling the machine's swap. */
static int set_limits(const struct cgroup_hier *h, const char *dir, const struct cgroup_limits *l,
		      struct lab_error **err)
{
	char v[32];

	if (h->pids) {
		cgroup_fmt(l->pids_max, false, v, sizeof(v));
		if (write_at(dir, "pids.max", v, err) < 0)
			return -1;
	}
	if (!h->memory)
		return 0;
	if (l->memory_max == CGROUP_UNLIMITED)
		snprintf(v, sizeof(v), h->v2 ? "max" : "-1");
	else
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_max);
	if (write_at(dir, h->v2 ? "memory.max" : "memory.limit_in_bytes", v, err) < 0)
		return -1;
	/* memsw (memory + swap) exists with swap accounting only; it must be >= limit_in_bytes,
	 * which is why it comes second */
	{
		char path[320];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir,
			 h->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
		if (stat(path, &st) == 0 && util_write_file(path, h->v2 ? "0" : v, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_host_create(const struct cgroup_set *s, const char *lab, const char *host,
		       const struct cgroup_limits *l, struct lab_error **err)
{
	char dir[256];
	size_t i;

	for (i = 0; i < s->n; i++) {
		host_dir(&s->h[i], lab, host, dir, sizeof(dir));
		if (mkdir(dir, 0755) < 0) {
			lab_err(err, errno, "create cgroup %s", dir);
			goto fail;
		}
		if (set_limits(&s->h[i], dir, l, err) < 0) {
			rmdir(dir);
			goto fail;
		}
	}
	return 0;
fail:
	while (i-- > 0) {
		host_dir(&s->h[i], lab, host, dir, sizeof(dir));
		rmdir(dir);
	}
	return -1;
}

void cgroup_host_procs(const struct cgroup_set *s, const char *lab, const char *host,
		       char buf[][160], const char *paths[])
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		snprintf(buf[i], 160, "%s/" CGROUP_DIR "/%s/%s/cgroup.procs", s->h[i].path, lab,
			 host);
		paths[i] = buf[i];
	}
	paths[i] = NULL;
}

int cgroup_join(const char *lab, const char *host, struct lab_error **err)
{
	struct cgroup_set s;
	char buf[CGROUP_HIER_MAX][160];
	const char *paths[CGROUP_HIER_MAX + 1];

	cgroup_detect(&s);
	cgroup_host_procs(&s, lab, host, buf, paths);
	for (size_t i = 0; paths[i]; i++) {
		struct lab_error *sub = NULL;

		if (util_write_file(paths[i], "0", &sub) < 0) {
			int e = sub ? sub->errnum : 0;

			if (e == ENOENT) { /* this host has no cgroup there */
				lab_err_free(&sub);
				continue;
			}
			*err = sub;
			return lab_err_wrap(err, "join the host's cgroup");
		}
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void kill_procs(const char *dir)
{
	char path[320];
	FILE *f;
	long pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

/* rmdir a cgroup; while it still has tasks (EBUSY), wait for them (v2: kill them first). */
static int remove_dir(const struct cgroup_hier *h, const char *dir, uint64_t deadline,
		      struct lab_error **err)
{
	bool killed = false;

	while (rmdir(dir) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || util_now_ns() >= deadline)
			return lab_err(err, errno, "remove cgroup %s%s", dir,
				       errno == EBUSY ? " (it still has processes)" : "");
		if (!killed) {
			/* every task in it is the lab's (a host's, or a `netlab exec` into one):
			 * cgroup.kill (v2, Linux 5.14) kills them at once, on v1 one by one */
			char path[320];

			snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
			if (!h->v2 || util_write_file(path, "1", NULL) < 0)
				kill_procs(dir);
			killed = true;
		}
		sleep_ms(10);
	}
	return 0;
}

int cgroup_lab_remove(const struct cgroup_set *s, const char *lab,
		      void (*report)(const char *what, void *arg), void *arg,
		      struct lab_error **err)
{
	uint64_t deadline = util_now_ns() + (uint64_t)REMOVE_WAIT_MS * 1000000u;
	int r = 0, found = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_hier *h = &s->h[i];
		char dir[256], sub[512];
		struct dirent *e;
		DIR *d;
		int rr = 0;

		snprintf(dir, sizeof(dir), "%s/" CGROUP_DIR "/%s", h->path, lab);
		d = opendir(dir);
		if (!d) {
			if (errno != ENOENT && r == 0)
				r = lab_err(err, errno, "open cgroup %s", dir);
			/* an `up` killed between making netlab/ and netlab/LAB left netlab/ alone */
			snprintf(dir, sizeof(dir), "%s/" CGROUP_DIR, h->path);
			rmdir(dir);
			continue;
		}
		found = 1;
		/* leaves first: the hosts' cgroups (only directories are cgroups here) */
		while ((e = readdir(d))) {
			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
			if (remove_dir(h, sub, deadline, rr == 0 ? err : NULL) < 0)
				rr = -1;
		}
		closedir(d);
		if (rr == 0 && remove_dir(h, dir, deadline, err) < 0)
			rr = -1;
		if (rr < 0) {
			r = -1;
			continue;
		}
		if (report) {
			char what[320];

			snprintf(what, sizeof(what), "removed cgroup %s", dir);
			report(what, arg);
		}
		/* the last lab takes netlab/ with it; with other labs there this fails, as it
		 * should */
		snprintf(dir, sizeof(dir), "%s/" CGROUP_DIR, h->path);
		rmdir(dir);
	}
	return r < 0 ? r : found;
}

void cgroup_top_remove(const struct cgroup_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		char dir[192];

		snprintf(dir, sizeof(dir), "%s/" CGROUP_DIR, s->h[i].path);
		rmdir(dir);	/* fails while a lab has cgroups there, as it should */
	}
}

int cgroup_labs(const struct cgroup_set *s, char ***out, size_t *out_count, struct lab_error **err)
{
	char **v = NULL;
	size_t n = 0;

	*out = NULL;
	*out_count = 0;
	for (size_t i = 0; i < s->n; i++) {
		char dir[192];
		struct dirent *e;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/" CGROUP_DIR, s->h[i].path);
		d = opendir(dir);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			bool dup = false;
			char **nv;

			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			for (size_t k = 0; k < n && !dup; k++)
				dup = !strcmp(v[k], e->d_name);
			if (dup)
				continue;
			nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv || !(nv[n] = strdup(e->d_name))) {
				v = nv ? nv : v;
				for (size_t k = 0; k < n; k++)
					free(v[k]);
				free(v);
				closedir(d);
				return lab_err(err, ENOMEM, "list cgroups");
			}
			v = nv;
			n++;
		}
		closedir(d);
	}
	*out = v;
	*out_count = n;
	return 0;
}

static bool read_u64(const char *dir, const char *file, uint64_t *out)
{
	char path[320], buf[32];
	unsigned long long v;
	char *end;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (util_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	if (!strcmp(buf, "max"))
		return *out = CGROUP_UNLIMITED, true;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || *end)
		return false;
	/* v1 says "no limit" as the largest page count in bytes (9223372036854771712) */
	*out = v >= (1ull << 62) ? CGROUP_UNLIMITED : v;
	return true;
}

void cgroup_host_usage(const struct cgroup_set *s, const char *lab, const char *host,
		       struct cgroup_usage *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_hier *h = &s->h[i];
		char dir[256];

		host_dir(h, lab, host, dir, sizeof(dir));
		if (h->pids && read_u64(dir, "pids.max", &out->pids_max) &&
		    read_u64(dir, "pids.current", &out->pids))
			out->has_pids = true;
		if (h->memory &&
		    read_u64(dir, h->v2 ? "memory.max" : "memory.limit_in_bytes",
			     &out->memory_max) &&
		    read_u64(dir, h->v2 ? "memory.current" : "memory.usage_in_bytes", &out->memory))
			out->has_memory = true;
	}
	out->found = out->has_pids || out->has_memory;
}
