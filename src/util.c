#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = TEMP_FAILURE_RETRY(write(fd, p, len));
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t util_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = TEMP_FAILURE_RETRY(read(fd, p + got, len - got));
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int util_write_file(const char *path, const char *data, struct lab_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(data);
	ssize_t n;

	if (fd < 0)
		return lab_err(err, errno, "open %s", path);
	/* one write: files like uid_map accept exactly one */
	n = TEMP_FAILURE_RETRY(write(fd, data, len));
	if (n < 0)
		return lab_err(err, errno, "write %s", path);
	if ((size_t)n != len)
		return lab_err(err, EIO, "short write to %s", path);
	return 0;
}

ssize_t util_read_file(const char *path, char *buf, size_t len, struct lab_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return lab_err(err, errno, "open %s", path);
	n = util_read_all(fd, buf, len - 1);
	if (n < 0)
		return lab_err(err, errno, "read %s", path);
	buf[n] = '\0';
	return n;
}

int util_write_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
		      struct lab_error **err)
{
	char tmp[NAME_MAX + 1];
	_cleanup_close_ int fd = -1;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return lab_err(err, ENAMETOOLONG, "state file name %s", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return lab_err(err, errno, "create %s", tmp);
	if (util_write_all(fd, data, len) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return lab_err(err, e, "write %s", tmp);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return lab_err(err, e, "rename %s to %s", tmp, name);
	}
	return 0;
}

int util_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')	/* no sign, no blanks: strtoul would accept "-1" */
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int util_proc_starttime(pid_t pid, unsigned long long *out)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int field;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = util_read_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	p += 2;
	if (*p == 'Z' || *p == 'X')	/* exited, waiting to be reaped: not alive */
		return -ESRCH;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -EINVAL;
	*out = strtoull(p, NULL, 10);
	return 0;
}

int util_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size) {
		if (size)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

pid_t util_fork_piped(int *out_fd, struct lab_error **err)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return lab_err(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return lab_err(err, e, "fork");
	}
	close(pipefd[pid > 0 ? 1 : 0]);
	*out_fd = pipefd[pid > 0 ? 0 : 1];
	return pid;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *title_start;
static size_t title_len;

extern char **environ;

void util_proctitle_init(int argc, char **argv)
{
	char *end;

	if (argc < 1 || !argv[0])
		return;
	title_start = argv[0];
	end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	/* like setproctitle(3): the environment strings follow argv's; a renamed child may use them */
	for (char **e = environ; e && *e && *e == end; e++)
		end = *e + strlen(*e) + 1;
	title_len = (size_t)(end - title_start);
}

void util_proctitle_set(const char *title)
{
	char comm[16];

	/* comm holds 15 characters: the first word; the whole title goes in the cmdline */
	snprintf(comm, sizeof(comm), "%.*s", (int)strcspn(title, " "), title);
	prctl(PR_SET_NAME, comm);
	if (!title_start || title_len == 0)
		return;
	/* /proc/PID/cmdline shows argv's memory: overwrite it and pad with NULs */
	memset(title_start, 0, title_len);
	memcpy(title_start, title, strnlen(title, title_len - 1));
}

char *util_shell_quote(const char *s)
{
	size_t n = 2;
	char *q, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	if (!(q = p = malloc(n + 1)))
		return NULL;
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
