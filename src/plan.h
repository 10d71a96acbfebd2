/* Planning a lab as a function of its inputs alone: what was asked, the machine's routes, the other
 * labs, the ids the machine's users use. No file, socket, clock or random source is read here:
 * up.c (reserve) gathers the inputs under the /run/netlab lock and calls lab_plan. Unit tested
 * without root (tests/test_plan.c). */
#ifndef NETLAB_PLAN_H
#define NETLAB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../netsetup/netsetup.h"
#include "error.h"
#include "lab.h"

/* Ids start .. start + count - 1 are in use on the machine. */
struct plan_ids {
	unsigned long long start, count;
};

struct plan_input {
	const struct lab_spec *spec;	/* what was asked: `up N` and its options, or a topology */
	/* the machine's routes (nets_route_prefixes): a subnet that overlaps one (nets_prefix_clash)
	 * is refused when given, skipped when picked */
	const struct nets_prefix *routes;
	size_t nroutes;
	/* the other labs that are up or being built, as their state files have them: their lab
	 * numbers, subnets and uid/gid ranges are taken */
	const struct lab *others;
	size_t nothers;
	/* the lab numbers the machine's interfaces have in their names ("nlN-...") or netdevice
	 * groups (kobj.c: link_name_number, link_group_number): taken too */
	const unsigned *link_numbers;
	size_t nlink_numbers;
	/* the ids the machine's users, groups and subordinate ranges use (plan_ids_parse) */
	const struct plan_ids *ids;
	size_t nids;
	uint32_t id_seed;	/* where the search for free uid/gid ranges starts (random) */
};

/* Plan the lab in->spec asks for: its hosts and interfaces, a lab number that no other lab and no
 * interface of the machine uses and the names of its bridges and veths made from it (kobj.c:
 * name_links), subnets that no other lab and no route of the machine uses (the first
 * free block of 10.77.0.0/16; IPv6 fd4e:4c00:LAB:SEG::/64), addresses (given ones kept, the others
 * the lowest free in order), the topology's routes with each `via` resolved to an address, a
 * uid/gid range per host. out->name, extra_ns and fs are the spec's. On success *out owns what it
 * holds (state_free it); on failure *out is left as it was and *err says what to change (errnum 0
 * but for ENOMEM, and EUSERS when no uid/gid range is left). */
int lab_plan(const struct plan_input *in, struct lab *out, struct lab_error **err);

/* The ids one line uses: of /etc/passwd or /etc/group ("name:x:ID:...", one id) or, subordinate,
 * of /etc/subuid or /etc/subgid ("name:START:COUNT"). 0 and *out filled, or -1 for a line that
 * names none (a comment, a malformed line). */
int plan_ids_parse(const char *line, bool subordinate, struct plan_ids *out);

#endif
