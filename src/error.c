#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The error when there is no memory to make one: never freed, never changed. */
static char oom_msg[] = "out of memory";
static struct lab_error oom = { .kind = LAB_ERR_FAILURE, .errnum = 0, .msg = oom_msg };

static int ret_of(int errnum)
{
	return errnum > 0 ? -errnum : -1;
}

static int make(struct lab_error **err, enum lab_error_kind kind, int errnum, int signo,
		const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static int make(struct lab_error **err, enum lab_error_kind kind, int errnum, int signo,
		const char *fmt, va_list ap)
{
	struct lab_error *e;

	if (!err || *err)	/* keep the first (innermost) error */
		return ret_of(errnum);
	e = calloc(1, sizeof(*e));
	if (!e || vasprintf(&e->msg, fmt, ap) < 0) {
		free(e);
		*err = &oom;
		return ret_of(errnum);
	}
	e->kind = kind;
	e->errnum = errnum;
	e->signo = signo;
	*err = e;
	return ret_of(errnum);
}

int lab_err(struct lab_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = make(err, LAB_ERR_FAILURE, errnum, 0, fmt, ap);
	va_end(ap);
	return r;
}

int lab_err_usage(struct lab_error **err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = make(err, LAB_ERR_USAGE, 0, 0, fmt, ap);
	va_end(ap);
	return r;
}

int lab_err_interrupted(struct lab_error **err, int signo, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = make(err, LAB_ERR_INTERRUPTED, EINTR, signo, fmt, ap);
	va_end(ap);
	return r;
}

int lab_err_wrap(struct lab_error **err, const char *fmt, ...)
{
	char *prefix = NULL, *msg = NULL;
	va_list ap;
	int r;

	if (!err || !*err)
		return -1;
	r = ret_of((*err)->errnum);
	if (*err == &oom)
		return r;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (prefix && asprintf(&msg, "%s: %s", prefix, (*err)->msg) >= 0) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(prefix);
	return r;
}

void lab_err_free(struct lab_error **err)
{
	if (!err || !*err)
		return;
	if (*err != &oom) {
		free((*err)->msg);
		free(*err);
	}
	*err = NULL;
}

const char *lab_err_str(const struct lab_error *err, char *buf, unsigned long len)
{
	if (!err)
		snprintf(buf, len, "unknown error");
	else if (err->errnum > 0)
		snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
	else
		snprintf(buf, len, "%s", err->msg);
	return buf;
}

void lab_err_send(int fd, const struct lab_error *e)
{
	int errnum = e ? e->errnum : 0;
	const char *msg = e && e->msg ? e->msg : "failed";

	(void)!util_write_all(fd, &errnum, sizeof(errnum));
	(void)!util_write_all(fd, msg, strlen(msg));
}

int lab_err_recv(int fd, struct lab_error **err)
{
	char msg[1024];
	int errnum;
	ssize_t n;

	if (util_read_all(fd, &errnum, sizeof(errnum)) != (ssize_t)sizeof(errnum))
		return 0;
	n = util_read_all(fd, msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	return lab_err(err, errnum, "%s", msg);
}
