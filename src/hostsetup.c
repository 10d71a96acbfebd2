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

/* ---------------------------------------------------------------------------------------------
 * exec: each command's stdout and stderr are a memfd, not a pipe: a daemon it leaves behind may
 * keep them open for ever, and `up` must not wait for that, nor kill the daemon (SIGPIPE) by
 * closing a pipe under it. Once the command exits, the memfd is sealed against growing (a write
 * then fails with EPERM, no signal) and read. Its pages are charged to the host's memory cgroup,
 * since the host writes them. Never a file of the machine's: the host could grow it for ever.
 */

struct log {
	char *buf;
	size_t len;
	bool cut;		/* earlier output was dropped to keep HOSTSETUP_LOG_MAX */
};

static int log_add(struct log *l, const char *data, size_t n, struct lab_error **err)
{
	char *v;

	if (n >= HOSTSETUP_LOG_MAX) {
		data += n - HOSTSETUP_LOG_MAX / 2;
		n = HOSTSETUP_LOG_MAX / 2;
		l->len = 0;
		l->cut = true;
	}
	if (l->len + n > HOSTSETUP_LOG_MAX) {
		/* drop whole lines from the head */
		size_t drop = l->len + n - HOSTSETUP_LOG_MAX;
		char *nl = memchr(l->buf + drop, '\n', l->len - drop);

		drop = nl ? (size_t)(nl - l->buf) + 1 : l->len;
		memmove(l->buf, l->buf + drop, l->len - drop);
		l->len -= drop;
		l->cut = true;
	}
	v = realloc(l->buf, l->len + n + 1);
	if (!v)
		return lab_err(err, ENOMEM, "log");
	memcpy(v + l->len, data, n);
	l->buf = v;
	l->len += n;
	l->buf[l->len] = '\0';
	return 0;
}

static int log_addf(struct log *l, struct lab_error **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int log_addf(struct log *l, struct lab_error **err, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return lab_err(err, ENOMEM, "log");
	r = log_add(l, s, (size_t)n, err);
	free(s);
	return r;
}

static int log_write(int logsfd, const char *host, const struct log *l, struct lab_error **err)
{
	static const char cut[] = "[netlab: earlier output cut: a host's log keeps its last MiB]\n";
	_cleanup_free_ char *all = malloc(sizeof(cut) + l->len);

	if (!all)
		return lab_err(err, ENOMEM, "log");
	memcpy(all, cut, sizeof(cut) - 1);
	memcpy(all + sizeof(cut) - 1, l->buf, l->len);
	if (util_write_atomic(logsfd, host, l->cut ? all : l->buf, l->len + (l->cut ? sizeof(cut) - 1 : 0),
			      0600, err) < 0)
		return lab_err_wrap(err, "%s/%s", LAB_RUN_DIR, HOSTSETUP_LOG_DIR);
	return 0;
}

/* The last lines (at most HOSTSETUP_TAIL_LINES, and what fits) of out into tail. */
static void tail_lines(const char *out, size_t n, char *tail, size_t len)
{
	size_t start = n, lines = 0;

	while (n && out[n - 1] == '\n')
		n--;
	start = n;
	while (start > 0 && n - start < len - 1) {
		if (out[start - 1] == '\n' && ++lines == HOSTSETUP_TAIL_LINES)
			break;
		start--;
	}
	if (n - start >= len - 1) {	/* too long: from a line's start, if one fits */
		const char *nl = memchr(out + n - (len - 1), '\n', len - 1);

		start = nl ? (size_t)(nl - out) + 1 : n - (len - 1);
	}
	memcpy(tail, out + start, n - start);
	tail[n - start] = '\0';
}

/* Its status once it exited: the code lab_exec passed on. */
static int runner_status(int ws)
{
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* The command did not exit in time: its runner kills its whole process group (it is one of
 * lab_capture_timed's waiters), then we kill the runner, as lab_capture_timed does. */
static void stop_runner(pid_t pid, int pidfd)
{
	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		if (i % 20 == 0)	/* again now and then: it may not know its command yet */
			kill(pid, SIGTERM);
		if (poll(&p, 1, 5) > 0)
			break;
	}
	kill(-pid, SIGKILL);
	hs_kill_reap(pid);
}

struct run {
	int status;
	bool timed_out;
	char *out;		/* the tail of what it wrote, malloc'd */
	size_t len;
};

static int run_one(const struct lab *lab, const struct lab_host *h, const char *command,
		   unsigned timeout_ms, int sigfd, struct run *out, struct lab_error **err)
{
	_cleanup_close_ int mfd = -1, errfd = -1, pidfd = -1;
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000u;
	struct stat st;
	off_t from;
	ssize_t n;
	int ws = 0, r;
	pid_t pid;

	mfd = memfd_create("netlab-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return lab_err(err, errno, "memfd_create");
	pid = hs_fork_reporting(&errfd, &pidfd, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct lab_error *e = NULL;
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC), status = 1;

		/* a process group of its own: the terminal's ^C is for `up`, which decides */
		setpgid(0, 0);
		lab_exec_deadline_waiter();
		/* 0 /dev/null, 1 and 2 the memfd, 3 the error pipe, and nothing of `up`'s: no other
		 * host's socket, no pidfd */
		if (null < 0 || dup2(null, 0) < 0 || dup2(mfd, 1) < 0 || dup2(mfd, 2) < 0 ||
		    hs_keep_fds(&errfd, 1) < 0)
			_exit(1);
		if (lab_exec(lab, h, argv, NULL, &status, &e) < 0) {
			lab_err_send(3, e);
			status = status ? status : 1;
		}
		_exit(status);
	}
	setpgid(pid, pid);
	r = hs_wait_child(pid, pidfd, deadline, sigfd, "running a host's exec: command", &ws, err);
	if (r != 0)
		stop_runner(pid, pidfd);
	if (r < 0)
		return -1;
	out->timed_out = r > 0;
	out->status = out->timed_out ? 128 + SIGKILL : runner_status(ws);
	/* what it left running may write on: no further than this (EPERM, not SIGPIPE). The
	 * command could have sealed it first (F_SEAL_SEAL): then it only grows in the host's own
	 * memory, and we read what is there all the same */
	(void)fcntl(mfd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	if (fstat(mfd, &st) < 0)
		return lab_err(err, errno, "size of the output of '%s'", command);
	/* the host decides its size (ftruncate, sparse): only the last MiB is read */
	from = st.st_size > HOSTSETUP_LOG_MAX ? st.st_size - HOSTSETUP_LOG_MAX : 0;
	out->out = malloc((size_t)(st.st_size - from) + 1);
	if (!out->out)
		return lab_err(err, ENOMEM, "output of '%s'", command);
	n = pread(mfd, out->out, (size_t)(st.st_size - from), from);
	out->len = n > 0 ? (size_t)n : 0;
	out->out[out->len] = '\0';
	if (!out->timed_out && lab_err_recv(errfd, err) < 0)
		return -1;	/* netlab's own failure to run it (joining the host), not the command's */
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * --explain: what a person would type
 */

static void explainf(const struct lab_spec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void explainf(const struct lab_spec *spec, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	if (!spec->explain)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	spec->explain(s, spec->explain_arg);
	free(s);
}

/* s in single quotes for the shell, into a malloc'd string ("" when out of memory). */
static char *shell_quote(const char *s)
{
	size_t n = 2;
	char *q, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	q = p = malloc(n + 1);
	if (!q)
		return strdup("");
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

static void explain_files(const struct lab_spec *spec, const struct lab *lab,
			  const struct lab_host *h, const struct hostsetup_host *s)
{
	_cleanup_free_ char *dir = s->files ? shell_quote(s->files) : NULL;
	char v[NAMES_SHELL_VAR_LEN];

	names_shell_var(lab, h, v);
	if (s->files)
		explainf(spec, "# host %s: files: into its own root (by hand, where it has one): tar -C "
			 "%s -cf - . | nsenter -t $pid_%s -a tar -xf - -C / --no-same-owner "
			 "--no-overwrite-dir", h->name, dir, v);
	for (size_t k = 0; k < s->nsysctls; k++) {
		_cleanup_free_ char *kv = NULL, *q = NULL;

		if (asprintf(&kv, "%s=%s", s->sysctls[k].key, s->sysctls[k].value) < 0)
			return;
		q = shell_quote(kv);
		explainf(spec, "nsenter -t $pid_%s -a sysctl -qw %s", v, q);
	}
}

static void explain_exec(const struct lab_spec *spec, const struct lab *lab,
			 const struct lab_host *h, const char *command, unsigned timeout_ms)
{
	_cleanup_free_ char *q = shell_quote(command);
	char v[NAMES_SHELL_VAR_LEN];

	explainf(spec, "mkdir -p -m 0700 %s/%s/%s && nsenter --target $pid_%s --all --setuid 0 "
		 "--setgid 0 --wd=/tmp -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
		 "/usr/bin:/sbin:/bin HOME=/tmp USER=root LOGNAME=root NETLAB_LAB=%s NETLAB_HOST=%s "
		 "setsid -w timeout -s KILL %u sh -c %s < /dev/null >> %s/%s/%s/%s 2>&1",
		 LAB_RUN_DIR, lab->name, HOSTSETUP_LOG_DIR, names_shell_var(lab, h, v), lab->name,
		 h->name, (timeout_ms + 999) / 1000, q, LAB_RUN_DIR, lab->name, HOSTSETUP_LOG_DIR,
		 h->name);
}

/* ---------------------------------------------------------------------------------------------
 * up
 */

static void fill_failure(struct hostsetup_failure *f, const struct lab_host *h, const char *command,
			 size_t index, size_t count, const struct run *run, unsigned timeout_ms)
{
	memset(f, 0, sizeof(*f));
	f->failed = true;
	util_copy(f->host, sizeof(f->host), h->name);
	snprintf(f->command, sizeof(f->command), "%s", command);
	if (strlen(command) >= sizeof(f->command))
		memcpy(f->command + sizeof(f->command) - 4, "...", 4);
	f->index = index;
	f->count = count;
	f->status = run->status;
	f->timed_out = run->timed_out;
	f->timeout_ms = timeout_ms;
	tail_lines(run->out ? run->out : "", run->len, f->tail, sizeof(f->tail));
}

static int exec_host(const struct lab_spec *spec, const struct lab *lab, size_t i, int logsfd,
		     int sigfd, struct hostsetup_failure *fail, struct lab_error **err)
{
	const struct lab_host *h = &lab->hosts[i];
	const struct hostsetup_host *s = &spec->topo->setup->host[i];
	unsigned timeout_ms = spec->setup && spec->setup->timeout_ms ? spec->setup->timeout_ms
								     : HOSTSETUP_EXEC_TIMEOUT_MS;
	struct log log = { 0 };
	int r = 0;

	for (size_t k = 0; k < s->nexec && r == 0; k++) {
		struct run run = { 0 };

		explain_exec(spec, lab, h, s->exec[k], timeout_ms);
		r = run_one(lab, h, s->exec[k], timeout_ms, sigfd, &run, err);
		if (r < 0) {
			lab_err_wrap(err, "host %s: exec: '%s'", h->name, s->exec[k]);
		} else {
			r = log_addf(&log, err, "$ %s\n", s->exec[k]);
			if (r == 0)
				r = log_add(&log, run.out, run.len, err);
			if (r == 0 && run.len && run.out[run.len - 1] != '\n')
				r = log_add(&log, "\n", 1, err);
			if (r == 0 && run.timed_out)
				r = log_addf(&log, err, "netlab: no exit within %.3g s: killed, with what "
					     "it started\n", timeout_ms / 1000.0);
			else if (r == 0 && run.status)
				r = log_addf(&log, err, "netlab: exit status %d\n", run.status);
			if (r == 0)
				r = log_write(logsfd, h->name, &log, err);
		}
		if (r == 0 && (run.timed_out || run.status) && spec->topo->setup->keep_going) {
			/* Kathará's way: reported, and on to the next */
			if (fail && !fail->failed)
				fill_failure(fail, h, s->exec[k], k + 1, s->nexec, &run, timeout_ms);
			else if (fail)
				fail->others++;
		} else if (r == 0 && (run.timed_out || run.status)) {
			if (fail)
				fill_failure(fail, h, s->exec[k], k + 1, s->nexec, &run, timeout_ms);
			if (run.timed_out)
				r = lab_err(err, 0, "host %s: exec: command %zu of %zu, '%s', did not "
						    "exit within %.3g s: killed, with what it started",
					    h->name, k + 1, s->nexec, s->exec[k], timeout_ms / 1000.0);
			else
				r = lab_err(err, 0, "host %s: exec: command %zu of %zu, '%s', exited with "
						    "status %d", h->name, k + 1, s->nexec, s->exec[k],
					    run.status);
		}
		free(run.out);
	}
	free(log.buf);
	return r;
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
		explain_files(spec, lab, &lab->hosts[i], hs);
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
	for (size_t i = 0; i < lab->nhosts; i++) {
		r = exec_host(spec, lab, i, logsfd, sigfd, fail, err);
		if (r < 0 && fail && fail->failed && spec->setup->keep_on_error) {
			/* kept: the failure is the CLI's to report, the lab stays */
			fail->kept = true;
			lab_err_free(err);
			return 0;
		}
		if (r < 0)
			return r;
	}
	if (fail && fail->failed)	/* keep_going: kept, the failure is the CLI's to report */
		fail->kept = true;
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
		lab_err(err, ENOENT, "host %s of lab %s has no log: no exec: command of its topology "
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
