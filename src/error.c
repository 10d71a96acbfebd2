#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ret_of(int errnum)
{
	return errnum > 0 ? -errnum : -1;
}

int lab_err(struct lab_error **err, int errnum, const char *fmt, ...)
{
	struct lab_error *e;
	va_list ap;

	if (!err || *err)	/* keep the first (innermost) error */
		return ret_of(errnum);
	e = calloc(1, sizeof(*e));
	if (!e)
		return ret_of(errnum);
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	va_end(ap);
	e->errnum = errnum;
	*err = e;
	return ret_of(errnum);
}

int lab_err_wrap(struct lab_error **err, const char *fmt, ...)
{
	char *prefix = NULL, *msg = NULL;
	va_list ap;
	int r;

	if (!err || !*err)
		return -1;
	r = ret_of((*err)->errnum);
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (prefix && asprintf(&msg, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "?") >= 0) {
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
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

const char *lab_err_str(const struct lab_error *err, char *buf, unsigned long len)
{
	if (!err)
		snprintf(buf, len, "unknown error");
	else if (err->errnum > 0)
		snprintf(buf, len, "%s: %s", err->msg ? err->msg : "error", strerror(err->errnum));
	else
		snprintf(buf, len, "%s", err->msg ? err->msg : "error");
	return buf;
}
