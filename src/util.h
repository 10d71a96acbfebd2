/* Small helpers shared by every layer: I/O that retries EINTR, /proc readers, number parsing. */
#ifndef NETLAB_UTIL_H
#define NETLAB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* write(2)/read(2) until done; EINTR retried. Return 0 / bytes read, or -1 with errno set. */
int util_write_all(int fd, const void *buf, size_t len);

/* s in single quotes for sh (each ' as '\''): a malloc'd string the caller frees, or NULL when
 * out of memory. */
char *util_shell_quote(const char *s);
ssize_t util_read_all(int fd, void *buf, size_t len);

/* Write data to an existing file (e.g. /proc/PID/uid_map) in one write(2). */
int util_write_file(const char *path, const char *data, struct lab_error **err);

/* Read at most len-1 bytes of a file into buf, NUL-terminated. Returns length or < 0. */
ssize_t util_read_file(const char *path, char *buf, size_t len, struct lab_error **err);

/* Create dir/name atomically: write to a temporary file, fsync-free rename (tmpfs state). */
int util_write_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
		      struct lab_error **err);

/* Parse a whole decimal string within [min, max]. Returns 0 or -1 (no error object: callers word it). */
int util_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); it identifies
 * a process across PID reuse. Returns 0, or -ESRCH when the process does not exist (or is a zombie). */
int util_proc_starttime(pid_t pid, unsigned long long *out);

/* Copy src into dst[size] whole, or return -1 (and leave dst empty) if it does not fit. */
int util_copy(char *dst, size_t size, const char *src);

/* fork with a CLOEXEC pipe from the child back to the parent (for its output or its error): in
 * the child *out_fd is the write end, in the parent the read end (the other end closed in each;
 * the caller closes its end). Returns the child's PID in the parent, 0 in the child, < 0 (pipe or
 * fork failed, nothing left open) with *err filled. */
pid_t util_fork_piped(int *out_fd, struct lab_error **err);

/* Monotonic clock in nanoseconds. */
uint64_t util_now_ns(void);

/* Remember argv's memory so a cloned child can rename itself in ps (setproctitle-style). */
void util_proctitle_init(int argc, char **argv);
void util_proctitle_set(const char *title);

#endif
