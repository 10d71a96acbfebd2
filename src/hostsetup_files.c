/* files: and sysctls: of a host (the topology file's, or a Kathará lab's copies). */
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

/* ---------------------------------------------------------------------------------------------
 * files: the tree is read on the machine, as its root (so a 0600 file or a 0700 directory of the
 * admin's is read), every entry opened relative to its directory without following a symbolic
 * link; it is written inside the host, as the host's root, after joining all its namespaces: the
 * host's root is then our root, so nothing written can land outside it whatever the host's own
 * symbolic links say, and the host's root cannot reach us (we are not in its PID namespace).
 */

struct entry {
	char *rel;		/* "etc/frr/frr.conf": relative to the tree and to the host's root */
	mode_t mode;		/* type and permissions */
	char *target;		/* a symbolic link's */
	int fd;			/* a regular file's, opened by the machine's root; else -1 */
};

struct tree {
	const char *top;	/* the directory, as resolved from the topology file */
	struct entry *e;
	size_t n, cap;
};

static void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].rel);
		free(t->e[i].target);
		if (t->e[i].fd >= 0)
			close(t->e[i].fd);
	}
	free(t->e);
}

static int walk(struct tree *t, int dirfd, const char *rel, unsigned depth, struct lab_error **err)
{
	_cleanup_close_ int own = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = own >= 0 ? fdopendir(own) : NULL;
	struct dirent *de;
	int r = 0;

	if (!d)
		return lab_err(err, errno, "files: read %s/%s", t->top, rel);
	own = -1;	/* the DIR owns it */
	if (depth > HOSTSETUP_DEPTH_MAX) {
		closedir(d);
		return lab_err(err, 0, "files: %s: more than %d directories deep", t->top,
			       HOSTSETUP_DEPTH_MAX);
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		struct entry *e;
		struct stat st;
		char *path;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
			r = lab_err(err, ENOMEM, "files");
			break;
		}
		if (t->n == HOSTSETUP_FILES_MAX) {
			free(path);
			r = lab_err(err, 0, "files: %s has more than %d entries", t->top,
				    HOSTSETUP_FILES_MAX);
			break;
		}
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct entry *v = realloc(t->e, cap * sizeof(*v));

			if (!v) {
				free(path);
				r = lab_err(err, ENOMEM, "files");
				break;
			}
			t->e = v;
			t->cap = cap;
		}
		e = &t->e[t->n];
		*e = (struct entry){ .rel = path, .fd = -1 };
		t->n++;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = lab_err(err, errno, "files: %s/%s", t->top, path);
			break;
		}
		e->mode = st.st_mode;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd, de->d_name, target, sizeof(target) - 1);

			if (n < 0) {
				r = lab_err(err, errno, "files: read the link %s/%s", t->top, path);
				break;
			}
			target[n] = '\0';
			if (!(e->target = strdup(target)))
				r = lab_err(err, ENOMEM, "files");
		} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
			/* O_NOFOLLOW and a second look: what we read is what we saw */
			e->fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				       O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
			if (e->fd < 0 || fstat(e->fd, &st) < 0) {
				r = lab_err(err, errno, "files: open %s/%s", t->top, path);
				break;
			}
			if ((st.st_mode & S_IFMT) != (e->mode & S_IFMT)) {
				r = lab_err(err, EAGAIN, "files: %s/%s changed while it was read",
					    t->top, path);
				break;
			}
			if (S_ISDIR(st.st_mode)) {
				int sub = e->fd;

				e->fd = -1;
				r = walk(t, sub, path, depth + 1, err);
				close(sub);
			}
		} else {
			r = lab_err(err, 0, "files: %s/%s is a %s: only directories, regular files and "
					    "symbolic links are copied into a host", t->top, path,
				    S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket"
									  : "device");
		}
	}
	if (r == 0 && errno)
		r = lab_err(err, errno, "files: read %s/%s", t->top, rel);
	closedir(d);
	return r;
}

static struct entry *tree_push(struct tree *t, struct lab_error **err)
{
	if (t->n == HOSTSETUP_FILES_MAX) {
		lab_err(err, 0, "files: more than %d entries", HOSTSETUP_FILES_MAX);
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct entry *v = realloc(t->e, cap * sizeof(*v));

		if (!v) {
			lab_err(err, ENOMEM, "files");
			return NULL;
		}
		t->e = v;
		t->cap = cap;
	}
	t->e[t->n] = (struct entry){ .fd = -1 };
	return &t->e[t->n++];
}

/* One copy (hostsetup_copy) into the tree: the directories leading to dst (0755, kept as they
 * are where the host has them), then src, a file or the content of a directory, under dst. */
static int tree_add_copy(struct tree *t, const struct hostsetup_copy *c, struct lab_error **err)
{
	const char *dst = c->dst + strspn(c->dst, "/");
	_cleanup_close_ int fd = -1;
	size_t first;
	struct entry *e;
	struct stat st;

	/* each parent of dst (and dst itself for a tree) as a directory entry */
	for (const char *p = dst; *p;) {
		size_t k = strcspn(p, "/");

		if (!p[k] && !c->tree)
			break;
		if (!(e = tree_push(t, err)))
			return -1;
		e->mode = S_IFDIR | 0755;
		if (!(e->rel = strndup(dst, (size_t)(p - dst) + k)))
			return lab_err(err, ENOMEM, "files");
		p += k + (p[k] == '/');
	}
	t->top = c->src;
	fd = open(c->src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
		  (c->tree ? O_DIRECTORY : 0));	/* the admin's path */
	if (fd < 0 || fstat(fd, &st) < 0)
		return lab_err(err, errno, "files: %s", c->src);
	if (!c->tree) {
		if (!S_ISREG(st.st_mode))
			return lab_err(err, 0, "files: %s is not a regular file", c->src);
		if (!(e = tree_push(t, err)))
			return -1;
		e->mode = st.st_mode;
		e->fd = TAKE_FD(fd);
		if (!(e->rel = strdup(dst)))
			return lab_err(err, ENOMEM, "files");
		return 0;
	}
	first = t->n;
	if (walk(t, fd, "", 0, err) < 0)
		return -1;
	for (size_t i = first; *dst && i < t->n; i++) {	/* under dst */
		char *rel;

		if (asprintf(&rel, "%s/%s", dst, t->e[i].rel) < 0)
			return lab_err(err, ENOMEM, "files");
		free(t->e[i].rel);
		t->e[i].rel = rel;
	}
	return 0;
}

static int open_in_root(int rootfd, const char *rel, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

/* Make room for name in dir: whatever is there goes, unless it is a directory. */
static int clear_name(int dir, const char *name, const char *rel, struct lab_error **err)
{
	if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno == EISDIR)
		return lab_err(err, 0, "files: /%s is a directory in the host, not a file", rel);
	return lab_err(err, errno, "files: replace /%s", rel);
}

static int copy_data(int from, int to)
{
	char buf[65536];

	for (;;) {
		ssize_t n = TEMP_FAILURE_RETRY(read(from, buf, sizeof(buf)));

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (util_write_all(to, buf, (size_t)n) < 0)
			return -1;
	}
}

/* One entry, in the host (we are its root, in its mount namespace). Its parent exists: the walk
 * lists a directory before what is in it. */
static int lay_one(int rootfd, const struct entry *e, struct lab_error **err)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(e->rel, '/'), *name = slash ? slash + 1 : e->rel;
	_cleanup_close_ int dir = -1, fd = -1;

	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - e->rel) : 1,
		 slash ? e->rel : ".");
	/* the parent as the host has it: a symbolic link there (/var/run -> /run) is followed,
	 * inside the host's root */
	dir = open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return lab_err(err, errno, "files: /%s", parent);
	if (S_ISDIR(e->mode)) {
		if (mkdirat(dir, name, 0700) < 0) {
			if (errno != EEXIST)
				return lab_err(err, errno, "files: mkdir /%s", e->rel);
			/* there already: kept as the host has it (mode and owner) */
			fd = open_in_root(rootfd, e->rel, O_RDONLY | O_DIRECTORY);
			if (fd < 0 && errno == ENOTDIR)
				return lab_err(err, 0, "files: /%s is a directory in the tree but not in "
						       "the host", e->rel);
			if (fd < 0)
				return lab_err(err, errno, "files: /%s", e->rel);
			return 0;
		}
		fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, e->mode & 07777) < 0)
			return lab_err(err, errno, "files: chmod /%s", e->rel);
		return 0;
	}
	if (clear_name(dir, name, e->rel, err) < 0)
		return -1;
	if (S_ISLNK(e->mode)) {
		if (symlinkat(e->target, dir, name) < 0)
			return lab_err(err, errno, "files: symlink /%s", e->rel);
		return 0;
	}
	fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return lab_err(err, errno, "files: create /%s", e->rel);
	if (copy_data(e->fd, fd) < 0)
		return lab_err(err, errno, "files: copy /%s", e->rel);
	if (fchmod(fd, e->mode & 07777) < 0)
		return lab_err(err, errno, "files: chmod /%s", e->rel);
	return 0;
}

/* The helper, forked from `up`: read the tree (as the machine's root), join the host and its
 * cgroups (what it writes is the host's memory), lay the tree over its root, write its sysctls. */
static int helper(const struct lab *lab, const struct lab_host *h, const struct hostsetup_host *s,
		  int pidfd, struct lab_error **err)
{
	struct tree t = { .top = s->files };
	_cleanup_close_ int top = -1, rootfd = -1;
	struct rlimit rl;
	int r = 0;

	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return lab_err(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (s->files || s->ncopies) {
		/* a file open per entry until it is copied */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (s->files)
			top = open(s->files, O_RDONLY | O_DIRECTORY | O_CLOEXEC);	/* the admin's path */
		if (s->files && top < 0)
			return lab_err(err, errno, "files: %s", s->files);
		if (s->files)
			r = walk(&t, top, "", 0, err);
		for (size_t k = 0; r == 0 && k < s->ncopies; k++)
			r = tree_add_copy(&t, &s->copies[k], err);
	}
	if (r == 0 && cgroup_join(lab->name, h->name, err) < 0)
		r = -1;
	if (r == 0 && ns_enter(pidfd, lab->extra_ns, err) < 0)
		r = -1;
	if (r == 0 && (ns_become_root(err) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0))
		r = lab_err(err, errno, "become the host's root");
	if (r == 0 && (rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = lab_err(err, errno, "open the host's root");
	for (size_t i = 0; r == 0 && i < t.n; i++)
		r = lay_one(rootfd, &t.e[i], err);
	tree_free(&t);
	for (size_t i = 0; r == 0 && i < s->nsysctls; i++) {
		char path[320];
		_cleanup_close_ int fd = -1;
		const char *v = s->sysctls[i].value;

		if (hostsetup_sysctl_path(s->sysctls[i].key, path, sizeof(path), err) < 0)
			return -1;
		/* the host's own /proc: its netns, UTS and IPC namespaces are ours now */
		fd = open_in_root(rootfd, path + 1, O_WRONLY);
		if (fd < 0 || TEMP_FAILURE_RETRY(write(fd, v, strlen(v))) != (ssize_t)strlen(v))
			r = lab_err(err, errno, "sysctl %s = %s", s->sysctls[i].key, v);
	}
	return r;
}

int hs_files_and_sysctls(const struct lab *lab, size_t i, const struct hostsetup_host *s,
			     const struct ns_child *c, uint64_t deadline, int sigfd,
			     struct lab_error **err)
{
	const struct lab_host *h = &lab->hosts[i];
	_cleanup_close_ int errfd = -1, pidfd = -1;
	int ws = 0, r;
	pid_t pid;

	pid = hs_fork_reporting(&errfd, &pidfd, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct lab_error *e = NULL;

		/* only what it needs: the error pipe on 3, the host's pidfd on 4 (no other host's
		 * socket must stay open here, nor anything of `up`'s) */
		if (hs_keep_fds((int[]){ errfd, c->pidfd }, 2) < 0)
			_exit(1);
		if (helper(lab, h, s, 4, &e) < 0) {
			lab_err_send(3, e);
			_exit(1);
		}
		_exit(0);
	}
	r = hs_wait_child(pid, pidfd, deadline, sigfd, "laying files over a host's root", &ws, err);
	if (r != 0) {
		hs_kill_reap(pid);
		if (r > 0)
			return lab_err(err, ETIMEDOUT, "files: and sysctls: did not finish in time");
		return -1;
	}
	if (lab_err_recv(errfd, err) < 0)
		return -1;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws))
		return lab_err(err, 0, "the helper that joins the host ended with status %d", ws);
	return 0;
}

