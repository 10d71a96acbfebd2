/* The MLD report filter for a whole lab in one nftables table (bridge family), instead of a tc
 * qdisc on each port (mld.c says why the reports must stay off the other ports), and the wall
 * between the lab and the machine's own network stack:
 *
 *   table bridge netlab-LAB {
 *     chain input {
 *       type filter hook input priority -200; policy accept;
 *       meta iifgroup GROUP drop
 *     }
 *     chain mld {
 *       type filter hook prerouting priority -200; policy accept;
 *       meta iifgroup GROUP ether daddr 33:33:00:00:00:16 drop
 *     }
 *   }
 *
 * The bridge family's input hook sees every frame a bridge passes up to the machine (to its own
 * MAC, broadcast, multicast, and the link-local 01:80:c2:00:00:0X group a bridge keeps; the
 * kernel's br_pass_frame_up and br_handle_local_finish), never one it forwards between ports: a
 * host's ARP request for an address of the machine, or a datagram to it, stops here whatever the
 * machine's arp_ignore, rp_filter or ip_forward. The policy stays accept: the hook sees the
 * machine's other bridges too.
 *
 * Three objects made once, in one batch, where a qdisc per port cost a netlink round trip and
 * the kernel's work for a new qdisc, some of it over every block bound before (the indirect
 * offload list), for each host. Every interface of a lab is created in the lab's netdevice group
 * (GROUP: unique among the labs that are up), in the request that creates it, before it becomes a
 * bridge port: the group is the lab's ports and no other lab's, whatever they are named. Deleting
 * the table deletes the rest.
 * libnl has no nftables messages: they are built here with its generic netlink message API. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_bridge.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"

#define NFT_TYPE(msg) ((NFNL_SUBSYS_NFTABLES << 8) | (msg))

struct batch {
	char *buf;
	size_t len, cap;
	unsigned count;		/* messages that ask for an ack */
	uint32_t seq;
};

static struct nl_msg *nft_msg(int type, int flags, uint8_t family, uint16_t res_id)
{
	struct nfgenmsg g = { .nfgen_family = family, .version = NFNETLINK_V0,
			      .res_id = htons(res_id) };
	struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_REQUEST | flags);

	if (m && nlmsg_append(m, &g, sizeof(g), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* Append m (freed) to the batch. */
static int batch_add(struct batch *b, struct nl_msg *m)
{
	struct nlmsghdr *h;
	size_t len;

	if (!m)
		return -ENOMEM;
	h = nlmsg_hdr(m);
	h->nlmsg_seq = b->seq++;
	len = NLMSG_ALIGN(h->nlmsg_len);
	if (b->len + len > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 1024) + len;
		char *p = realloc(b->buf, cap);

		if (!p) {
			nlmsg_free(m);
			return -ENOMEM;
		}
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, h, h->nlmsg_len);
	memset(b->buf + b->len + h->nlmsg_len, 0, len - h->nlmsg_len);
	b->len += len;
	if (h->nlmsg_flags & NLM_F_ACK)
		b->count++;
	nlmsg_free(m);
	return 0;
}

static int put_be32(struct nl_msg *m, int type, uint32_t v)
{
	return nla_put_u32(m, type, htonl(v));
}

/* An expression of a rule, NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }: open it
 * (NULL on failure, *data is where its attributes go), fill *data, close it. */
static struct nlattr *expr_open(struct nl_msg *m, const char *name, struct nlattr **data)
{
	struct nlattr *elem = nla_nest_start(m, NFTA_LIST_ELEM);

	if (!elem || nla_put_string(m, NFTA_EXPR_NAME, name) < 0 ||
	    !(*data = nla_nest_start(m, NFTA_EXPR_DATA)))
		return NULL;
	return elem;
}

static void expr_close(struct nl_msg *m, struct nlattr *elem, struct nlattr *data)
{
	nla_nest_end(m, data);
	nla_nest_end(m, elem);
}

/* An expression whose attributes are all be32: (type, value) pairs. */
static int put_expr(struct nl_msg *m, const char *name, int n, const uint32_t kv[])
{
	struct nlattr *data, *elem = expr_open(m, name, &data);

	if (!elem)
		return -1;
	for (int i = 0; i < n; i++)
		if (put_be32(m, (int)kv[2 * i], kv[2 * i + 1]) < 0)
			return -1;
	expr_close(m, elem, data);
	return 0;
}

/* cmp: register 1 equals these len bytes (fewer than the register holds: a prefix). */
static int put_cmp(struct nl_msg *m, const void *value, size_t len)
{
	struct nlattr *data, *d, *elem = expr_open(m, "cmp", &data);

	if (!elem || put_be32(m, NFTA_CMP_SREG, NFT_REG_1) < 0 ||
	    put_be32(m, NFTA_CMP_OP, NFT_CMP_EQ) < 0 || !(d = nla_nest_start(m, NFTA_CMP_DATA)) ||
	    nla_put(m, NFTA_DATA_VALUE, (int)len, value) < 0)
		return -1;
	nla_nest_end(m, d);
	expr_close(m, elem, data);
	return 0;
}

static int put_drop(struct nl_msg *m)
{
	struct nlattr *data, *d, *v, *elem = expr_open(m, "immediate", &data);

	if (!elem || put_be32(m, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT) < 0 ||
	    !(d = nla_nest_start(m, NFTA_IMMEDIATE_DATA)) || !(v = nla_nest_start(m, NFTA_DATA_VERDICT)) ||
	    put_be32(m, NFTA_VERDICT_CODE, NF_DROP) < 0)
		return -1;
	nla_nest_end(m, v);
	nla_nest_end(m, d);
	expr_close(m, elem, data);
	return 0;
}

/* Send the batch in one datagram and read an answer for each message that asked for one (the
 * kernel applies all of a batch or none: the first error is the answer). 0 or -errno. */
int nets_nft_open(struct nets **out, struct lab_error **err)
{
	struct nets *n = calloc(1, sizeof(*n));
	int r;

	if (!n || !(n->sk = nl_socket_alloc())) {
		free(n);
		return lab_err(err, ENOMEM, "netfilter netlink socket");
	}
	r = nl_connect(n->sk, NETLINK_NETFILTER);
	if (r < 0) {
		nl_socket_free(n->sk);
		free(n);
		/* no nfnetlink in this kernel: no nftables */
		return lab_err(err, r == -NLE_PROTO_MISMATCH ? EPROTONOSUPPORT : EIO,
			       "connect a netfilter netlink socket");
	}
	n->here = true;
	*out = n;
	return 0;
}

/* On a socket of its own when nf is NULL. Closing a netfilter socket waits for the kernel's
 * deferred destruction of deleted tables (an RCU grace period, ~20 ms here): a caller that
 * deletes one keeps its socket open while it does other work, and closes it last. */
static int batch_run(struct nets *nf, struct batch *b)
{
	struct nets *own = NULL;
	struct nl_sock *sk;
	unsigned got = 0;
	int error = 0, r = 0;

	if (!nf) {
		if (nets_nft_open(&own, NULL) < 0)
			return -EPROTONOSUPPORT;
		nf = own;
	}
	sk = nf->sk;
	if (nl_sendto(sk, b->buf, b->len) < 0)
		r = -EIO;
	while (r == 0 && got < b->count && !error) {
		struct sockaddr_nl who;
		unsigned char *buf = NULL;
		struct nlmsghdr *h;
		int len = nl_recv(sk, &who, &buf, NULL);

		if (len <= 0) {
			r = -EIO;
			break;
		}
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len))
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = nlmsg_data(h);

				got++;
				if (e->error && !error)
					error = e->error;
			}
		free(buf);
	}
	nets_close(own);
	return error ? error : r;
}

static int batch_open(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->seq = 1;
	return batch_add(b, nft_msg(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
}

static int batch_close(struct batch *b)
{
	return batch_add(b, nft_msg(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
}

static void table_name(char out[64], const char *lab)
{
	snprintf(out, 64, "netlab-%s", lab);
}

/* NFT_MSG_NEWTABLE or NFT_MSG_DELTABLE of the bridge family; NULL when out of memory. */
static struct nl_msg *table_msg(int type, int flags, const char *table)
{
	struct nl_msg *m = nft_msg(NFT_TYPE(type), flags | NLM_F_ACK, NFPROTO_BRIDGE, 0);

	if (m && nla_put_string(m, NFTA_TABLE_NAME, table) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* chain NAME { type filter hook HOOK priority filter; policy accept; } */
static struct nl_msg *chain_msg(const char *table, const char *name, uint32_t hooknum)
{
	struct nl_msg *m = nft_msg(NFT_TYPE(NFT_MSG_NEWCHAIN), NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
				   NFPROTO_BRIDGE, 0);
	struct nlattr *hook;

	if (!m || nla_put_string(m, NFTA_CHAIN_TABLE, table) < 0 ||
	    nla_put_string(m, NFTA_CHAIN_NAME, name) < 0 ||
	    !(hook = nla_nest_start(m, NFTA_CHAIN_HOOK)) ||
	    put_be32(m, NFTA_HOOK_HOOKNUM, hooknum) < 0 ||
	    put_be32(m, NFTA_HOOK_PRIORITY, (uint32_t)NF_BR_PRI_FILTER_BRIDGED) < 0)
		goto fail;
	nla_nest_end(m, hook);
	if (put_be32(m, NFTA_CHAIN_POLICY, NF_ACCEPT) < 0 ||
	    nla_put_string(m, NFTA_CHAIN_TYPE, "filter") < 0)
		goto fail;
	return m;
fail:
	nlmsg_free(m);
	return NULL;
}

/* A rule in chain of table that starts `meta iifgroup GROUP`: the message with its expressions'
 * nest open in *exprs, or NULL (out of memory). Every rule of a lab's table matches its ports so. */
static struct nl_msg *lab_rule_start(const char *table, const char *chain, uint32_t group,
				     struct nlattr **exprs)
{
	const uint32_t meta[] = { NFTA_META_DREG, NFT_REG_1, NFTA_META_KEY, NFT_META_IIFGROUP };
	struct nl_msg *m = nft_msg(NFT_TYPE(NFT_MSG_NEWRULE), NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
				   NFPROTO_BRIDGE, 0);

	/* the kernel loads dev->group into the register as it is, in host byte order */
	if (!m || nla_put_string(m, NFTA_RULE_TABLE, table) < 0 ||
	    nla_put_string(m, NFTA_RULE_CHAIN, chain) < 0 ||
	    !(*exprs = nla_nest_start(m, NFTA_RULE_EXPRESSIONS)) || put_expr(m, "meta", 2, meta) < 0 ||
	    put_cmp(m, &group, sizeof(group)) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* Close the rule lab_rule_start opened (ok: its other expressions went in), or free it. */
static struct nl_msg *lab_rule_end(struct nl_msg *m, struct nlattr *exprs, bool ok)
{
	if (!m || !ok) {
		nlmsg_free(m);
		return NULL;
	}
	nla_nest_end(m, exprs);
	return m;
}

/* meta iifgroup GROUP drop, in chain input */
static struct nl_msg *input_rule_msg(const char *table, uint32_t group)
{
	struct nlattr *exprs = NULL;
	struct nl_msg *m = lab_rule_start(table, "input", group, &exprs);

	return lab_rule_end(m, exprs, m && put_drop(m) == 0);
}

/* meta iifgroup GROUP ether daddr 33:33:00:00:00:16 drop */
static struct nl_msg *rule_msg(const char *table, uint32_t group)
{
	static const uint8_t mld_mac[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x16 };
	const uint32_t payload[] = { NFTA_PAYLOAD_DREG, NFT_REG_1, NFTA_PAYLOAD_BASE,
				     NFT_PAYLOAD_LL_HEADER, NFTA_PAYLOAD_OFFSET, 0,
				     NFTA_PAYLOAD_LEN, sizeof(mld_mac) };
	struct nlattr *exprs = NULL;
	struct nl_msg *m = lab_rule_start(table, "mld", group, &exprs);

	return lab_rule_end(m, exprs, m && put_expr(m, "payload", 4, payload) == 0 &&
					      put_cmp(m, mld_mac, sizeof(mld_mac)) == 0 &&
					      put_drop(m) == 0);
}

/* One batch of these messages (each freed here; a NULL one is out of memory). 0 or -errno. */
static int batch_send(struct nets *nf, struct nl_msg *msgs[], size_t n)
{
	struct batch b;
	size_t i = 0;
	int r = batch_open(&b);

	for (; i < n && r == 0; i++)
		r = batch_add(&b, msgs[i]);
	for (; i < n; i++)
		nlmsg_free(msgs[i]);
	if (r == 0)
		r = batch_close(&b);
	if (r == 0)
		r = batch_run(nf, &b);
	free(b.buf);
	return r;
}

int nets_lab_table_add(const char *lab, uint32_t group, bool mld, struct lab_error **err)
{
	char table[64];
	struct nl_msg *msgs[5];
	size_t n = 0;
	int r;

	table_name(table, lab);
	msgs[n++] = table_msg(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, table);
	msgs[n++] = chain_msg(table, "input", NF_BR_LOCAL_IN);
	msgs[n++] = input_rule_msg(table, group);
	if (mld) {
		msgs[n++] = chain_msg(table, "mld", NF_BR_PRE_ROUTING);
		msgs[n++] = rule_msg(table, group);
	}
	r = batch_send(NULL, msgs, n);
	if (r < 0)
		return lab_err(err, -r, "add the nftables table bridge %s (the wall between the lab and "
				      "the machine%s)", table, mld ? ", the MLD report filter" : "");
	return 0;
}

int nets_mld_table_del(struct nets *nf, const char *lab, struct lab_error **err)
{
	char table[64];
	struct nl_msg *msg;
	int r;

	table_name(table, lab);
	msg = table_msg(NFT_MSG_DELTABLE, 0, table);
	r = batch_send(nf, &msg, 1);
	/* none: never made (no IPv6, or the tc filter instead), or gone; no nf_tables at all */
	if (r == -ENOENT || r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT || r == -EOPNOTSUPP)
		return 0;
	if (r < 0)
		return lab_err(err, -r, "delete the nftables table bridge %s", table);
	return 1;
}

int nets_mld_table_labs(char ***out, size_t *out_count, struct lab_error **err)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *m = nft_msg(NFT_TYPE(NFT_MSG_GETTABLE), NLM_F_DUMP, NFPROTO_BRIDGE, 0);
	char **names = NULL;
	size_t count = 0;
	bool done = false;
	int r = sk && m ? 0 : -ENOMEM;

	if (r == 0 && nl_connect(sk, NETLINK_NETFILTER) < 0)
		r = -EPROTONOSUPPORT;	/* no nfnetlink: no tables either */
	if (r == 0 && nl_send_auto(sk, m) < 0)
		r = -EIO;
	while (r == 0 && !done) {
		struct sockaddr_nl who;
		unsigned char *buf = NULL;
		struct nlmsghdr *h;
		int len = nl_recv(sk, &who, &buf, NULL);

		if (len <= 0)
			r = -EIO;
		for (h = (struct nlmsghdr *)buf; r == 0 && nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			struct nlattr *tb[NFTA_TABLE_MAX + 1];
			const char *name;
			char **more;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				r = ((const struct nlmsgerr *)nlmsg_data(h))->error;
				break;
			}
			if (nlmsg_parse(h, sizeof(struct nfgenmsg), tb, NFTA_TABLE_MAX, NULL) < 0 ||
			    !tb[NFTA_TABLE_NAME])
				continue;
			name = nla_get_string(tb[NFTA_TABLE_NAME]);
			if (strncmp(name, "netlab-", 7) != 0)
				continue;
			more = realloc(names, (count + 1) * sizeof(*names));
			if (!more || !(more[count] = strdup(name + 7))) {
				names = more ? more : names;
				r = -ENOMEM;
				break;
			}
			names = more;
			count++;
		}
		free(buf);
	}
	nlmsg_free(m);
	nl_socket_free(sk);
	if (r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT)
		r = 0;
	if (r < 0) {
		for (size_t i = 0; i < count; i++)
			free(names[i]);
		free(names);
		return lab_err(err, -r, "list the nftables tables of the bridge family");
	}
	*out = names;
	*out_count = count;
	return 0;
}
