/* Sockets, namespaces and the libnl -> lab_error conversion. */
#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/cleanup.h"

int nets_nlerr(struct lab_error **err, int nlerr, const char *what)
{
	/* libnl returns -NLE_*, not -errno: word it with nl_geterror, never strerror */
	return lab_err(err, 0, "%s: %s", what, nl_geterror(nlerr));
}

int nets_open(struct nets **out, struct lab_error **err)
{
	struct nets *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return lab_err(err, ENOMEM, "netlink socket");
	n->sk = nl_socket_alloc();
	if (!n->sk) {
		free(n);
		return lab_err(err, ENOMEM, "netlink socket");
	}
	r = nl_connect(n->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(n->sk);
		free(n);
		return nets_nlerr(err, r, "connect netlink route socket");
	}
	n->here = true;
	*out = n;
	return 0;
}

int nets_open_at(int nsfd, struct nets **out, struct lab_error **err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return lab_err(err, errno, "open /proc/self/ns/net");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return lab_err(err, errno, "enter network namespace");
	r = nets_open(out, err);
	if (r >= 0)
		(*out)->here = false;
	/* a socket stays in the netns it was made in: go back whatever happened */
	if (setns(self, CLONE_NEWNET) < 0) {
		int e = errno;
		if (r >= 0)
			nets_close(*out);
		return lab_err(err, e, "return to the original network namespace");
	}
	return r;
}

int nets_sysctl_at(int nsfd, const char *const names[], const char *const values[], size_t count,
		   struct lab_error **err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (self < 0)
		return lab_err(err, errno, "open /proc/self/ns/net");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return lab_err(err, errno, "enter network namespace");
	/* /proc/sys/net shows the netns of whoever opens the file: ours now, the host's */
	for (size_t i = 0; i < count && r == 0; i++) {
		char path[160];
		int fd;

		snprintf(path, sizeof(path), "/proc/sys/net/%s", names[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, values[i], strlen(values[i])) != (ssize_t)strlen(values[i]))
			r = lab_err(err, errno, "write %s", path);
		if (fd >= 0)
			close(fd);
	}
	if (setns(self, CLONE_NEWNET) < 0)
		return lab_err(err, errno, "return to the original network namespace");
	return r;
}

void nets_close(struct nets *n)
{
	if (!n)
		return;
	nl_socket_free(n->sk);	/* closes the fd too */
	free(n);
}
