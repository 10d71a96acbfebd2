/* Queueing disciplines: tbf (rate) and netem (delay, loss). */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <stdio.h>

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
