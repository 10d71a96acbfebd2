/* IPv4 prefixes: parsing, formatting, overlap and host numbering. Pure functions, unit tested. */
#ifndef NETLAB_IPV4_H
#define NETLAB_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define IPV4_PREFIX_MIN 8
#define IPV4_PREFIX_MAX 30

/* Addresses are in host byte order throughout netlab; netsetup converts at the kernel boundary. */
struct ipv4_net {
	uint32_t addr;
	int prefix;
};

/* Strict "a.b.c.d" (no leading zeros beyond "0", no blanks). Returns 0 or -1. */
int ipv4_parse_addr(const char *s, uint32_t *out);

/* Any "a.b.c.d/p" (0 <= p <= 32, host bits zero) or "default" (0.0.0.0/0): a route's destination. */
int ipv4_parse_prefix(const char *s, struct ipv4_net *out, struct lab_error **err);

/* "a.b.c.d/p" with 8 <= p <= 30, host bits zero, inside a private range (RFC 1918).
 * On failure *err (a usage error) says what is wrong and how to write it instead; returns < 0. */
int ipv4_parse_net(const char *s, struct ipv4_net *out, struct lab_error **err);

/* Text forms; buf needs 16 bytes (addr) or 19 bytes (net). */
const char *ipv4_fmt(uint32_t addr, char *buf, size_t len);
const char *ipv4_fmt_net(const struct ipv4_net *net, char *buf, size_t len);

uint32_t ipv4_mask(int prefix);
bool ipv4_overlap(const struct ipv4_net *a, const struct ipv4_net *b);
bool ipv4_is_private(const struct ipv4_net *n);

/* Usable host addresses (network and broadcast excluded). */
uint32_t ipv4_capacity(int prefix);

/* The i-th usable address (1-based), or 0 if i is beyond the capacity. */
uint32_t ipv4_host(const struct ipv4_net *net, uint32_t i);

/* Smallest prefix (largest /len) whose capacity holds n hosts, or -1 if none >= IPV4_PREFIX_MIN. */
int ipv4_prefix_for(uint32_t n);

#endif
