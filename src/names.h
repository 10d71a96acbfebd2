/* Names users give and names netlab makes: labs, hosts, segments, interfaces (HACKING.md, "Names"). */
#ifndef NETLAB_NAMES_H
#define NETLAB_NAMES_H

#include <net/if.h>
#include <stddef.h>

#include "error.h"

/* No name a user gives becomes part of an interface name: netlab's interfaces are named from the
 * lab's number and the host's and segment's places (kobj.c), and carry the names in their alias.
 * A lab name is a directory (/run/netlab/LAB, netlab/LAB in each cgroup hierarchy), an nftables
 * table (netlab-LAB) and the part before the first '-' of /run/netns/LAB-HOST; a host name is also
 * a hostname and a name in the hosts' /etc/hosts. */
#define LAB_NAME_MAX 16
#define HOST_NAME_MAX_LEN 32	/* Kathará's device names ([a-z0-9_]{1,30}) fit */
#define SEGMENT_NAME_MAX 32

/* Lab names: 1 to LAB_NAME_MAX letters (either case), digits and '_', starting with a letter. No
 * '-': it separates the lab from the host in /run/netns/LAB-HOST. Returns 0, or < 0 with the
 * reason (a usage error). */
int names_check_lab(const char *name, struct lab_error **err);

/* Host names, wherever they come from (the command line, a topology file, a state file,
 * /run/netns): 1 to HOST_NAME_MAX_LEN lowercase letters, digits, '-' and '_', not starting with
 * '-' (it would read as an option), and not all digits nor 0x and hex digits (ping 123 inside a
 * host means 0.0.0.123, not the host). Lowercase only: /etc/hosts matches names without regard
 * to case, so "Web" and "web" could not both be reached by name; Kathará's device names are
 * lowercase too. Returns 0, or < 0 with the reason (a usage error). */
int names_check_host(const char *name, struct lab_error **err);

/* Segment names (a topology file's segments, Kathará's collision domains): 1 to
 * SEGMENT_NAME_MAX letters (either case: Kathará labs write A, B, ...), digits, '-' and '_', not
 * starting with '-'. They name no kernel object. Returns 0, or < 0 with the reason (a usage error). */
int names_check_segment(const char *name, struct lab_error **err);

/* iproute2's check_ifname: non-empty, shorter than IFNAMSIZ, no '/', ':' or blanks, not . or .. */
int names_check_ifname(const char *name, struct lab_error **err);

/* snprintf into an IFNAMSIZ buffer, refusing (never cutting) a name that does not fit. */
int names_ifname(char out[IFNAMSIZ], struct lab_error **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The name a by-hand shell line (up --explain) gives host h of lab in its variables, $pid_NAME
 * and $user_NAME: its name when that is a shell name (no '-'); else '-' becomes '_', and if
 * another host of the lab already has that name, "_H<i>" follows (host i, from 1; host names have
 * no capitals, so no host has it). Returns out. */
struct lab;
struct lab_host;
#define NAMES_SHELL_VAR_LEN (HOST_NAME_MAX_LEN + 24)
const char *names_shell_var(const struct lab *lab, const struct lab_host *h,
			    char out[NAMES_SHELL_VAR_LEN]);

/* Split "LAB/HOST" or "HOST". out_lab is "" when no lab was given. Returns 0 or < 0 (usage). */
int names_split_host(const char *arg, char out_lab[LAB_NAME_MAX + 1],
		     char out_host[HOST_NAME_MAX_LEN + 1], struct lab_error **err);

#endif
