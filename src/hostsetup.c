#include "hostsetup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostsetup_int.h"
#include "rootfs.h"
#include "topo.h"
#include "util.h"


void hostsetup_free(struct hostsetup *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->host && i < s->n; i++) {
		struct hostsetup_host *h = &s->host[i];

		free(h->files);
		for (size_t k = 0; k < h->nsysctls; k++) {
			free(h->sysctls[k].key);
			free(h->sysctls[k].value);
		}
		free(h->sysctls);
		for (size_t k = 0; k < h->nexec; k++)
			free(h->exec[k]);
		free(h->exec);
		for (size_t k = 0; k < h->ncopies; k++) {
			free(h->copies[k].src);
			free(h->copies[k].dst);
		}
		free(h->copies);
		for (size_t k = 0; k < h->nshutdown; k++)
			free(h->shutdown[k]);
		free(h->shutdown);
		free(h->after);
	}
	free(s->about);
	s->about = NULL;
	free(s->host);
	s->host = NULL;
	s->n = 0;
}

bool hostsetup_any(const struct hostsetup *s)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->host[i].files || s->host[i].ncopies || s->host[i].nsysctls || s->host[i].nexec ||
		    s->host[i].nshutdown)
			return true;
	if (s && s->about)
		return true;
	return false;
}

/* ---------------------------------------------------------------------------------------------
 * sysctls: only what belongs to the host's own namespaces. Everything else under /proc/sys is the
 * machine's (the kernel refuses root in a host anyway); the net.* of a netns are its own.
 */

static const char *const ipc_uts_sysctls[] = {
	"kernel/domainname", "kernel/shmmax", "kernel/shmall", "kernel/shmmni",
	"kernel/shm_rmid_forced", "kernel/msgmax", "kernel/msgmni", "kernel/msgmnb", "kernel/sem",
	"fs/mqueue/queues_max", "fs/mqueue/msg_max", "fs/mqueue/msgsize_max",
	"fs/mqueue/msg_default", "fs/mqueue/msgsize_default",
};

int hostsetup_sysctl_path(const char *key, char *path, size_t len, struct lab_error **err)
{
	bool slashes = strchr(key, '/') != NULL, ok = false;
	char rel[256];
	size_t n = strlen(key);

	/* sysctl(8)'s two spellings: dots between the parts, or slashes (then a part such as an
	 * interface eth0.100 may hold a dot) */
	if (!n || n >= sizeof(rel) || key[0] == '/' || key[0] == '.')
		return lab_err(err, 0, "\"%s\" is not a sysctl name", key);
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_-.@:+/", c)))
			return lab_err(err, 0, "\"%s\" is not a sysctl name (character '%c')", key, c);
		rel[i] = !slashes && c == '.' ? '/' : c;
	}
	rel[n] = '\0';
	for (const char *p = rel; *p;) {	/* no empty part, no "." or ".." */
		size_t k = strcspn(p, "/");

		if (!k || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return lab_err(err, 0, "\"%s\" is not a sysctl name", key);
		p += k + (p[k] == '/');
		if (!*p && p[-1] == '/')
			return lab_err(err, 0, "\"%s\" is not a sysctl name", key);
	}
	ok = !strncmp(rel, "net/", 4);
	for (size_t i = 0; !ok && i < sizeof(ipc_uts_sysctls) / sizeof(ipc_uts_sysctls[0]); i++)
		ok = !strcmp(rel, ipc_uts_sysctls[i]);
	if (!ok)
		return lab_err(err, 0, "\"%s\" is not a sysctl of the host's own namespaces (net.*, "
				       "kernel.domainname, kernel.shm*, kernel.msg*, kernel.sem, "
				       "fs.mqueue.*): the others are the machine's", key);
	if ((size_t)snprintf(path, len, "/proc/sys/%s", rel) >= len)
		return lab_err(err, ENAMETOOLONG, "sysctl %s", key);
	return 0;
}

int hostsetup_check(const struct lab_spec *spec, struct lab_error **err)
{
	const struct hostsetup *s = spec->topo ? spec->topo->setup : NULL;

	for (size_t i = 0; s && i < s->n; i++)
		if ((s->host[i].files || s->host[i].ncopies) && spec->fs == ROOTFS_SHARED)
			return lab_err_usage(err, "host %s: files: needs a root filesystem of its own, and "
					       "--fs shared gives hosts the machine's: use --fs own (the "
					       "default)", spec->topo->plan.hosts[i].name);
	return 0;
}

static int write_records(const struct hostsetup *s, const struct lab *lab, int labfd,
			 struct lab_error **err);

int hostsetup_up(const struct lab_spec *spec, struct lab *lab, const struct ns_child *children,
		 int labfd, int sigfd, struct lab_error **err)
{
	const struct hostsetup *s = spec->topo ? spec->topo->setup : NULL;
	unsigned timeout_ms = spec->setup && spec->setup->timeout_ms ? spec->setup->timeout_ms
								     : HOSTSETUP_EXEC_TIMEOUT_MS;
	struct hostsetup_failure *fail = spec->setup ? &spec->setup->fail : NULL;
	_cleanup_close_ int logsfd = -1;
	size_t failures = 0;
	bool any_exec = false;
	int r;

	if (!hostsetup_any(s))
		return 0;
	if (s->n != lab->nhosts)
		return lab_err(err, EINVAL, "host setup for %zu hosts, the lab has %zu", s->n,
			       lab->nhosts);
	if (fail)
		memset(fail, 0, sizeof(*fail));
	/* lab_exec finds a host by its PID and start time: known since it reported ready */
	for (size_t i = 0; i < lab->nhosts; i++)
		lab->hosts[i].start = children[i].start;
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct hostsetup_host *hs = &s->host[i];

		any_exec |= hs->nexec > 0;
		if (!hs->files && !hs->ncopies && !hs->nsysctls)
			continue;
		hs_explain_files(spec, lab, &lab->hosts[i], hs);
		r = hs_files_and_sysctls(lab, i, hs, &children[i],
				      util_now_ns() + (uint64_t)timeout_ms * 1000000u, sigfd, err);
		if (r < 0)
			return lab_err_wrap(err, "host %s", lab->hosts[i].name);
	}
	if (write_records(s, lab, labfd, err) < 0)
		return -1;
	if (!any_exec)
		return 0;
	if (mkdirat(labfd, HOSTSETUP_LOG_DIR, 0700) < 0 && errno != EEXIST)
		return lab_err(err, errno, "create %s/%s/%s", LAB_RUN_DIR, lab->name, HOSTSETUP_LOG_DIR);
	logsfd = openat(labfd, HOSTSETUP_LOG_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (logsfd < 0)
		return lab_err(err, errno, "open %s/%s/%s", LAB_RUN_DIR, lab->name, HOSTSETUP_LOG_DIR);
	r = hs_exec(spec, lab, s, logsfd, sigfd, timeout_ms, fail, &failures, err);
	if (r < 0 && fail && fail->failed && spec->setup->keep_on_error) {
		/* kept: the failure is the CLI's to report, the lab stays */
		fail->kept = true;
		lab_err_free(err);
		return 0;
	}
	if (r < 0)
		return r;
	if (fail && fail->failed) {	/* keep_going: kept, the failure is the CLI's to report */
		fail->others = failures - 1;
		fail->kept = true;
	}
	return 0;
}

/* The lab's about lines and its hosts' shutdown commands, for `status` and `down`. */
static int write_records(const struct hostsetup *s, const struct lab *lab, int labfd,
			 struct lab_error **err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	bool any = false;
	int r;

	if (s->about && util_write_atomic(labfd, HOSTSETUP_ABOUT_FILE, s->about, strlen(s->about),
					  0600, err) < 0)
		return -1;
	if (!(f = open_memstream(&text, &len)))
		return lab_err(err, errno, "shutdown commands");
	for (size_t i = 0; i < lab->nhosts; i++)
		for (size_t k = 0; k < s->host[i].nshutdown; k++) {
			fprintf(f, "%s\t%s\n", lab->hosts[i].name, s->host[i].shutdown[k]);
			any = true;
		}
	if (fclose(f) != 0) {
		free(text);
		return lab_err(err, ENOMEM, "shutdown commands");
	}
	r = any ? util_write_atomic(labfd, HOSTSETUP_SHUTDOWN_FILE, text, len, 0600, err) : 0;
	free(text);
	return r;
}

static int read_at(int dirfd, const char *name, char **out, struct lab_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	*out = NULL;
	if (fd < 0)
		return errno == ENOENT ? 0 : lab_err(err, errno, "open %s", name);
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			char *v = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!v)
				return lab_err(err, ENOMEM, "read %s", name);
			buf = v;
		}
		n = TEMP_FAILURE_RETRY(read(fd, buf + len, cap - len - 1));
		if (n < 0)
			return lab_err(err, errno, "read %s", name);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HOSTSETUP_LOG_MAX)
			return lab_err(err, EFBIG, "read %s", name);
	}
	buf[len] = '\0';
	*out = TAKE_PTR(buf);
	return 0;
}

int hostsetup_shutdown(int labfd, const struct lab *lab)
{
	_cleanup_free_ char *text = NULL;
	struct lab_error *e = NULL;
	char *save = NULL, out[256];
	int failed = 0;

	if (read_at(labfd, HOSTSETUP_SHUTDOWN_FILE, &text, &e) < 0) {
		lab_err_free(&e);
		return 1;
	}
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		const struct lab_host *h = NULL;
		int status = 0;

		if (!tab)
			continue;
		*tab = '\0';
		for (size_t i = 0; i < lab->nhosts && !h; i++)
			if (!strcmp(lab->hosts[i].name, line))
				h = &lab->hosts[i];
		if (!h || !h->pid)
			continue;
		char *argv[] = { "/bin/bash", "-c", tab + 1, NULL };
		if (lab_capture_timed(lab, h, argv, out, sizeof(out), HOSTSETUP_SHUTDOWN_TIMEOUT_MS,
				      &status, &e) < 0 || status)
			failed++;
		lab_err_free(&e);
	}
	return failed;
}

int hostsetup_about_read(const char *lab, char **out, struct lab_error **err)
{
	char path[PATH_MAX];
	_cleanup_close_ int dir = -1;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", LAB_RUN_DIR, lab);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? 0 : lab_err(err, errno, "open %s", path);
	return read_at(dir, HOSTSETUP_ABOUT_FILE, out, err);
}

/* ---------------------------------------------------------------------------------------------
 * The log on the machine
 */

int hostsetup_logs_remove(int labfd, struct lab_error **err)
{
	_cleanup_close_ int fd = openat(labfd, HOSTSETUP_LOG_DIR,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : lab_err(err, errno, "open %s", HOSTSETUP_LOG_DIR);
	d = fdopendir(fd);
	if (!d)
		return lab_err(err, errno, "read %s", HOSTSETUP_LOG_DIR);
	fd = -1;	/* the DIR owns it */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
			r = lab_err(err, errno, "remove %s/%s", HOSTSETUP_LOG_DIR, de->d_name);
	closedir(d);
	if (r == 0 && unlinkat(labfd, HOSTSETUP_LOG_DIR, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = lab_err(err, errno, "remove %s", HOSTSETUP_LOG_DIR);
	return r;
}

int hostsetup_log_read(const char *lab, const char *host, char **out, size_t *out_len,
		       struct lab_error **err)
{
	char path[128];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/%s/%s", LAB_RUN_DIR, lab, HOSTSETUP_LOG_DIR, host);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		lab_err(err, 0, "host %s of lab %s has no log: no exec: command of its topology "
				     "file ran in it", host, lab);
		return -ENOENT;
	}
	if (fd < 0)
		return lab_err(err, errno, "open %s", path);
	/* the log keeps its last MiB, plus our one line saying so */
	buf = malloc(HOSTSETUP_LOG_MAX + 256);
	if (!buf)
		return lab_err(err, ENOMEM, "read %s", path);
	n = util_read_all(fd, buf, HOSTSETUP_LOG_MAX + 255);
	if (n < 0)
		return lab_err(err, errno, "read %s", path);
	buf[n] = '\0';
	*out_len = (size_t)n;
	*out = TAKE_PTR(buf);
	return 0;
}
