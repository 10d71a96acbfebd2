#include "ping.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
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

/* A raw ICMP (or ICMPv6) socket in the network namespace of the process behind pidfd. */
static int icmp_socket_in(int pidfd, int self_netns, bool v6, struct lab_error **err)
{
	int fd, e;

	if (setns(pidfd, CLONE_NEWNET) < 0)
		return lab_err(err, errno, "enter a host's network namespace");
	fd = v6 ? socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6)
		: socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	e = errno;
	if (fd >= 0 && v6) {	/* echo replies only: no neighbour discovery chatter */
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
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

static int send_echo6(int fd, uint16_t id, uint16_t seq, const uint8_t dst[16])
{
	struct {
		struct icmp6_hdr h;
		uint64_t stamp;
	} pkt = { 0 };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };

	memcpy(&to.sin6_addr, dst, 16);
	pkt.h.icmp6_type = ICMP6_ECHO_REQUEST;
	pkt.h.icmp6_id = htons(id);
	pkt.h.icmp6_seq = htons(seq);
	pkt.stamp = util_now_ns();	/* the kernel fills in the ICMPv6 checksum */
	return sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) ==
	       (ssize_t)sizeof(pkt) ? 0 : -1;
}

static int send_echo(int fd, uint16_t id, uint16_t seq, uint32_t dst)
{
	struct {
		struct icmphdr h;
		uint64_t stamp;
	} pkt = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(dst) };

	pkt.h.type = ICMP_ECHO;
	pkt.h.un.echo.id = htons(id);
	pkt.h.un.echo.sequence = htons(seq);
	pkt.stamp = util_now_ns();
	pkt.h.checksum = checksum(&pkt, sizeof(pkt));
	return sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) ==
	       (ssize_t)sizeof(pkt) ? 0 : -1;
}

/* An echo reply for this source: (id, seq, sender) or false. */
static bool parse_reply(const char *buf, ssize_t len, bool v6, const struct sockaddr_in6 *from,
			uint16_t *id, uint16_t *seq, struct ping_dst *sender)
{
	memset(sender, 0, sizeof(*sender));
	if (v6) {
		const struct icmp6_hdr *h = (const void *)buf;

		if ((size_t)len < sizeof(*h) || h->icmp6_type != ICMP6_ECHO_REPLY)
			return false;
		*id = ntohs(h->icmp6_id);
		*seq = ntohs(h->icmp6_seq);
		memcpy(sender->v6, &from->sin6_addr, 16);
	} else {
		const struct iphdr *ip = (const void *)buf;
		const struct icmphdr *h;
		size_t hl = (size_t)ip->ihl * 4;

		if ((size_t)len < hl + sizeof(*h))
			return false;
		h = (const void *)(buf + hl);
		if (h->type != ICMP_ECHOREPLY)
			return false;
		*id = ntohs(h->un.echo.id);
		*seq = ntohs(h->un.echo.sequence);
		sender->v4 = ntohl(ip->saddr);
	}
	return true;
}

int ping_matrix(const struct ping_src *src, size_t nsrc, const struct ping_dst *dst, size_t ndst,
		bool v6, unsigned count, int timeout_ms, int skip_self, unsigned *replies,
		struct lab_error **err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct pollfd *pfd = calloc(nsrc + 1, sizeof(*pfd));
	size_t total = nsrc * ndst * count, off = skip_self ? 1 : 0, s_next = 0, burst;
	unsigned char *pending = NULL;	/* [s][seq]: sent, no reply yet */
	size_t outstanding = 0;
	uint16_t id_base = (uint16_t)(getpid() * 31);
	uint32_t k = 0;
	uint64_t deadline = 0;
	int r = 0;

	if (!pfd)
		return lab_err(err, ENOMEM, "ping");
	if (self < 0) {
		free(pfd);
		return lab_err(err, errno, "open /proc/self/ns/net");
	}
	memset(replies, 0, nsrc * ndst * sizeof(*replies));
	pending = calloc(total + 1, 1);
	if (!pending) {
		r = lab_err(err, ENOMEM, "ping");
		goto out;
	}
	for (size_t s = 0; s < nsrc; s++) {
		pfd[s].fd = -1;
		pfd[s].events = POLLIN;
		if (src[s].pidfd < 0)
			continue;
		pfd[s].fd = icmp_socket_in(src[s].pidfd, self, v6, err);
		if (pfd[s].fd < 0) {
			r = -1;
			goto out;
		}
	}
	/* Paced, not all at once: each first request to a neighbour is an ARP broadcast that the
	 * bridge floods to every port; a burst of thousands overflows the kernel's per-CPU backlog
	 * (net.core.netdev_max_backlog, 1000). About that many frames per millisecond. Pairs go out
	 * spread over sources: offset 1 for every source, then offset 2, ... */
	burst = 1000 / (ndst + 1);
	burst = burst < 4 ? 4 : burst;

	for (;;) {
		uint64_t now = util_now_ns();
		size_t sent = 0;
		int n, wait_ms;

		while (k < count && sent < burst) {
			size_t s = s_next, d = (s + off) % ndst;
			uint16_t seq = (uint16_t)(d * count + k);

			if (pfd[s].fd >= 0 && dst[d].set && !(skip_self && s == d) &&
			    (v6 ? send_echo6(pfd[s].fd, (uint16_t)(id_base + s), seq, dst[d].v6)
				: send_echo(pfd[s].fd, (uint16_t)(id_base + s), seq, dst[d].v4)) == 0) {
				pending[s * ndst * count + seq] = 1;
				outstanding++;
				sent++;
			}
			/* an unreachable network fails at once: that pair simply gets no reply */
			if (++s_next == nsrc) {
				s_next = 0;
				if (++off >= ndst) {
					off = skip_self ? 1 : 0;
					k++;
				}
			}
		}
		if (k == count && !deadline)
			deadline = now + (uint64_t)timeout_ms * 1000000u;
		if (k == count && (outstanding == 0 || now >= deadline))
			break;
		wait_ms = k < count ? 1 : (int)((deadline - now) / 1000000u) + 1;
		n = poll(pfd, nsrc, wait_ms);
		if (n < 0 && errno != EINTR) {
			r = lab_err(err, errno, "poll");
			break;
		}
		for (size_t s = 0; n > 0 && s < nsrc; s++) {
			char buf[256];
			ssize_t len;

			if (pfd[s].fd < 0 || !(pfd[s].revents & POLLIN))
				continue;
			struct sockaddr_in6 from;
			socklen_t fl = sizeof(from);

			while ((len = recvfrom(pfd[s].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) > 0) {
				struct ping_dst who;
				uint16_t id, sq;
				size_t seq;

				fl = sizeof(from);
				/* a raw socket sees every ICMP packet of its netns: keep only our replies */
				if (!parse_reply(buf, len, v6, &from, &id, &sq, &who) ||
				    id != (uint16_t)(id_base + s))
					continue;
				seq = sq;
				if (seq >= ndst * count || !pending[s * ndst * count + seq] ||
				    (v6 ? memcmp(who.v6, dst[seq / count].v6, 16) : who.v4 != dst[seq / count].v4))
					continue;	/* late, duplicate or not ours */
				pending[s * ndst * count + seq] = 0;
				outstanding--;
				replies[s * ndst + seq / count]++;
			}
		}
	}
out:
	for (size_t s = 0; s < nsrc; s++)
		if (pfd[s].fd >= 0)
			close(pfd[s].fd);
	free(pfd);
	free(pending);
	return r;
}
