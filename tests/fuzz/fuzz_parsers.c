/* libFuzzer target for netlab's parsers: the state file, CIDRs, addresses, lab/host/interface
 * names. Oracle beyond "no crash, no sanitizer report": whatever state_parse accepts must format
 * and parse back to the same lab. Build and run: make fuzz (FUZZ_TIME=seconds). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ipv4.h"
#include "../../src/names.h"
#include "../../src/state.h"

static void same_lab(const struct lab *a, const struct lab *b)
{
	if (strcmp(a->name, b->name) || a->number != b->number || a->complete != b->complete ||
	    a->builder != b->builder || a->builder_start != b->builder_start ||
	    a->subnet.addr != b->subnet.addr || a->subnet.prefix != b->subnet.prefix ||
	    strcmp(a->bridge, b->bridge) || a->nhosts != b->nhosts)
		abort();
	for (size_t i = 0; i < a->nhosts; i++) {
		const struct lab_host *x = &a->hosts[i], *y = &b->hosts[i];
		if (strcmp(x->name, y->name) || x->networked != y->networked || x->addr != y->addr ||
		    strcmp(x->veth, y->veth) || x->pid != y->pid || x->start != y->start)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), lab_name[LAB_NAME_MAX + 1], host[HOST_NAME_MAX_LEN + 1];
	char ifname[IFNAMSIZ], *text = NULL;
	struct lab_error *err = NULL;
	struct lab lab, again;
	struct ipv4_net net;
	size_t len;
	uint32_t addr;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (state_parse(s, "fuzz", &lab, &err) == 0) {
		if (state_format(&lab, &text, &len, NULL) < 0 || state_parse(text, "fuzz", &again, NULL) < 0)
			abort();	/* accepted, but does not survive its own round trip */
		same_lab(&lab, &again);
		state_free(&again);
		state_free(&lab);
		free(text);
	}
	lab_err_free(&err);
	if (ipv4_parse_net(s, &net, &err) == 0 && !ipv4_is_private(&net))
		abort();
	lab_err_free(&err);
	ipv4_parse_addr(s, &addr);
	names_check_lab(s, NULL);
	names_check_ifname(s, NULL);
	names_split_host(s, lab_name, host, NULL);
	if (size < 40)
		names_ifname(ifname, NULL, "%s-%s", s, "h1");
	free(s);
	return 0;
}
