#include "ping.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static uint16_t checksum(const void *data, size_t len)
{
	const uint16_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const uint8_t *)p;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)~sum;
}

/* A raw ICMP socket in the network namespace of the process behind pidfd. */
static int icmp_socket_in(int pidfd, int self_netns, struct lab_error **err)
{
	int fd, e;

	if (setns(pidfd, CLONE_NEWNET) < 0)
		return lab_err(err, errno, "enter a host's network namespace");
	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	e = errno;
	if (setns(self_netns, CLONE_NEWNET) < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return lab_err(err, e, "return to the original network namespace");
	}
	if (fd < 0)
		return lab_err(err, e, "ICMP socket");
	return fd;
}

int ping_matrix(const struct ping_src *src, size_t nsrc, const uint32_t *dst, size_t ndst,
		unsigned count, int timeout_ms, int skip_self, unsigned *replies, struct lab_error **err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct pollfd *pfd = calloc(nsrc + 1, sizeof(*pfd));
	size_t pending = 0;
	uint16_t id_base = (uint16_t)(getpid() * 31);
	uint64_t deadline;
	int r = 0;

	if (!pfd)
		return lab_err(err, ENOMEM, "ping");
	if (self < 0) {
		free(pfd);
		return lab_err(err, errno, "open /proc/self/ns/net");
	}
	memset(replies, 0, nsrc * ndst * sizeof(*replies));
	for (size_t s = 0; s < nsrc; s++) {
		pfd[s].fd = -1;
		pfd[s].events = POLLIN;
		if (src[s].pidfd < 0)
			continue;
		pfd[s].fd = icmp_socket_in(src[s].pidfd, self, err);
		if (pfd[s].fd < 0) {
			r = -1;
			goto out;
		}
	}
	/* everything goes out first; the kernel resolves neighbours for all pairs in parallel */
	for (unsigned k = 0; k < count; k++)
		for (size_t s = 0; s < nsrc; s++)
			for (size_t d = 0; d < ndst; d++) {
				struct {
					struct icmphdr h;
					uint64_t stamp;
				} pkt = { 0 };
				struct sockaddr_in to = { .sin_family = AF_INET };

				if (pfd[s].fd < 0 || !dst[d] || (skip_self && s == d))
					continue;
				pkt.h.type = ICMP_ECHO;
				pkt.h.un.echo.id = htons((uint16_t)(id_base + s));
				pkt.h.un.echo.sequence = htons((uint16_t)(d * count + k));
				pkt.stamp = util_now_ns();
				pkt.h.checksum = checksum(&pkt, sizeof(pkt));
				to.sin_addr.s_addr = htonl(dst[d]);
				/* an unreachable network fails at once: that pair simply gets no reply */
				if (sendto(pfd[s].fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
					   sizeof(to)) == (ssize_t)sizeof(pkt))
					pending++;
			}
	deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000u;
	while (pending > 0) {
		uint64_t now = util_now_ns();
		int n;

		if (now >= deadline)
			break;
		n = poll(pfd, nsrc, (int)((deadline - now) / 1000000u) + 1);
		if (n < 0 && errno != EINTR) {
			r = lab_err(err, errno, "poll");
			break;
		}
		for (size_t s = 0; n > 0 && s < nsrc; s++) {
			char buf[256];
			ssize_t len;

			if (pfd[s].fd < 0 || !(pfd[s].revents & POLLIN))
				continue;
			while ((len = recv(pfd[s].fd, buf, sizeof(buf), 0)) > 0) {
				const struct iphdr *ip = (const void *)buf;
				const struct icmphdr *h;
				size_t hl = (size_t)ip->ihl * 4, d;

				if ((size_t)len < hl + sizeof(*h))
					continue;
				h = (const void *)(buf + hl);
				/* a raw socket sees every ICMP packet of its netns: keep only our replies */
				if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != (uint16_t)(id_base + s))
					continue;
				d = ntohs(h->un.echo.sequence) / count;
				if (d >= ndst || ntohl(ip->saddr) != dst[d])
					continue;
				replies[s * ndst + d]++;
				pending--;
			}
		}
	}
out:
	for (size_t s = 0; s < nsrc; s++)
		if (pfd[s].fd >= 0)
			close(pfd[s].fd);
	free(pfd);
	return r;
}
