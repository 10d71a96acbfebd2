/* Names users give and names netlab makes: labs, hosts, interfaces (HACKING.md, "Names"). */
#ifndef NETLAB_NAMES_H
#define NETLAB_NAMES_H

#include <net/if.h>
#include <stddef.h>

#include "error.h"

/* A lab name becomes part of interface names ("LAB-br", "LAB-h1000"), so it is short. */
#define LAB_NAME_MAX 8
#define HOST_NAME_MAX_LEN 6	/* "h1000", "e100" */

/* [A-Za-z][A-Za-z0-9_]{0,7}: no '-', '/', '.', blanks or shell metacharacters. Returns 0 or < 0
 * (a usage error). */
int names_check_lab(const char *name, struct lab_error **err);

/* The one rule for host names and for segment names, wherever they come from (the command line, a
 * topology file, a state file, /run/netns): 1 to HOST_NAME_MAX_LEN lowercase letters and digits,
 * starting with a letter; both become parts of interface names ("LAB-h1", "LAB-lan1"). what is
 * "host" or "segment", for the message. Returns 0, or < 0 with the reason (a usage error). */
int names_check_host(const char *name, const char *what, struct lab_error **err);

/* iproute2's check_ifname: non-empty, shorter than IFNAMSIZ, no '/', ':' or blanks, not . or .. */
int names_check_ifname(const char *name, struct lab_error **err);

/* snprintf into an IFNAMSIZ buffer, refusing (never cutting) a name that does not fit. */
int names_ifname(char out[IFNAMSIZ], struct lab_error **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Split "LAB/HOST" or "HOST". out_lab is "" when no lab was given. Returns 0 or < 0 (usage). */
int names_split_host(const char *arg, char out_lab[LAB_NAME_MAX + 1],
		     char out_host[HOST_NAME_MAX_LEN + 1], struct lab_error **err);

#endif
