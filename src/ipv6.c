#include "ipv6.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int ipv6_parse_addr(const char *s, uint8_t out[16])
{
	struct in6_addr a;

	if (!*s || inet_pton(AF_INET6, s, &a) != 1 || IN6_IS_ADDR_V4MAPPED(&a))
		return -1;
	memcpy(out, &a, 16);
	return 0;
}

bool ipv6_is_zero(const uint8_t addr[16])
{
	static const uint8_t zero[16];

	return !memcmp(addr, zero, 16);
}

int ipv6_parse_prefix(const char *s, struct ipv6_net *out, struct lab_error **err)
{
	char addr[IPV6_TEXT + 1];
	const char *slash = strchr(s, '/');
	struct ipv6_net n = { .prefix = 0 };
	unsigned long p = 0;

	if (!strcmp(s, "default")) {
		*out = n;
		return 0;
	}
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return lab_err_usage(err, "'%s': expected an IPv6 prefix such as fd00:1::/48", s);
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (ipv6_parse_addr(addr, n.addr) < 0)
		return lab_err_usage(err, "'%s': '%s' is not an IPv6 address", s, addr);
	if (!slash[1] || strlen(slash + 1) > 3)
		return lab_err_usage(err, "'%s': malformed prefix length", s);
	if (util_parse_ulong(slash + 1, 0, ~0ul, &p) < 0)
		return lab_err_usage(err, "'%s': malformed prefix length", s);
	if (p > 128)
		return lab_err_usage(err, "'%s': prefix length above /128", s);
	n.prefix = (int)p;
	{
		struct ipv6_net masked = n;

		for (int i = 0; i < 16; i++) {
			int bits = n.prefix - i * 8;
			masked.addr[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		}
		if (memcmp(masked.addr, n.addr, 16))
			return lab_err_usage(err, "'%s' has host bits set", s);
	}
	*out = n;
	return 0;
}

int ipv6_parse_net(const char *s, struct ipv6_net *out, struct lab_error **err)
{
	struct ipv6_net n;
	struct lab_error *sub = NULL;

	if (!strcmp(s, "default") || ipv6_parse_prefix(s, &n, &sub) < 0) {
		lab_err_free(&sub);
		return lab_err_usage(err, "IPv6 subnet '%s': expected a /64 with its host bits zero, such "
				       "as fd00:1:2:3::/64", s);
	}
	if (n.prefix != 64)
		return lab_err_usage(err, "IPv6 subnet '%s': the prefix length must be /64 (one link, "
				       "room for any host number)", s);
	if ((n.addr[0] & 0xfe) != 0xfc)
		return lab_err_usage(err, "IPv6 subnet '%s' is not a unique local address: use one in "
				       "fc00::/7, e.g. fd00:1:2:3::/64", s);
	*out = n;
	return 0;
}

const char *ipv6_fmt(const uint8_t addr[16], char *buf, size_t len)
{
	if (!inet_ntop(AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ipv6_fmt_net(const struct ipv6_net *net, char *buf, size_t len)
{
	char a[IPV6_TEXT];

	snprintf(buf, len, "%s/%d", ipv6_fmt(net->addr, a, sizeof(a)), net->prefix);
	return buf;
}

bool ipv6_in(const struct ipv6_net *net, const uint8_t addr[16])
{
	int full = net->prefix / 8, rest = net->prefix % 8;

	if (memcmp(net->addr, addr, (size_t)full))
		return false;
	return !rest || !((net->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest)));
}

bool ipv6_overlap(const struct ipv6_net *a, const struct ipv6_net *b)
{
	return a->prefix <= b->prefix ? ipv6_in(a, b->addr) : ipv6_in(b, a->addr);
}

void ipv6_lab_net(unsigned number, unsigned seg, struct ipv6_net *out)
{
	static const uint8_t base[6] = { 0xfd, 0x4e, 0x4c, 0x00 };	/* "NL" */

	memset(out, 0, sizeof(*out));
	memcpy(out->addr, base, sizeof(base));
	out->addr[4] = (uint8_t)(number >> 8);
	out->addr[5] = (uint8_t)number;
	out->addr[6] = (uint8_t)(seg >> 8);
	out->addr[7] = (uint8_t)seg;
	out->prefix = 64;
}

void ipv6_host(const struct ipv6_net *net, uint32_t id, uint8_t out[16])
{
	memcpy(out, net->addr, 8);
	memset(out + 8, 0, 4);
	out[12] = (uint8_t)(id >> 24);
	out[13] = (uint8_t)(id >> 16);
	out[14] = (uint8_t)(id >> 8);
	out[15] = (uint8_t)id;
}
