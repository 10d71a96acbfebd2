/* Link shaping (`netlab link`, and `up` for a topology file's links): tbf and netem. */
#include "lab_int.h"

#include <errno.h>

#include "cleanup.h"

bool shaped(const struct lab_shape *s)
{
	return s->rate_bps || s->delay_us || s->jitter_us || s->loss_percent > 0;
}

int shape_one(struct nets *n, int ifindex, const struct lab_shape *s, struct lab_error **err)
{
	if (s->clear)
		return nets_shape_clear(n, ifindex, err);
	if (s->delay_us || s->jitter_us || s->loss_percent > 0)
		return nets_shape_netem(n, ifindex, s->delay_us, s->jitter_us, s->loss_percent, err);
	return nets_shape_rate(n, ifindex, s->rate_bps, err);
}

int lab_shape(const struct lab *lab, const struct lab_host *h, size_t iface,
	      const struct lab_shape *s, struct lab_error **err)
{
	_cleanup_close_ int pidfd = -1;
	_cleanup_nets_ struct nets *in = NULL;
	_cleanup_nets_ struct nets *out = NULL;
	const struct lab_iface *x = &h->ifaces[iface];
	int eth, veth, r;

	if (!h->networked)
		return lab_err(err, 0, "%s is an empty host: it has no link to shape", h->name);
	if (iface >= h->nifaces)
		return lab_err(err, 0, "host %s has no interface %zu", h->name, iface);
	pidfd = ns_pidfd_verified(h->pid, h->start, NULL);
	if (pidfd < 0)
		return lab_err(err, 0, "host %s of lab %s is not running any more: 'netlab down %s' "
				       "cleans the lab up", h->name, lab->name, lab->name);
	if ((r = nets_open_at(pidfd, &in, err)) < 0 || (r = nets_open(&out, err)) < 0 ||
	    (r = nets_ifindex(in, x->name, &eth, err)) < 0 || (r = nets_ifindex(out, x->veth, &veth, err)) < 0)
		goto done;
	/* the host's side first: if the kernel lacks the qdisc, nothing has changed yet */
	r = shape_one(in, eth, s, err);
	if (r == -ENOENT && !s->clear && (s->delay_us || s->jitter_us || s->loss_percent > 0)) {
		lab_err_free(err);
		r = lab_err(err, 0, "delay/loss need the kernel's netem qdisc (CONFIG_NET_SCH_NETEM), "
				    "which this kernel lacks; --rate still works");
		goto done;
	}
	if (r < 0)
		goto done;
	r = shape_one(out, veth, s, err);
	if (r < 0 && !s->clear)
		nets_shape_clear(in, eth, NULL);	/* undo the host's side */
done:
	return r < 0 ? lab_err_wrap(err, "host %s", h->name) : 0;
}
