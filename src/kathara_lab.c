#include "kathara_lab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cleanup.h"
#include "names.h"
#include "state.h"

/* A growing array of malloc'd strings. */
static int push_line(char ***list, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int push_line(char ***list, size_t *n, const char *fmt, ...)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(*grown));
	va_list ap;
	int r;

	if (!grown)
		return -1;
	*list = grown;
	va_start(ap, fmt);
	r = vasprintf(&grown[*n], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	(*n)++;
	return 0;
}

static int push_kv(struct kathara_kv **list, size_t *n, const char *key, const char *value)
{
	struct kathara_kv *grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	*list = grown;
	grown[*n].key = strdup(key);
	grown[*n].value = strdup(value);
	if (!grown[*n].key || !grown[*n].value) {
		free(grown[*n].key);
		free(grown[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

static int push_copy(struct kathara_host *h, const char *src, const char *dst, bool tree)
{
	struct kathara_copy *grown = realloc(h->copies, (h->ncopies + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	h->copies = grown;
	grown[h->ncopies] = (struct kathara_copy){ .src = strdup(src), .dst = strdup(dst),
						   .tree = tree };
	if (!grown[h->ncopies].src || !grown[h->ncopies].dst) {
		free(grown[h->ncopies].src);
		free(grown[h->ncopies].dst);
		return -1;
	}
	h->ncopies++;
	return 0;
}

static int push_step(struct kathara_step **list, size_t *n, const char *label, const char *command,
		     const char *log)
{
	struct kathara_step *grown = realloc(*list, (*n + 1) * sizeof(*grown));
	struct kathara_step *s;

	if (!grown)
		return -1;
	*list = grown;
	s = &grown[*n];
	*s = (struct kathara_step){ .label = strdup(label), .command = strdup(command),
				    .log = log ? strdup(log) : NULL };
	if (!s->label || !s->command || (log && !s->log)) {
		free(s->label);
		free(s->command);
		free(s->log);
		return -1;
	}
	(*n)++;
	return 0;
}

/* The collision domain's segment, made on first sight. -1 out of memory. */
static ssize_t seg_of(struct kathara_plan *p, const char *domain)
{
	struct kathara_seg *grown;

	for (size_t i = 0; i < p->nsegs; i++)
		if (!strcmp(p->segs[i].domain, domain))
			return (ssize_t)i;
	grown = realloc(p->segs, (p->nsegs + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	p->segs = grown;
	memset(&grown[p->nsegs], 0, sizeof(*grown));
	snprintf(grown[p->nsegs].domain, sizeof(grown[p->nsegs].domain), "%s", domain);
	return (ssize_t)p->nsegs++;
}

static bool seg_name_taken(const struct kathara_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nsegs; i++)
		if (!strcmp(p->segs[i].name, name))
			return true;
	return false;
}

/* netlab's names for the domains: the domain itself (segment names are case-sensitive, as
 * Kathará's domains: "A" and "a" are two), else, for one longer than a segment name, cd1, cd2, ... */
static void name_segs(struct kathara_plan *p)
{
	unsigned next = 1;

	for (size_t i = 0; i < p->nsegs; i++)
		if (names_check_segment(p->segs[i].domain, NULL) == 0)
			snprintf(p->segs[i].name, sizeof(p->segs[i].name), "%.*s", SEGMENT_NAME_MAX,
				 p->segs[i].domain);
	for (size_t i = 0; i < p->nsegs; i++) {
		char name[SEGMENT_NAME_MAX + 1];

		if (p->segs[i].name[0])
			continue;
		do
			snprintf(name, sizeof(name), "cd%u", next++);
		while (seg_name_taken(p, name));
		memcpy(p->segs[i].name, name, sizeof(name));
	}
}

/* What Kathará sets in every device (its DockerMachine), then the device's own [sysctl] lines. */
static int add_sysctls(struct kathara_host *h, const struct kathara_device *d)
{
	static const char *const v4[][2] = {
		{ "net.ipv4.conf.all.rp_filter", "0" }, { "net.ipv4.conf.default.rp_filter", "0" },
		{ "net.ipv4.conf.lo.rp_filter", "0" },	{ "net.ipv4.ip_forward", "1" },
		{ "net.ipv4.icmp_ratelimit", "0" },
	};
	static const char *const v6_on[][2] = {
		{ "net.ipv6.conf.all.forwarding", "1" },     { "net.ipv6.conf.all.accept_ra", "0" },
		{ "net.ipv6.icmp.ratelimit", "0" },	     { "net.ipv6.conf.default.disable_ipv6", "0" },
		{ "net.ipv6.conf.all.disable_ipv6", "0" },
	};
	static const char *const v6_off[][2] = {
		{ "net.ipv6.conf.default.disable_ipv6", "1" }, { "net.ipv6.conf.all.disable_ipv6", "1" },
		{ "net.ipv6.conf.default.forwarding", "0" },   { "net.ipv6.conf.all.forwarding", "0" },
	};
	const char *const(*v6)[2] = h->ipv6 ? v6_on : v6_off;
	size_t n6 = h->ipv6 ? sizeof(v6_on) / sizeof(*v6_on) : sizeof(v6_off) / sizeof(*v6_off);
	char key[96];

	for (size_t i = 0; i < sizeof(v4) / sizeof(*v4); i++)
		if (push_kv(&h->sysctls, &h->nsysctls, v4[i][0], v4[i][1]) < 0)
			return -1;
	for (size_t i = 0; i < n6; i++)
		if (push_kv(&h->sysctls, &h->nsysctls, v6[i][0], v6[i][1]) < 0)
			return -1;
	/* per interface, as Kathará's network driver options */
	for (size_t k = 0; k < h->nports; k++) {
		snprintf(key, sizeof(key), "net.ipv4.conf.eth%zu.rp_filter", k);
		if (push_kv(&h->sysctls, &h->nsysctls, key, "0") < 0)
			return -1;
		snprintf(key, sizeof(key), "net.ipv6.conf.eth%zu.disable_ipv6", k);
		if (push_kv(&h->sysctls, &h->nsysctls, key, h->ipv6 ? "0" : "1") < 0)
			return -1;
		if (!h->ipv6)
			continue;
		snprintf(key, sizeof(key), "net.ipv6.conf.eth%zu.forwarding", k);
		if (push_kv(&h->sysctls, &h->nsysctls, key, "1") < 0)
			return -1;
	}
	for (size_t i = 0; i < d->nsysctls; i++)
		if (push_kv(&h->sysctls, &h->nsysctls, d->sysctls[i].key, d->sysctls[i].value) < 0)
			return -1;
	return 0;
}

/* The files and the steps of a device's startup and shutdown, as Kathará runs them: the device's
 * directory over its root, permissions fixed as Kathará's images expect, shared.startup, then
 * NAME.startup (each with bash -x: Kathará prepends `set -x`), then [exec] lines; at down
 * NAME.shutdown, then shared.shutdown. */
static int add_files_and_steps(struct kathara_host *h, const struct kathara_lab *lab,
			       const struct kathara_device *d)
{
	char src[64], dst[96], cmd[160];

	if (d->has_dir && push_copy(h, d->name, "/", true) < 0)
		return -1;
	if (lab->has_shared_startup &&
	    push_copy(h, "shared.startup", KATHARA_HOSTLAB "/shared.startup", false) < 0)
		return -1;
	if (lab->has_shared_shutdown &&
	    push_copy(h, "shared.shutdown", KATHARA_HOSTLAB "/shared.shutdown", false) < 0)
		return -1;
	for (int k = 0; k < 2; k++) {
		const char *ext = k ? "shutdown" : "startup";

		if (!(k ? d->has_shutdown : d->has_startup))
			continue;
		snprintf(src, sizeof(src), "%s.%s", d->name, ext);
		snprintf(dst, sizeof(dst), "%s/%s", KATHARA_HOSTLAB, src);
		if (push_copy(h, src, dst, false) < 0)
			return -1;
	}

	if (d->has_dir && push_step(&h->startup, &h->nstartup, "prepare",
				    "if [ -d /var/www ]; then chmod -R 777 /var/www/*; fi; "
				    "if [ -d /etc/frr ]; then chown -R frr:frr /etc/frr/ && "
				    "chmod 640 /etc/frr/*; fi",
				    NULL) < 0)
		return -1;
	if (lab->has_shared_startup &&
	    push_step(&h->startup, &h->nstartup, "shared.startup",
		      "/bin/bash -x " KATHARA_HOSTLAB "/shared.startup", "/var/log/shared.log") < 0)
		return -1;
	if (d->has_startup) {
		snprintf(src, sizeof(src), "%s.startup", d->name);
		snprintf(cmd, sizeof(cmd), "/bin/bash -x %s/%s", KATHARA_HOSTLAB, src);
		if (push_step(&h->startup, &h->nstartup, src, cmd, "/var/log/startup.log") < 0)
			return -1;
	}
	for (size_t i = 0; i < d->nexecs; i++) {
		snprintf(src, sizeof(src), "[exec] %zu", i + 1);
		if (push_step(&h->startup, &h->nstartup, src, d->execs[i], "/var/log/startup.log") < 0)
			return -1;
	}
	if (d->has_shutdown) {
		snprintf(src, sizeof(src), "%s.shutdown", d->name);
		snprintf(cmd, sizeof(cmd), "/bin/bash %s/%s", KATHARA_HOSTLAB, src);
		if (push_step(&h->shutdown, &h->nshutdown, src, cmd, NULL) < 0)
			return -1;
	}
	if (lab->has_shared_shutdown &&
	    push_step(&h->shutdown, &h->nshutdown, "shared.shutdown",
		      "/bin/bash " KATHARA_HOSTLAB "/shared.shutdown", NULL) < 0)
		return -1;
	return 0;
}

/* The lines `up` prints for what it does not honour of a device. */
static int add_notes(struct kathara_plan *p, const struct kathara_device *d)
{
	if (d->bridged &&
	    push_line(&p->notes, &p->nnotes, "device %s: [bridged] ignored: lab traffic never leaves "
			  "the lab, so %s has no connection to the machine's network", d->name, d->name) < 0)
		return -1;
	if (d->nports &&
	    push_line(&p->notes, &p->nnotes, "device %s: [port] ignored (%zu line%s): no port of the "
			  "machine leads into the lab", d->name, d->nports, d->nports == 1 ? "" : "s") < 0)
		return -1;
	if (d->cpus &&
	    push_line(&p->notes, &p->nnotes, "device %s: [cpus]=%s ignored: netlab sets no CPU limit "
			  "per host", d->name, d->cpus) < 0)
		return -1;
	if (d->shell && strcmp(d->shell, "/bin/bash") && strcmp(d->shell, "bash") &&
	    push_line(&p->notes, &p->nnotes, "device %s: [shell]=%s ignored: startup files run with "
			  "/bin/bash; netlab shell opens root's shell", d->name, d->shell) < 0)
		return -1;
	for (size_t i = 0; i < d->nunknown; i++) {
		const char *why = !strcmp(d->unknown[i], "num_terms")
					  ? "netlab opens no terminal; use netlab shell"
					  : "not a setting netlab has";

		if (push_line(&p->notes, &p->nnotes, "device %s: [%s] ignored: %s", d->name,
			      d->unknown[i], why) < 0)
			return -1;
	}
	return 0;
}

static int add_host(struct kathara_plan *p, const struct kathara_lab *lab, size_t di,
		    struct lab_error **err)
{
	const struct kathara_device *d = &lab->devices[di];
	struct kathara_host *h = &p->hosts[p->nhosts++];
	const char *why = NULL;
	struct lab_error *e = NULL;

	snprintf(h->name, sizeof(h->name), "%s", d->name);
	h->device = di;
	/* Kathará's device names are host names, but for those that read as an address ("123") */
	if (names_check_host(d->name, &e) < 0) {
		int r = push_line(&p->refusals, &p->nrefusals, "device %s: %s", d->name, e->msg);

		lab_err_free(&e);
		if (r < 0)
			goto oom;
	}
	h->ipv6 = d->ipv6 == 1;	/* Kathará's default (its enable_ipv6 setting): off */
	if (d->nifaces && !(h->ports = calloc(d->nifaces, sizeof(*h->ports))))
		goto oom;
	for (size_t k = 0; k < d->nifaces; k++) {
		ssize_t g = seg_of(p, d->ifaces[k].domain);

		if (g < 0)
			goto oom;
		h->ports[k] = (struct kathara_port){ .seg = (size_t)g, .has_mac = d->ifaces[k].has_mac };
		memcpy(h->ports[k].mac, d->ifaces[k].mac, 6);
		p->segs[g].nports++;
		h->nports++;
	}
	if (add_sysctls(h, d) < 0)
		goto oom;
	for (size_t i = 0; i < d->nenvs; i++)
		if (push_kv(&h->envs, &h->nenvs, d->envs[i].key, d->envs[i].value) < 0)
			goto oom;
	if (d->mem && (cgroup_parse_memory(d->mem, &h->memory_max) < 0 ||
		       h->memory_max == CGROUP_UNLIMITED))
		return lab_err_usage(err, "device %s: [mem]=%s: expected a size such as 256m or 1g "
				       "(bytes, k, m, g)", d->name, d->mem);
	if (d->image && !(h->image = strdup(d->image)))
		goto oom;
	h->packages = d->image ? kathara_image_packages(d->image, &why) : "";
	if (!h->packages) {
		h->packages = "";
		if (push_line(&p->refusals, &p->nrefusals, "device %s: image %s: %s", d->name,
			      d->image, why) < 0)
			goto oom;
	}
	if (d->nifaces > LAB_IFACES_MAX &&
	    push_line(&p->refusals, &p->nrefusals, "device %s: %zu interfaces; a netlab host has at "
			  "most %d (eth0..eth%d)", d->name, d->nifaces, LAB_IFACES_MAX,
			  LAB_IFACES_MAX - 1) < 0)
		goto oom;
	if (add_files_and_steps(h, lab, d) < 0 || add_notes(p, d) < 0)
		goto oom;
	return 0;
oom:
	return lab_err(err, ENOMEM, "plan device %s", d->name);
}

/* Each host's lab.dep dependencies as indexes of plan hosts. lab->order placed every one of them
 * before the host. -1: out of memory. */
static int add_after(struct kathara_plan *p, const struct kathara_lab *lab)
{
	for (size_t i = 0; i < p->nhosts; i++) {
		struct kathara_host *h = &p->hosts[i];
		const size_t *deps = lab->deps && h->device < lab->ndeps ? lab->deps[h->device] : NULL;
		size_t n = 0;

		while (deps && deps[n] != (size_t)-1)
			n++;
		if (!n)
			continue;
		if (!(h->after = calloc(n, sizeof(*h->after))))
			return -1;
		for (size_t k = 0; k < n; k++)
			for (size_t j = 0; j < i; j++)
				if (p->hosts[j].device == deps[k]) {
					h->after[h->nafter++] = j;
					break;
				}
	}
	return 0;
}

int kathara_plan_make(const struct kathara_lab *lab, struct kathara_plan *out,
		      struct lab_error **err)
{
	memset(out, 0, sizeof(*out));
	out->shared = lab->has_shared;
	if (lab->ndevices && !(out->hosts = calloc(lab->ndevices, sizeof(*out->hosts))))
		return lab_err(err, ENOMEM, "plan the lab");
	/* segments in lab.conf's order, hosts in startup order */
	for (size_t i = 0; i < lab->ndevices; i++)
		for (size_t k = 0; k < lab->devices[i].nifaces; k++)
			if (seg_of(out, lab->devices[i].ifaces[k].domain) < 0) {
				kathara_plan_free(out);
				return lab_err(err, ENOMEM, "plan the lab");
			}
	for (size_t i = 0; i < lab->ndevices; i++)
		if (add_host(out, lab, lab->order ? lab->order[i] : i, err) < 0) {
			kathara_plan_free(out);
			return -1;
		}
	if (add_after(out, lab) < 0)
		goto oom;
	name_segs(out);
	if (out->nsegs > LAB_SEGMENTS_MAX &&
	    push_line(&out->refusals, &out->nrefusals, "%zu collision domains; a netlab lab has at "
			  "most %d segments", out->nsegs, LAB_SEGMENTS_MAX) < 0)
		goto oom;
	for (size_t i = 0; i < lab->nstrays; i++)
		if (push_line(&out->notes, &out->nnotes, "%s/ or %s.startup: no device of lab.conf is "
			      "called %s: ignored, as Kathará does", lab->strays[i], lab->strays[i],
			      lab->strays[i]) < 0)
			goto oom;
	return 0;
oom:
	kathara_plan_free(out);
	return lab_err(err, ENOMEM, "plan the lab");
}

/* Is pkg one of the space-separated packages of list? */
static bool has_package(const char *list, const char *pkg)
{
	size_t len = strlen(pkg);

	for (list += strspn(list, " "); *list; list += strspn(list, " ")) {
		size_t n = strcspn(list, " ");

		if (n == len && !strncmp(list, pkg, len))
			return true;
		list += n;
	}
	return false;
}

/* "frr (image kathara/frr of r1, r2)": host i is the first that needs pkg. */
static int missing_line(const struct kathara_plan *plan, size_t i, const char *pkg, char ***lines,
			size_t *n)
{
	_cleanup_free_ char *users = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&users, &len);
	int r;

	if (!f)
		return -1;
	for (size_t j = i; j < plan->nhosts; j++)
		if (has_package(plan->hosts[j].packages, pkg))
			fprintf(f, "%s%s", j == i ? "" : ", ", plan->hosts[j].name);
	if (fclose(f) != 0)
		return -1;
	r = push_line(lines, n, "%s (image %s of %s)", pkg, plan->hosts[i].image, users);
	return r;
}

int kathara_plan_missing(const struct kathara_plan *plan,
			 bool (*installed)(const char *package, void *arg), void *arg, char ***out,
			 size_t *n, struct lab_error **err)
{
	char **lines = NULL;
	size_t nlines = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < plan->nhosts; i++) {
		const char *p = plan->hosts[i].packages;

		for (p += strspn(p, " "); *p; p += strspn(p, " ")) {
			size_t len = strcspn(p, " ");
			char pkg[64];
			bool seen = false;

			snprintf(pkg, sizeof(pkg), "%.*s", (int)len, p);
			p += len;
			for (size_t j = 0; j < i && !seen; j++)
				seen = has_package(plan->hosts[j].packages, pkg);
			if (seen || installed(pkg, arg))
				continue;
			if (missing_line(plan, i, pkg, &lines, &nlines) < 0) {
				for (size_t k = 0; k < nlines; k++)
					free(lines[k]);
				free(lines);
				return lab_err(err, ENOMEM, "list the missing packages");
			}
		}
	}
	*out = lines;
	*n = nlines;
	return 0;
}

static void kv_free(struct kathara_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void steps_free(struct kathara_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].label);
		free(s[i].command);
		free(s[i].log);
	}
	free(s);
}

void kathara_plan_free(struct kathara_plan *plan)
{
	for (size_t i = 0; i < plan->nhosts; i++) {
		struct kathara_host *h = &plan->hosts[i];

		free(h->ports);
		kv_free(h->sysctls, h->nsysctls);
		kv_free(h->envs, h->nenvs);
		free(h->image);
		for (size_t k = 0; k < h->ncopies; k++) {
			free(h->copies[k].src);
			free(h->copies[k].dst);
		}
		free(h->copies);
		steps_free(h->startup, h->nstartup);
		steps_free(h->shutdown, h->nshutdown);
		free(h->after);
	}
	free(plan->hosts);
	free(plan->segs);
	for (size_t i = 0; i < plan->nnotes; i++)
		free(plan->notes[i]);
	free(plan->notes);
	for (size_t i = 0; i < plan->nrefusals; i++)
		free(plan->refusals[i]);
	free(plan->refusals);
	memset(plan, 0, sizeof(*plan));
}
