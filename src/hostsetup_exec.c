/* The exec: step of `up` (hostsetup_up): each host's commands run inside it by a runner of ours,
 * their output kept in memfds and written to the host's log; one event loop for a lab's hosts at
 * once (Kathará labs) or one after another (topology files); and --explain's lines for files: and
 * exec:. */
#include "hostsetup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostsetup_int.h"
#include "topo.h"
#include "util.h"

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

/* One exec: command under way: its runner (a child of ours that joins the host, runs the command
 * in a session of its own and waits for it, as lab_capture_timed's waiter), the memfd the command
 * writes to, the runner's error pipe, and its deadline. */
struct runner {
	pid_t pid;		/* 0: none */
	int pidfd, mfd, errfd;
	uint64_t deadline;	/* ns (util_now_ns): the command must have exited by then */
	uint64_t kill_at;	/* past the deadline: the runner was told to end its command
				 * (SIGTERM, again at term_at) and is killed outright at kill_at;
				 * 0 before that */
	uint64_t term_at;
};

/* What a command did, once its runner is reaped. */
struct run {
	int status;		/* its exit status (128+N: killed by signal N) */
	bool timed_out;		/* killed at its deadline */
	char *out;		/* the tail of what it wrote, malloc'd */
	size_t len;
};

#define RUNNER_STOP_MS 1000	/* how long a runner has to end its command before it is killed */
#define RUNNER_TERM_MS 100	/* SIGTERM again this often: it may not know its command yet */

static void runner_close(struct runner *r)
{
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->mfd >= 0)
		close(r->mfd);
	if (r->errfd >= 0)
		close(r->errfd);
	*r = (struct runner){ .pidfd = -1, .mfd = -1, .errfd = -1 };
}

/* Start command in host h with a runner of its own (r: closed, on success filled; the caller
 * finishes it with runner_finish or stops it with runners_stop). Returns at once. */
static int runner_start(const struct lab *lab, const struct lab_host *h, const char *command,
			unsigned timeout_ms, struct runner *r, struct lab_error **err)
{
	_cleanup_close_ int mfd = -1, errfd = -1, pidfd = -1;
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000u;
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
		 * host's socket, no pidfd, no other command's memfd */
		if (null < 0 || dup2(null, 0) < 0 || dup2(mfd, 1) < 0 || dup2(mfd, 2) < 0 ||
		    hs_keep_fds(&errfd, 1) < 0)
			_exit(1);
		if (lab_exec(lab, h, argv, NULL, &status, &e) < 0) {
			lab_err_send(3, e);
			status = status ? status : 1;
		}
		_exit(status);
	}
	setpgid(pid, pid);	/* also here: no race with a kill of its group */
	r->pid = pid;
	r->pidfd = TAKE_FD(pidfd);
	r->mfd = TAKE_FD(mfd);
	r->errfd = TAKE_FD(errfd);
	r->deadline = deadline;
	r->kill_at = r->term_at = 0;
	return 0;
}

/* Its deadline (or a step of its stopping) has passed, at now: tell the runner to end its command
 * (it kills the command's whole process group, as lab_capture_timed's waiter does); past
 * RUNNER_STOP_MS, kill it and what is left of its group. Its pidfd says when it is gone. */
static void runner_expire(struct runner *r, uint64_t now)
{
	if (!r->kill_at)
		r->kill_at = now + (uint64_t)RUNNER_STOP_MS * 1000000u;
	if (now >= r->kill_at) {
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
		r->kill_at = r->term_at = UINT64_MAX;	/* nothing more to do but reap it */
		return;
	}
	if (now >= r->term_at) {
		kill(r->pid, SIGTERM);
		r->term_at = now + (uint64_t)RUNNER_TERM_MS * 1000000u;
	}
}

/* When the loop must next look at r: its deadline, or the next step of its stopping. */
static uint64_t runner_due(const struct runner *r)
{
	if (!r->kill_at)
		return r->deadline;
	return r->term_at < r->kill_at ? r->term_at : r->kill_at;
}

/* The runner has exited (its pidfd is readable): reap it and read what the command wrote into out
 * (out->out malloc'd, also on failure). r is closed on return. < 0: netlab's own failure to run
 * the command (joining the host), not the command's. */
static int runner_finish(struct runner *r, const char *command, struct run *out,
			 struct lab_error **err)
{
	struct stat st;
	off_t from;
	ssize_t n;
	int ws = 0, ret = 0;

	out->timed_out = r->kill_at != 0;
	if (out->timed_out)
		kill(-r->pid, SIGKILL);	/* what is left of its group */
	while (waitpid(r->pid, &ws, 0) < 0)
		if (errno != EINTR) {
			ret = lab_err(err, errno, "waitpid for '%s'", command);
			goto out;
		}
	r->pid = 0;
	out->status = out->timed_out ? 128 + SIGKILL : runner_status(ws);
	/* what it left running may write on: no further than this (EPERM, not SIGPIPE). The
	 * command could have sealed it first (F_SEAL_SEAL): then it only grows in the host's own
	 * memory, and we read what is there all the same */
	(void)fcntl(r->mfd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	if (fstat(r->mfd, &st) < 0) {
		ret = lab_err(err, errno, "size of the output of '%s'", command);
		goto out;
	}
	/* the host decides its size (ftruncate, sparse): only the last MiB is read */
	from = st.st_size > HOSTSETUP_LOG_MAX ? st.st_size - HOSTSETUP_LOG_MAX : 0;
	out->out = malloc((size_t)(st.st_size - from) + 1);
	if (!out->out) {
		ret = lab_err(err, ENOMEM, "output of '%s'", command);
		goto out;
	}
	n = pread(r->mfd, out->out, (size_t)(st.st_size - from), from);
	out->len = n > 0 ? (size_t)n : 0;
	out->out[out->len] = '\0';
	if (!out->timed_out && lab_err_recv(r->errfd, err) < 0)
		ret = -1;	/* netlab's own failure to run it (joining the host), not the command's */
out:
	if (r->pid > 0)
		hs_kill_reap(r->pid);
	runner_close(r);
	return ret;
}

/* Stop every runner of rs[n] that is under way, all at once: each ends its command's group
 * (SIGTERM, as at a deadline), and whatever has not exited within RUNNER_STOP_MS is killed, with
 * what is left of its group; all reaped and closed. For the paths that give up (a signal, a
 * failure). */
static void runners_stop(struct runner *rs, size_t n)
{
	uint64_t until = util_now_ns() + (uint64_t)RUNNER_STOP_MS * 1000000u;

	for (size_t i = 0; i < n; i++)
		if (rs[i].pid > 0)
			kill(rs[i].pid, SIGTERM);
	for (size_t i = 0; i < n; i++) {
		struct runner *r = &rs[i];

		for (uint64_t now = util_now_ns(); r->pid > 0 && now < until; now = util_now_ns()) {
			struct pollfd p = { .fd = r->pidfd, .events = POLLIN };

			if (poll(&p, 1, RUNNER_TERM_MS) > 0)
				break;
			kill(r->pid, SIGTERM);
		}
		if (r->pid > 0) {
			kill(-r->pid, SIGKILL);
			hs_kill_reap(r->pid);
		}
		runner_close(r);
	}
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

void hs_explain_files(const struct lab_spec *spec, const struct lab *lab,
			  const struct lab_host *h, const struct hostsetup_host *s)
{
	_cleanup_free_ char *dir = s->files ? util_shell_quote(s->files) : NULL;
	char v[NAMES_SHELL_VAR_LEN];

	names_shell_var(lab, h, v);
	if (s->files && dir)
		explainf(spec, "# host %s: files: into its own root (by hand, where it has one): tar -C "
			 "%s -cf - . | nsenter -t $pid_%s -a tar -xf - -C / --no-same-owner "
			 "--no-overwrite-dir", h->name, dir, v);
	for (size_t k = 0; k < s->nsysctls; k++) {
		_cleanup_free_ char *kv = NULL, *q = NULL;

		if (asprintf(&kv, "%s=%s", s->sysctls[k].key, s->sysctls[k].value) < 0)
			return;
		if (!(q = util_shell_quote(kv)))
			return;
		explainf(spec, "nsenter -t $pid_%s -a sysctl -qw %s", v, q);
	}
}

static void explain_exec(const struct lab_spec *spec, const struct lab *lab,
			 const struct lab_host *h, const char *command, unsigned timeout_ms)
{
	_cleanup_free_ char *q = util_shell_quote(command);
	char v[NAMES_SHELL_VAR_LEN];

	if (!q)
		return;	/* --explain is best effort: out of memory, no line */
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

/* The exec: step of `up`: every host's commands, each host's in order; the hosts one after
 * another, or (hostsetup.parallel) at once, a host starting once the hosts of its `after` are
 * done. One thread: an event loop over the runners' pidfds and up's signalfd, its timeout the
 * earliest deadline; no command blocks another. */
struct exec_step {
	const struct lab_spec *spec;
	const struct lab *lab;
	const struct hostsetup *s;
	int logsfd, sigfd;
	unsigned timeout_ms;
	size_t max;			/* commands under way at once, at most */
	size_t nrunning;
	struct runner *runs;		/* [host]: its command under way (pid 0: none) */
	size_t *next;			/* [host]: its command under way or to run next */
	bool *done;			/* [host]: all its commands have ended */
	struct log *logs;		/* [host] */
	struct hostsetup_failure *fail;	/* NULL: not asked */
	size_t failures;		/* keep_going: commands that failed */
	size_t fail_host;		/* the host fail names (the first of the hosts' order) */
};

/* How many commands run at once. Each may start daemons (a Kathará router's `systemctl start frr`
 * starts several and loads their configuration, mostly CPU), and each has its own deadline
 * (--exec-timeout) from its own start: many more at once than the CPUs can run would only make
 * each slower, up to missing its deadline on a small machine, and would hold three fds and a
 * runner process each for nothing. Twice the CPUs keeps them busy while some wait. */
static size_t max_running(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? 2 * (size_t)n : 2;
}

/* Whether host i may start its commands now: host after host, or once its `after` are done. */
static bool host_ready(const struct exec_step *x, size_t i)
{
	const struct hostsetup_host *hs = &x->s->host[i];

	if (x->done[i] || x->runs[i].pid > 0)
		return false;
	if (!x->s->parallel)
		return i == 0 || x->done[i - 1];
	for (size_t k = 0; k < hs->nafter; k++)
		if (!x->done[hs->after[k]])
			return false;
	return true;
}

/* Start host i's next command, or mark it done when it has none left. */
static int host_next(struct exec_step *x, size_t i, struct lab_error **err)
{
	const struct lab_host *h = &x->lab->hosts[i];
	const struct hostsetup_host *hs = &x->s->host[i];
	const char *command;

	if (x->next[i] >= hs->nexec) {
		x->done[i] = true;
		return 0;
	}
	command = hs->exec[x->next[i]];
	if (!x->s->parallel)	/* a parallel run printed them all, in order, before it started */
		explain_exec(x->spec, x->lab, h, command, x->timeout_ms);
	if (runner_start(x->lab, h, command, x->timeout_ms, &x->runs[i], err) < 0)
		return lab_err_wrap(err, "host %s: exec: '%s'", h->name, command);
	x->nrunning++;
	return 0;
}

/* Host i's command ended: its output into the host's log, its failure noted (keep_going) or
 * returned (< 0, with x->fail filled), and the host's next command started. */
static int host_ended(struct exec_step *x, size_t i, struct lab_error **err)
{
	const struct lab_host *h = &x->lab->hosts[i];
	const struct hostsetup_host *hs = &x->s->host[i];
	size_t k = x->next[i];
	const char *command = hs->exec[k];
	struct log *log = &x->logs[i];
	struct run run = { 0 };
	int r;

	x->nrunning--;
	r = runner_finish(&x->runs[i], command, &run, err);
	if (r < 0) {
		lab_err_wrap(err, "host %s: exec: '%s'", h->name, command);
	} else {
		r = log_addf(log, err, "$ %s\n", command);
		if (r == 0)
			r = log_add(log, run.out, run.len, err);
		if (r == 0 && run.len && run.out[run.len - 1] != '\n')
			r = log_add(log, "\n", 1, err);
		if (r == 0 && run.timed_out)
			r = log_addf(log, err, "netlab: no exit within %.3g s: killed, with what it "
				     "started\n", x->timeout_ms / 1000.0);
		else if (r == 0 && run.status)
			r = log_addf(log, err, "netlab: exit status %d\n", run.status);
		if (r == 0)
			r = log_write(x->logsfd, h->name, log, err);
	}
	if (r == 0 && (run.timed_out || run.status) && x->s->keep_going) {
		/* Kathará's way: reported, and on to the next. The failure shown is the first in the
		 * hosts' order, whichever ended first */
		if (x->fail && (!x->fail->failed || i < x->fail_host)) {
			fill_failure(x->fail, h, command, k + 1, hs->nexec, &run, x->timeout_ms);
			x->fail_host = i;
		}
		x->failures++;
	} else if (r == 0 && (run.timed_out || run.status)) {
		if (x->fail)
			fill_failure(x->fail, h, command, k + 1, hs->nexec, &run, x->timeout_ms);
		if (run.timed_out)
			r = lab_err(err, 0, "host %s: exec: command %zu of %zu, '%s', did not exit "
					    "within %.3g s: killed, with what it started", h->name, k + 1,
				    hs->nexec, command, x->timeout_ms / 1000.0);
		else
			r = lab_err(err, 0, "host %s: exec: command %zu of %zu, '%s', exited with "
					    "status %d", h->name, k + 1, hs->nexec, command, run.status);
	}
	free(run.out);
	if (r < 0)
		return r;
	x->next[i]++;
	/* its next step at once: a host under way keeps its place */
	return host_next(x, i, err);
}

/* Start whatever may start, in the hosts' order, within x->max. A host without commands is done at
 * once, and so may let a later one start: the hosts a host waits for come before it. */
static int start_ready(struct exec_step *x, struct lab_error **err)
{
	for (size_t i = 0; i < x->s->n && x->nrunning < x->max; i++)
		if (host_ready(x, i) && host_next(x, i, err) < 0)
			return -1;
	return 0;
}

static int run_loop(struct exec_step *x, struct lab_error **err)
{
	size_t n = x->s->n;
	_cleanup_free_ struct pollfd *p = calloc(n + 1, sizeof(*p));
	_cleanup_free_ size_t *who = calloc(n + 1, sizeof(*who));

	if (!p || !who)
		return lab_err(err, ENOMEM, "exec:");
	for (;;) {
		uint64_t now, due = UINT64_MAX;
		size_t np = 0, ndone = 0;
		int timeout = -1, w;

		if (start_ready(x, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			ndone += x->done[i];
		if (ndone == n)
			return 0;
		if (!x->nrunning)	/* hostsetup's own checks make this impossible */
			return lab_err(err, EDEADLK, "exec: the hosts wait for each other");
		if (x->sigfd >= 0)
			p[np++] = (struct pollfd){ .fd = x->sigfd, .events = POLLIN };
		for (size_t i = 0; i < n; i++) {
			if (x->runs[i].pid <= 0)
				continue;
			who[np] = i;
			p[np++] = (struct pollfd){ .fd = x->runs[i].pidfd, .events = POLLIN };
			if (runner_due(&x->runs[i]) < due)
				due = runner_due(&x->runs[i]);
		}
		now = util_now_ns();
		if (due != UINT64_MAX)
			timeout = due > now ? (int)((due - now) / 1000000u) + 1 : 0;
		w = poll(p, np, timeout);
		if (w < 0 && errno != EINTR)
			return lab_err(err, errno, "wait for the hosts' exec: commands");
		for (size_t j = 0; w > 0 && j < np; j++) {
			if (p[j].fd == x->sigfd && (p[j].revents & POLLIN)) {
				struct signalfd_siginfo si;

				/* as up_step reports it: the CLI exits 128+N for an interrupted error */
				if (read(x->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
					return lab_err_interrupted(err, (int)si.ssi_signo, "interrupted by "
								   "%s while running a host's exec: "
								   "command", strsignal((int)si.ssi_signo));
			} else if (p[j].fd != x->sigfd && (p[j].revents & (POLLIN | POLLHUP | POLLERR)) &&
				   host_ended(x, who[j], err) < 0) {
				return -1;
			}
		}
		now = util_now_ns();
		for (size_t i = 0; i < n; i++)
			if (x->runs[i].pid > 0 && now >= runner_due(&x->runs[i]))
				runner_expire(&x->runs[i], now);
	}
}

/* The hosts' exec: commands (hostsetup_up). 0, or < 0 with x->fail filled when a command failed
 * (not keep_going); every runner is stopped and reaped on return. */
static int exec_all(struct exec_step *x, struct lab_error **err)
{
	size_t n = x->s->n;
	int r = -1;

	x->runs = calloc(n, sizeof(*x->runs));
	x->next = calloc(n, sizeof(*x->next));
	x->done = calloc(n, sizeof(*x->done));
	x->logs = calloc(n, sizeof(*x->logs));
	if (!x->runs || !x->next || !x->done || !x->logs) {
		lab_err(err, ENOMEM, "exec:");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		x->runs[i] = (struct runner){ .pidfd = -1, .mfd = -1, .errfd = -1 };
		for (size_t k = 0; x->s->parallel && k < x->s->host[i].nafter; k++)
			if (x->s->host[i].after[k] >= i) {
				lab_err(err, EINVAL, "host %s: exec: waits for a host that comes after "
					     "it", x->lab->hosts[i].name);
				goto out;
			}
	}
	if (x->s->parallel && x->spec->explain) {
		/* by hand, one after another in the hosts' order does what the loop does at once */
		explainf(x->spec, "# the hosts' commands below run at once in netlab (each host's in "
			 "order, a host after those it waits for); by hand, one after another");
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < x->s->host[i].nexec; k++)
				explain_exec(x->spec, x->lab, &x->lab->hosts[i], x->s->host[i].exec[k],
					     x->timeout_ms);
	}
	r = run_loop(x, err);
out:
	if (x->runs)
		runners_stop(x->runs, n);
	for (size_t i = 0; x->logs && i < n; i++)
		free(x->logs[i].buf);
	free(x->runs);
	free(x->next);
	free(x->done);
	free(x->logs);
	return r;
}


int hs_exec(const struct lab_spec *spec, const struct lab *lab, const struct hostsetup *s,
	    int logsfd, int sigfd, unsigned timeout_ms, struct hostsetup_failure *fail,
	    size_t *failures, struct lab_error **err)
{
	struct exec_step x = { .spec = spec, .lab = lab, .s = s, .logsfd = logsfd, .sigfd = sigfd,
			       .timeout_ms = timeout_ms, .max = s->parallel ? max_running() : 1,
			       .fail = fail };
	int r = exec_all(&x, err);

	*failures = x.failures;
	return r;
}
