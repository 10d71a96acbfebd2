/* The lab as recorded under /run/netlab/LAB/state: serialise and parse (defensively). */
#ifndef NETLAB_STATE_H
#define NETLAB_STATE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "ipv4.h"
#include "names.h"

#define LAB_HOSTS_MAX 1000	/* networked hosts: one bridge takes 1024 ports */
#define LAB_EMPTY_MAX 100
#define LAB_GROUP_BASE 0x4e4c0000u	/* "NL": netdevice group = base + lab number */
#define LAB_NS_CGROUP 0x02000000	/* CLONE_NEWCGROUP */
#define LAB_NS_TIME 0x00000080		/* CLONE_NEWTIME */
#define LAB_EXTRA_NS_MASK (LAB_NS_CGROUP | LAB_NS_TIME)

struct lab_host {
	char name[16];			/* at most HOST_NAME_MAX_LEN characters */
	bool networked;
	uint32_t addr;			/* 0 for an empty host */
	char veth[IFNAMSIZ];		/* host-side end on the bridge, "" for an empty host */
	pid_t pid;			/* its PID 1, as seen from the real machine; 0 = not started */
	unsigned long long start;	/* its start time: defeats PID reuse */
};

struct lab {
	char name[LAB_NAME_MAX + 1];
	unsigned number;		/* 1..65535, unique among the labs that are up */
	bool complete;			/* false while `up` is building it */
	pid_t builder;			/* the `up` process and its start time */
	unsigned long long builder_start;
	struct ipv4_net subnet;
	char bridge[IFNAMSIZ];
	int extra_ns;			/* CLONE_NEWCGROUP | CLONE_NEWTIME beyond the six, or 0 */
	size_t nhosts;
	struct lab_host *hosts;
};

static inline uint32_t lab_group(const struct lab *lab)
{
	return LAB_GROUP_BASE + lab->number;
}

/* Serialise into a malloc'd string. */
int state_format(const struct lab *lab, char **out, size_t *out_len, struct lab_error **err);

/* Parse text (NUL-terminated); `where` names the file in errors. On success *out is filled and owns
 * out->hosts. Never trusts the input: every field is checked. */
int state_parse(const char *text, const char *where, struct lab *out, struct lab_error **err);

void state_free(struct lab *lab);

#endif
