/* IPv6 prefixes for labs: unique local /64s and host addresses in them. Pure functions, unit
 * tested. */
#ifndef NETLAB_IPV6_H
#define NETLAB_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define IPV6_TEXT 46	/* INET6_ADDRSTRLEN */

struct ipv6_net {
	uint8_t addr[16];	/* network byte order, as the kernel has it */
	int prefix;
};

/* inet_pton, refusing IPv4-mapped and empty input. Returns 0 or -1. */
int ipv6_parse_addr(const char *s, uint8_t out[16]);

/* "fdxx:...::/64": a unique local (fc00::/7) /64 with zero host bits. *err (a usage error) says
 * what is wrong. */
int ipv6_parse_net(const char *s, struct ipv6_net *out, struct lab_error **err);

/* Any "addr/p" (host bits zero) or "default" (::/0): a route's destination. */
int ipv6_parse_prefix(const char *s, struct ipv6_net *out, struct lab_error **err);

const char *ipv6_fmt(const uint8_t addr[16], char *buf, size_t len);
const char *ipv6_fmt_net(const struct ipv6_net *net, char *buf, size_t len);

bool ipv6_is_zero(const uint8_t addr[16]);
bool ipv6_overlap(const struct ipv6_net *a, const struct ipv6_net *b);
bool ipv6_in(const struct ipv6_net *net, const uint8_t addr[16]);

/* netlab's default prefix for segment seg (1-based) of lab number: fd4e:4c00:NUMBER:SEG::/64. */
void ipv6_lab_net(unsigned number, unsigned seg, struct ipv6_net *out);

/* The address whose low 32 bits are id, in a /64 (id = the host's IPv4 host number). */
void ipv6_host(const struct ipv6_net *net, uint32_t id, uint8_t out[16]);

#endif
