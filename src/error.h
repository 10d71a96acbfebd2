/* Errors travel up as values; only the CLI prints them (HACKING.md, "Errors"). */
#ifndef NETLAB_ERROR_H
#define NETLAB_ERROR_H

/* What went wrong, for the CLI's exit code; set where the error is made, kept by lab_err_wrap. */
enum lab_error_kind {
	LAB_ERR_FAILURE,	/* something could not be done: exit 1 */
	LAB_ERR_USAGE,		/* what the user typed or wrote is wrong (a name, a CIDR, a topology
				 * file) and nothing was changed: exit 2, with the "Try --help" line */
	LAB_ERR_INTERRUPTED,	/* a signal (signo) stopped the operation: exit 128+signo */
};

struct lab_error {
	enum lab_error_kind kind;
	int errnum;	/* errno value, 0 when msg says it all (e.g. a libnl error) */
	int signo;	/* LAB_ERR_INTERRUPTED: the signal */
	char *msg;
};

/* Fill *err (if err is not NULL and *err is empty) with a failure and return -1 (or -errnum).
 * Always < 0. When there is no memory for the error itself, *err says "out of memory". */
int lab_err(struct lab_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same for a usage error (errnum 0): the user's input is wrong. Returns -1. The checkers
 * of user-typed text (names.c, the CIDR parsers, topo.c) make these; a caller checking text
 * of another source (the state file) reports its own failure instead. */
int lab_err_usage(struct lab_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same for an operation stopped by signal signo (errnum EINTR). Returns -EINTR. */
int lab_err_interrupted(struct lab_error **err, int signo, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in *err with context: "host h1: <old message>". Keeps its kind.
 * Returns < 0. */
int lab_err_wrap(struct lab_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Free *err and set it to NULL. */
void lab_err_free(struct lab_error **err);

/* "msg: strerror(errnum)" into buf; used by the CLI and by children reporting to their parent. */
const char *lab_err_str(const struct lab_error *err, char *buf, unsigned long len);

/* A child's error to its parent on a pipe: errnum, then the message (a child of netlab's that
 * joins a host, whose own failures the parent reports). lab_err_send writes e (NULL: "failed");
 * lab_err_recv reads one into *err and returns < 0, or 0 when the child sent nothing. */
void lab_err_send(int fd, const struct lab_error *e);
int lab_err_recv(int fd, struct lab_error **err);

#endif
