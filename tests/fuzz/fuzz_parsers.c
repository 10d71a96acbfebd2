/* libFuzzer target for netlab's parsers: the state file, topology files, CIDRs, addresses,
 * lab/host/interface names, Kathará lab.conf and lab.dep. Oracle beyond "no crash, no sanitizer report": whatever state_parse
 * accepts must format and parse back to the same text; every topology refusal says why. Build and run: make fuzz (FUZZ_TIME=seconds). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ipv4.h"
#include "../../src/kathara.h"
#include "../../src/names.h"
#include "../../src/state.h"
#include "../../src/topo.h"

/* Accepted input must survive its own round trip: format, parse, format gives the same text. */
static void round_trip(const struct lab *lab)
{
	char *text = NULL, *again_text = NULL;
	size_t len, again_len;
	struct lab again;

	if (state_format(lab, &text, &len, NULL) < 0 || state_parse(text, "fuzz", &again, NULL) < 0)
		abort();
	if (state_format(&again, &again_text, &again_len, NULL) < 0 || len != again_len ||
	    memcmp(text, again_text, len))
		abort();
	state_free(&again);
	free(text);
	free(again_text);
}

/* lab.conf, then the same text as its lab.dep: what is accepted has interfaces without gaps and
 * an order that is a permutation of the devices; a refusal always says why. */
static void fuzz_kathara(const char *s, size_t size)
{
	struct lab_error *err = NULL;
	struct kathara_lab k;

	if (kathara_parse_conf(s, size, "lab.conf", &k, &err) < 0) {
		if (!err)
			abort();
		lab_err_free(&err);
		return;
	}
	for (size_t i = 0; i < k.ndevices; i++)
		for (size_t j = 0; j < k.devices[i].nifaces; j++)
			if (!k.devices[i].ifaces[j].line || !k.devices[i].ifaces[j].domain[0])
				abort();
	if (kathara_parse_dep(s, size, "lab.dep", &k, &err) == 0) {
		bool *seen = calloc(k.ndevices + 1, sizeof(*seen));

		for (size_t i = 0; seen && i < k.ndevices; i++) {
			if (k.order[i] >= k.ndevices || seen[k.order[i]])
				abort();
			seen[k.order[i]] = true;
		}
		free(seen);
	} else if (!err) {
		abort();
	}
	lab_err_free(&err);
	kathara_lab_free(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), lab_name[LAB_NAME_MAX + 1], host[HOST_NAME_MAX_LEN + 1];
	char ifname[IFNAMSIZ];
	struct lab_error *err = NULL;
	struct lab lab;
	struct lab_topo topo;
	struct ipv4_net net;
	uint32_t addr;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (state_parse(s, "fuzz", &lab, &err) == 0) {
		round_trip(&lab);
		state_free(&lab);
	}
	lab_err_free(&err);
	/* topology files: libyaml plus our validation; whatever is accepted is a consistent plan */
	if (topo_parse(s, size, "fuzz.yaml", &topo, &err) == 0) {
		for (size_t i = 0; i < topo.plan.nhosts; i++)
			for (size_t k = 0; k < topo.plan.hosts[i].nifaces; k++)
				if (topo.plan.hosts[i].ifaces[k].seg >= topo.plan.nsegs)
					abort();
		for (size_t r = 0; r < topo.nroutes; r++)
			if (topo.routes[r].host >= topo.plan.nhosts)
				abort();
		lab_topo_free(&topo);
	} else if (!err) {
		abort();	/* a refusal always says why */
	}
	lab_err_free(&err);
	fuzz_kathara(s, size);
	if (ipv4_parse_net(s, &net, &err) == 0 && !ipv4_is_private(&net))
		abort();
	lab_err_free(&err);
	ipv4_parse_addr(s, &addr);
	if (names_check_lab(s, NULL) == 0 && (strlen(s) > LAB_NAME_MAX || strchr(s, '-')))
		abort();
	if (names_check_host(s, NULL) == 0 && (strlen(s) > HOST_NAME_MAX_LEN || s[0] == '-'))
		abort();
	if (names_check_segment(s, NULL) == 0 && strlen(s) > SEGMENT_NAME_MAX)
		abort();
	names_check_ifname(s, NULL);
	names_split_host(s, lab_name, host, NULL);
	if (size < 40)
		names_ifname(ifname, NULL, "%s-%s", s, "h1");
	free(s);
	return 0;
}
