#include "ipv4.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int ipv4_parse_addr(const char *s, uint32_t *out)
{
	struct in_addr a;

	/* inet_pton takes dotted quads only, and refuses "010" (octal to inet_aton) and "1.2.3" */
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

uint32_t ipv4_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

bool ipv4_is_private(const struct ipv4_net *n)
{
	static const struct ipv4_net ranges[] = {
		{ 0x0a000000, 8 },	/* 10.0.0.0/8 */
		{ 0xac100000, 12 },	/* 172.16.0.0/12 */
		{ 0xc0a80000, 16 },	/* 192.168.0.0/16 */
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (n->prefix >= ranges[i].prefix &&
		    (n->addr & ipv4_mask(ranges[i].prefix)) == ranges[i].addr)
			return true;
	return false;
}

int ipv4_parse_prefix(const char *s, struct ipv4_net *out, struct lab_error **err)
{
	char addr[16], fixed[20];
	const char *slash = strchr(s, '/');
	struct ipv4_net n;
	unsigned long p = 0;
	size_t alen;

	if (!strcmp(s, "default")) {
		*out = (struct ipv4_net){ 0, 0 };
		return 0;
	}
	if (!slash)
		return lab_err_usage(err, "'%s': expected a CIDR such as 10.77.1.0/24", s);
	alen = (size_t)(slash - s);
	if (alen >= sizeof(addr))
		return lab_err_usage(err, "'%s': malformed address", s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (ipv4_parse_addr(addr, &n.addr) < 0)
		return lab_err_usage(err, "'%s': '%s' is not an IPv4 address", s, addr);
	if (!slash[1] || strlen(slash + 1) > 2)
		return lab_err_usage(err, "'%s': malformed prefix length", s);
	if (util_parse_ulong(slash + 1, 0, ~0ul, &p) < 0)
		return lab_err_usage(err, "'%s': malformed prefix length", s);
	if (p > 32)
		return lab_err_usage(err, "'%s': prefix length above /32", s);
	n.prefix = (int)p;
	if (n.addr & ~ipv4_mask(n.prefix)) {
		struct ipv4_net f = { n.addr & ipv4_mask(n.prefix), n.prefix };
		return lab_err_usage(err, "'%s' has host bits set; did you mean %s?", s,
			       ipv4_fmt_net(&f, fixed, sizeof(fixed)));
	}
	*out = n;
	return 0;
}

int ipv4_parse_net(const char *s, struct ipv4_net *out, struct lab_error **err)
{
	struct ipv4_net n;

	const char *slash = strchr(s, '/');
	unsigned long p;

	if (!strcmp(s, "default"))
		return lab_err_usage(err, "subnet 'default': expected a CIDR such as 10.77.1.0/24");
	/* a length out of range says the range, even where it is no prefix length at all (/33) */
	if (slash && util_parse_ulong(slash + 1, 0, 99, &p) == 0 &&
	    (p < IPV4_PREFIX_MIN || p > IPV4_PREFIX_MAX))
		return lab_err_usage(err, "subnet '%s': prefix length must be between /%d and /%d", s,
			       IPV4_PREFIX_MIN, IPV4_PREFIX_MAX);
	if (ipv4_parse_prefix(s, &n, err) < 0)
		return lab_err_wrap(err, "subnet");
	if (n.prefix < IPV4_PREFIX_MIN || n.prefix > IPV4_PREFIX_MAX)
		return lab_err_usage(err, "subnet '%s': prefix length must be between /%d and /%d", s,
			       IPV4_PREFIX_MIN, IPV4_PREFIX_MAX);
	if (!ipv4_is_private(&n))
		return lab_err_usage(err,
			       "subnet '%s' is not private: use one inside 10.0.0.0/8, 172.16.0.0/12 "
			       "or 192.168.0.0/16", s);
	*out = n;
	return 0;
}

const char *ipv4_fmt(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

const char *ipv4_fmt_net(const struct ipv4_net *net, char *buf, size_t len)
{
	char a[16];

	snprintf(buf, len, "%s/%d", ipv4_fmt(net->addr, a, sizeof(a)), net->prefix);
	return buf;
}

bool ipv4_overlap(const struct ipv4_net *a, const struct ipv4_net *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;

	return (a->addr & ipv4_mask(p)) == (b->addr & ipv4_mask(p));
}

uint32_t ipv4_capacity(int prefix)
{
	if (prefix < 1 || prefix > 30)
		return 0;
	return (1u << (32 - prefix)) - 2;
}

uint32_t ipv4_host(const struct ipv4_net *net, uint32_t i)
{
	if (i == 0 || i > ipv4_capacity(net->prefix))
		return 0;
	return (net->addr & ipv4_mask(net->prefix)) + i;
}

int ipv4_prefix_for(uint32_t n)
{
	for (int p = IPV4_PREFIX_MAX; p >= IPV4_PREFIX_MIN; p--)
		if (ipv4_capacity(p) >= n)
			return p;
	return -1;
}
