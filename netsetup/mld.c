/* A snooping switch's manners for a Linux bridge: MLDv2 reports stay off the other ports.
 *
 * Every IPv6 interface sends MLDv2 reports (to ff02::16) when it comes up and when it joins a
 * group, two or three times. A Linux bridge floods them to every port unless a multicast querier
 * exists, and even then it floods MLDv2 reports (it keeps only MLDv1 ones to router ports): in a
 * lab of N hosts that is N * N deliveries, seconds of CPU at N = 1000. A bridge's own querier is
 * worse: it queries again each time a port is added.
 *
 * So each port's ingress (the machine's end of a host's veth) drops frames to 33:33:00:00:00:16,
 * the MAC of ff02::16, as an RFC 4541 snooping switch with no multicast router would not forward
 * them either. One classifier, a 6-instruction eBPF program in direct-action mode, sits in one
 * shared tc block; each port only gets a clsact qdisc bound to that block. The kernel frees the
 * block with its last port. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nl.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
						.off = (o), .imm = (i) })

int nets_mld_program(struct lab_error **err)
{
	/* cls_bpf runs an ingress program with the Ethernet header pushed back: offset 0 is the
	 * destination MAC. LD_ABS reads big-endian into host order and wants the context in r6. */
	const struct bpf_insn prog[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),
		INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0),			/* 33:33:00:00 */
		INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 4, 0x33330000),
		INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 4),			/* 00:16 */
		INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, 0x0016),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, TC_ACT_SHOT),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, TC_ACT_OK),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	a.license = (uint64_t)(uintptr_t)"GPL";
	snprintf(a.prog_name, sizeof(a.prog_name), "netlab_mld");
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		return lab_err(err, errno, "load the eBPF program that drops MLD reports (bpf)");
	return fd;
}

static struct nl_msg *tc_msg(int type, int flags, int ifindex, uint32_t handle, uint32_t parent,
			     uint32_t info, const char *kind)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_handle = handle,
			   .tcm_parent = parent, .tcm_info = info };
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (m && (nlmsg_append(m, &t, sizeof(t), NLMSG_ALIGNTO) < 0 ||
		  nla_put_string(m, TCA_KIND, kind) < 0)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

int nets_mld_block_port(struct nets *n, int ifindex, uint32_t block, struct lab_error **err)
{
	struct nl_msg *m = tc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
				  TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT, 0, "clsact");
	char what[96];
	int r;

	if (!m || nla_put_u32(m, TCA_INGRESS_BLOCK, block) < 0) {
		nlmsg_free(m);
		return lab_err(err, ENOMEM, "clsact qdisc");
	}
	r = nl_send_sync(n->sk, m);	/* frees m */
	if (r < 0) {
		snprintf(what, sizeof(what), "add a clsact qdisc bound to tc block %u to interface %d",
			 block, ifindex);
		return nets_nlerr(err, r, what);
	}
	return 0;
}

int nets_mld_block_filter(struct nets *n, uint32_t block, int prog_fd, struct lab_error **err)
{
	struct nl_msg *m;
	struct nlattr *opt;
	char what[128];
	int r;

	m = tc_msg(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, (int)TCM_IFINDEX_MAGIC_BLOCK, 1, block,
		   TC_H_MAKE(1u << 16, htons(ETH_P_IPV6)), "bpf");
	if (!m || !(opt = nla_nest_start(m, TCA_OPTIONS)) ||
	    nla_put_u32(m, TCA_BPF_FD, (uint32_t)prog_fd) < 0 ||
	    nla_put_string(m, TCA_BPF_NAME, "netlab_mld") < 0 ||
	    nla_put_u32(m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT) < 0) {
		nlmsg_free(m);
		return lab_err(err, ENOMEM, "tc filter");
	}
	nla_nest_end(m, opt);
	r = nl_send_sync(n->sk, m);	/* frees m; the filter holds its own reference to the program */
	if (r < 0) {
		snprintf(what, sizeof(what), "add the MLD report filter (tc classifier bpf, "
			 "CONFIG_NET_CLS_BPF) to tc block %u", block);
		return nets_nlerr(err, r, what);
	}
	return 0;
}
