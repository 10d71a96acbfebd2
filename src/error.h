/* Errors travel up as values; only the CLI prints them (HACKING.md, "Errors"). */
#ifndef NETLAB_ERROR_H
#define NETLAB_ERROR_H

struct lab_error {
	int errnum;	/* errno value, 0 when msg says it all (e.g. a libnl error) */
	int signo;	/* set when the operation was interrupted by this signal */
	char *msg;
};

/* Fill *err (if err is not NULL and *err is empty) and return -1 (or -errnum). Always < 0. */
int lab_err(struct lab_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in *err with context: "host h1: <old message>". Returns < 0. */
int lab_err_wrap(struct lab_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Free *err and set it to NULL. */
void lab_err_free(struct lab_error **err);

/* "msg: strerror(errnum)" into buf; used by the CLI and by children reporting to their parent. */
const char *lab_err_str(const struct lab_error *err, char *buf, unsigned long len);

#endif
