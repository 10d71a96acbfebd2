/* Queueing disciplines: tbf (rate) and netem (delay, loss). */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <string.h>

#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>

#include "nl.h"

int nets_qdisc_probe(struct nets *n, int ifindex, const char *kind, struct lab_error **err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	char what[64];
	int r;

	if (!q)
		return lab_err(err, ENOMEM, "qdisc");
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	r = rtnl_tc_set_kind(TC_CAST(q), kind);
	if (r >= 0) {
		if (kind[0] == 't') {	/* tbf: 1 Mbit/s, a 32 KiB bucket, 64 KiB of queue */
			rtnl_qdisc_tbf_set_rate(q, 125000, 32768, 0);
			rtnl_qdisc_tbf_set_limit(q, 65536);
		} else {		/* netem: 10 ms of delay */
			rtnl_netem_set_delay(q, 10000);
		}
		r = rtnl_qdisc_add(n->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_qdisc_put(q);
	if (r < 0) {
		snprintf(what, sizeof(what), "add a %s qdisc", kind);
		return nets_nlerr(err, r, what);
	}
	return 0;
}

/* The root qdisc of a link, replaced (NLM_F_REPLACE) with the one given. A kind the kernel does
 * not have comes back as -ENOENT, so callers can say which kernel option is missing. */
static int put_root(struct nets *n, struct rtnl_qdisc *q, int ifindex, const char *what,
		    struct lab_error **err)
{
	int r;

	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	r = rtnl_qdisc_add(n->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	if (r == -NLE_OBJ_NOTFOUND)
		return lab_err(err, ENOENT, "%s: the kernel has no such qdisc", what);
	return r < 0 ? nets_nlerr(err, r, what) : 0;
}

int nets_shape_rate(struct nets *n, int ifindex, uint64_t bits_per_s, struct lab_error **err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	uint64_t bytes = bits_per_s / 8;
	int burst, limit;

	if (!q)
		return lab_err(err, ENOMEM, "qdisc");
	if (bytes > 0x7fffffff)
		bytes = 0x7fffffff;	/* libnl takes an int: about 17 Gbit/s at most */
	/* a bucket of 5 ms of traffic (at least 16 KiB: GSO frames must fit) and 50 ms of queue */
	burst = (int)(bytes / 200 > 16384 ? bytes / 200 : 16384);
	limit = (int)(bytes / 20 > (uint64_t)burst * 2 ? bytes / 20 : (uint64_t)burst * 2);
	rtnl_tc_set_kind(TC_CAST(q), "tbf");
	rtnl_qdisc_tbf_set_rate(q, (int)bytes, burst, 0);
	rtnl_qdisc_tbf_set_limit(q, limit);
	return put_root(n, q, ifindex, "add a tbf qdisc", err);
}

int nets_shape_netem(struct nets *n, int ifindex, uint32_t delay_us, uint32_t jitter_us,
		     double loss_percent, struct lab_error **err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return lab_err(err, ENOMEM, "qdisc");
	rtnl_tc_set_kind(TC_CAST(q), "netem");
	rtnl_netem_set_delay(q, (int)delay_us);
	rtnl_netem_set_jitter(q, (int)jitter_us);
	/* netem's loss is a probability on 32 bits: UINT32_MAX is 100% */
	rtnl_netem_set_loss(q, (int)(uint32_t)(loss_percent / 100.0 * 4294967295.0));
	return put_root(n, q, ifindex, "add a netem qdisc", err);
}

int nets_shape_clear(struct nets *n, int ifindex, struct lab_error **err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int r;

	if (!q)
		return lab_err(err, ENOMEM, "qdisc");
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	r = rtnl_qdisc_delete(n->sk, q);
	rtnl_qdisc_put(q);
	/* no root qdisc of ours there: nothing to clear */
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_INVAL && r != -NLE_NOADDR)
		return nets_nlerr(err, r, "remove the root qdisc");
	return 0;
}
