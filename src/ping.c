#include "ping.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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

/* What follows the 8-byte ICMP header in our echo requests (and so in the replies). */
struct echo_payload {
	uint64_t stamp;
	uint8_t nonce[8];	/* random per run: a host cannot forge a request it has not seen */
};

/* The echo states of one (source, seq): */
enum { SENT = 1, DELIVERED = 2, ANSWERED = 4 };

static int send_echo6(int fd, uint16_t id, uint16_t seq, const uint8_t dst[16], const uint8_t nonce[8])
{
	struct {
		struct icmp6_hdr h;
		struct echo_payload p;
	} pkt = { 0 };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };

	memcpy(&to.sin6_addr, dst, 16);
	pkt.h.icmp6_type = ICMP6_ECHO_REQUEST;
	pkt.h.icmp6_id = htons(id);
	pkt.h.icmp6_seq = htons(seq);
	pkt.p.stamp = util_now_ns();	/* the kernel fills in the ICMPv6 checksum */
	memcpy(pkt.p.nonce, nonce, 8);
	return sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) ==
	       (ssize_t)sizeof(pkt) ? 0 : -1;
}

static int send_echo(int fd, uint16_t id, uint16_t seq, uint32_t dst, const uint8_t nonce[8])
{
	struct {
		struct icmphdr h;
		struct echo_payload p;
	} pkt = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(dst) };

	pkt.h.type = ICMP_ECHO;
	pkt.h.un.echo.id = htons(id);
	pkt.h.un.echo.sequence = htons(seq);
	pkt.p.stamp = util_now_ns();
	memcpy(pkt.p.nonce, nonce, 8);
	pkt.h.checksum = checksum(&pkt, sizeof(pkt));
	return sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) ==
	       (ssize_t)sizeof(pkt) ? 0 : -1;
}

/* A packet socket of netlab's own, in netlab's network namespace, that sees the echo requests
 * the kernel hands to any interface for transmission (PACKET_OUTGOING): on a bridge port, the frames
 * going to the host at its other end. A classic BPF filter keeps only IPv4 ICMP echo requests and
 * ICMPv6 echo requests, cut at 128 bytes. */
static int wire_socket(struct lab_error **err)
{
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 13),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 5),
		/* IPv4 (offsets from the network header: this is a SOCK_DGRAM socket) */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, 9),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_ECHO, 5, 6),
		/* IPv6, ICMPv6 right after the fixed header (our requests carry no extension header) */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 5),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_ECHO_REQUEST, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 128),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	int size = 64 << 20;	/* a large lab's requests arrive faster than one loop drains them */
	_cleanup_close_ int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
					htons(ETH_P_ALL));

	if (fd < 0)
		return lab_err(err, errno, "packet socket (to see echo requests reach their hosts)");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return lab_err(err, errno, "packet socket: attach its filter");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* frames that arrived before the filter was attached: anything */
	for (char c; recv(fd, &c, 1, MSG_TRUNC) >= 0;)
		;
	return TAKE_FD(fd);
}

/* An echo request of this run seen on a wire: (id, seq, destination address) or false. */
static bool parse_request(const unsigned char *buf, ssize_t len, bool v6, const uint8_t nonce[8],
			  uint16_t *id, uint16_t *seq, struct ping_dst *to)
{
	size_t hl;

	memset(to, 0, sizeof(*to));
	if (v6) {
		const struct icmp6_hdr *h = (const void *)(buf + 40);

		if ((size_t)len < 40 + sizeof(*h) + sizeof(struct echo_payload) || (buf[0] >> 4) != 6 ||
		    buf[6] != IPPROTO_ICMPV6 || h->icmp6_type != ICMP6_ECHO_REQUEST)
			return false;
		hl = 40;
		*id = ntohs(h->icmp6_id);
		*seq = ntohs(h->icmp6_seq);
		memcpy(to->v6, buf + 24, 16);
	} else {
		const struct icmphdr *h;

		hl = (size_t)(buf[0] & 0xf) * 4;
		if (len < 20 || (buf[0] >> 4) != 4 || hl < 20 || buf[9] != IPPROTO_ICMP ||
		    (size_t)len < hl + sizeof(*h) + sizeof(struct echo_payload))
			return false;
		h = (const void *)(buf + hl);
		if (h->type != ICMP_ECHO)
			return false;
		*id = ntohs(h->un.echo.id);
		*seq = ntohs(h->un.echo.sequence);
		to->v4 = (uint32_t)buf[16] << 24 | (uint32_t)buf[17] << 16 | (uint32_t)buf[18] << 8 | buf[19];
	}
	return !memcmp(buf + hl + 8 + offsetof(struct echo_payload, nonce), nonce, 8);
}

static bool on_wire(const struct ping_dst *d, int ifindex)
{
	for (size_t i = 0; i < d->nwire; i++)
		if (d->wire[i] == ifindex)
			return true;
	return false;
}

/* An echo reply for this source: (id, seq, sender) or false. */
static bool parse_reply(const char *buf, ssize_t len, bool v6, const struct sockaddr_in6 *from,
			const uint8_t nonce[8], uint16_t *id, uint16_t *seq, struct ping_dst *sender)
{
	memset(sender, 0, sizeof(*sender));
	if (v6) {
		const struct icmp6_hdr *h = (const void *)buf;

		if ((size_t)len < sizeof(*h) + sizeof(struct echo_payload) ||
		    h->icmp6_type != ICMP6_ECHO_REPLY ||
		    memcmp(buf + sizeof(*h) + offsetof(struct echo_payload, nonce), nonce, 8))
			return false;
		*id = ntohs(h->icmp6_id);
		*seq = ntohs(h->icmp6_seq);
		memcpy(sender->v6, &from->sin6_addr, 16);
	} else {
		const struct iphdr *ip = (const void *)buf;
		const struct icmphdr *h;
		size_t hl = (size_t)ip->ihl * 4;

		if ((size_t)len < hl + sizeof(*h) + sizeof(struct echo_payload))
			return false;
		h = (const void *)(buf + hl);
		if (h->type != ICMP_ECHOREPLY ||
		    memcmp(buf + hl + sizeof(*h) + offsetof(struct echo_payload, nonce), nonce, 8))
			return false;
		*id = ntohs(h->un.echo.id);
		*seq = ntohs(h->un.echo.sequence);
		sender->v4 = ntohl(ip->saddr);
	}
	return true;
}

/* Mark (s, seq) as `what`; returns 1 when the echo is complete (delivered and answered). */
static int mark(unsigned char *state, size_t at, unsigned char what)
{
	if (!(state[at] & SENT) || (state[at] & what))
		return 0;
	state[at] |= what;
	return (state[at] & (DELIVERED | ANSWERED)) == (DELIVERED | ANSWERED);
}

static bool same_addr(const struct ping_dst *a, const struct ping_dst *b, bool v6)
{
	return v6 ? !memcmp(a->v6, b->v6, 16) : a->v4 == b->v4;
}

int ping_matrix(const struct ping_src *src, size_t nsrc, const struct ping_dst *dst, size_t ndst,
		bool v6, unsigned count, int timeout_ms, int skip_self, unsigned *replies,
		unsigned *unconfirmed, struct lab_error **err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct pollfd *pfd = calloc(nsrc + 1, sizeof(*pfd));
	size_t total = nsrc * ndst * count, off = 0, s_next = 0, burst;
	unsigned char *state = NULL;	/* [s][seq]: SENT | DELIVERED | ANSWERED */
	size_t outstanding = 0;
	uint16_t id_base = (uint16_t)(getpid() * 31);
	uint8_t nonce[8];
	uint32_t k = 0;
	uint64_t deadline = 0;
	int r = 0;

	if (!pfd)
		return lab_err(err, ENOMEM, "ping");
	if (self < 0) {
		free(pfd);
		return lab_err(err, errno, "open /proc/self/ns/net");
	}
	if (ndst * count > 65536) {	/* seq = d * count + k, 16 bits */
		free(pfd);
		return lab_err(err, E2BIG, "%zu addresses times %u echo requests each do not fit in "
			       "ICMP's 65536 sequence numbers: ask for fewer (-c)", ndst, count);
	}
	memset(replies, 0, nsrc * ndst * sizeof(*replies));
	if (unconfirmed)
		memset(unconfirmed, 0, nsrc * ndst * sizeof(*unconfirmed));
	for (size_t s = 0; s <= nsrc; s++)
		pfd[s].fd = -1;
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
		r = lab_err(err, errno, "getrandom");
		goto out;
	}
	state = calloc(total + 1, 1);
	if (!state) {
		r = lab_err(err, ENOMEM, "ping");
		goto out;
	}
	pfd[nsrc].events = POLLIN;
	pfd[nsrc].fd = wire_socket(err);
	if (pfd[nsrc].fd < 0) {
		r = -1;
		goto out;
	}
	for (size_t s = 0; s < nsrc; s++) {
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

			if (pfd[s].fd >= 0 && dst[d].set && !(skip_self && dst[d].host == s) &&
			    (v6 ? send_echo6(pfd[s].fd, (uint16_t)(id_base + s), seq, dst[d].v6, nonce)
				: send_echo(pfd[s].fd, (uint16_t)(id_base + s), seq, dst[d].v4, nonce)) == 0) {
				state[s * ndst * count + seq] = SENT;
				outstanding++;
				sent++;
			}
			/* an unreachable network fails at once: that pair simply gets no reply */
			if (++s_next == nsrc) {
				s_next = 0;
				if (++off >= ndst) {
					off = 0;
					k++;
				}
			}
		}
		if (k == count && !deadline)
			deadline = now + (uint64_t)timeout_ms * 1000000u;
		if (k == count && (outstanding == 0 || now >= deadline))
			break;
		wait_ms = k < count ? 1 : (int)((deadline - now) / 1000000u) + 1;
		n = poll(pfd, nsrc + 1, wait_ms);
		if (n < 0 && errno != EINTR) {
			r = lab_err(err, errno, "poll");
			break;
		}
		/* requests seen on their way into the destination host */
		if (n > 0 && (pfd[nsrc].revents & POLLIN)) {
			unsigned char buf[128];
			struct sockaddr_ll ll;
			socklen_t fl = sizeof(ll);
			ssize_t len;

			while ((len = recvfrom(pfd[nsrc].fd, buf, sizeof(buf), 0, (struct sockaddr *)&ll,
					       &fl)) > 0) {
				struct ping_dst to;
				uint16_t id, sq;
				size_t s, at;

				fl = sizeof(ll);
				if (ll.sll_pkttype != PACKET_OUTGOING ||
				    !parse_request(buf, len, v6, nonce, &id, &sq, &to))
					continue;
				s = (uint16_t)(id - id_base);
				if (s >= nsrc || sq >= ndst * count || !on_wire(&dst[sq / count], ll.sll_ifindex) ||
				    !same_addr(&to, &dst[sq / count], v6))
					continue;
				at = s * ndst * count + sq;
				if (mark(state, at, DELIVERED)) {
					outstanding--;
					replies[s * ndst + sq / count]++;
				}
			}
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
				if (!parse_reply(buf, len, v6, &from, nonce, &id, &sq, &who) ||
				    id != (uint16_t)(id_base + s))
					continue;
				seq = sq;
				if (seq >= ndst * count || !same_addr(&who, &dst[seq / count], v6))
					continue;	/* not ours */
				if (mark(state, s * ndst * count + seq, ANSWERED)) {
					outstanding--;
					replies[s * ndst + seq / count]++;
				}
			}
		}
	}
	for (size_t i = 0; r == 0 && unconfirmed && i < total; i++)
		if ((state[i] & (DELIVERED | ANSWERED)) == ANSWERED)
			unconfirmed[(i / (ndst * count)) * ndst + (i % (ndst * count)) / count]++;
out:
	for (size_t s = 0; s <= nsrc; s++)
		if (pfd[s].fd >= 0)
			close(pfd[s].fd);
	free(pfd);
	free(state);
	return r;
}
