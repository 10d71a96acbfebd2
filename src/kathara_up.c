/* `netlab up DIR`: from a Kathará lab's plan to a struct lab_topo and its struct hostsetup. */
#include "kathara_up.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostsetup.h"
#include "names.h"
#include "util.h"

#define DPKG_STATUS "/var/lib/dpkg/status"

bool kathara_up_is_lab(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct stat st;

	if (!strcmp(base, "lab.conf"))
		return true;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dpkg's status file, read once: "Package: NAME" followed, in the same stanza, by "Status: install
 * ok installed". */
struct dpkg {
	char *text;
};

static bool installed(const char *package, void *arg)
{
	const struct dpkg *d = arg;
	char want[128];

	if (!d->text)
		return true;	/* not a Debian machine: nothing to say */
	snprintf(want, sizeof(want), "\nPackage: %s\n", package);
	for (const char *p = strstr(d->text, want); p; p = strstr(p + 1, want)) {
		const char *end = strstr(p + 1, "\n\n"), *st = strstr(p + 1, "\nStatus: ");

		if (st && (!end || st < end) && !strncmp(st, "\nStatus: install ok installed", 29))
			return true;
	}
	return false;
}

static char *read_dpkg(void)
{
	_cleanup_close_ int fd = open(DPKG_STATUS, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 1, cap = 0;	/* a leading '\n' so that the first stanza matches too */

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (len + 65536 + 1 > cap) {
			char *v = realloc(buf, cap = cap ? cap * 2 : 1 << 20);

			if (!v) {
				free(buf);
				return NULL;
			}
			buf = v;
		}
		n = TEMP_FAILURE_RETRY(read(fd, buf + len, cap - len - 1));
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[0] = '\n';
	buf[len] = '\0';
	return buf;
}

int kathara_up_load(const char *path, struct kathara_up *out, struct lab_error **err)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], real[PATH_MAX];
	struct dpkg d = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if (slash && !strcmp(slash + 1, "lab.conf"))
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	else if (!strcmp(path, "lab.conf"))
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%s", path);
	if (!realpath(dir, real))
		return lab_err(err, errno, "%s", dir);
	if (!(out->dir = strdup(real)))
		return lab_err(err, ENOMEM, "%s", dir);
	if ((r = kathara_load_dir(out->dir, &out->lab, err)) < 0 ||
	    (r = kathara_plan_make(&out->lab, &out->plan, err)) < 0) {
		kathara_up_free(out);
		return r;
	}
	d.text = read_dpkg();
	r = kathara_plan_missing(&out->plan, installed, &d, &out->missing, &out->nmissing, err);
	free(d.text);
	if (r < 0)
		kathara_up_free(out);
	return r;
}

void kathara_up_free(struct kathara_up *k)
{
	for (size_t i = 0; i < k->nmissing; i++)
		free(k->missing[i]);
	free(k->missing);
	kathara_plan_free(&k->plan);
	kathara_lab_free(&k->lab);
	free(k->dir);
	memset(k, 0, sizeof(*k));
}

/* A step as hostsetup runs it (/bin/sh -c): its [env] exported, then the command with /bin/bash,
 * Kathará's shell. */
static char *step_command(const struct kathara_host *kh, const char *command)
{
	char *text = NULL, *q;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < kh->nenvs; i++) {
		if (!(q = util_shell_quote(kh->envs[i].value)))
			break;
		fprintf(f, "export %s=%s; ", kh->envs[i].key, q);
		free(q);
	}
	if ((q = util_shell_quote(command)))
		fprintf(f, "exec /bin/bash -c %s", q);
	free(q);
	if (fclose(f) != 0 || !q) {
		free(text);
		return NULL;
	}
	return text;
}

static int map_host(const struct kathara_up *k, const struct kathara_host *kh, struct lab_host *h,
		    struct hostsetup_host *s, struct lab_error **err)
{
	const struct kathara_plan *p = &k->plan;

	if (names_check_host(kh->name, err) < 0)
		return lab_err_wrap(err, "%s/lab.conf: device %s", k->dir, kh->name);
	if (kh->nports > LAB_IFACES_MAX)
		return lab_err_usage(err, "%s/lab.conf: device %s: %zu interfaces, netlab has at most %d",
				     k->dir, kh->name, kh->nports, LAB_IFACES_MAX);
	util_copy(h->name, sizeof(h->name), kh->name);
	h->nifaces = kh->nports;
	h->networked = kh->nports > 0;
	h->router = h->networked;	/* every Kathará device forwards (its sysctls) */
	h->memory_max = kh->memory_max;
	for (size_t j = 0; j < kh->nports; j++) {
		struct lab_iface *x = &h->ifaces[j];

		memcpy(x->name, "eth", 3);	/* ethJ, J < LAB_IFACES_MAX (checked above) */
		x->name[3] = (char)('0' + j);
		x->name[4] = '\0';
		x->seg = (unsigned)kh->ports[j].seg;
		x->has_mac = kh->ports[j].has_mac;
		memcpy(x->mac, kh->ports[j].mac, sizeof(x->mac));
	}
	if (kh->nsysctls && !(s->sysctls = calloc(kh->nsysctls, sizeof(*s->sysctls))))
		return lab_err(err, ENOMEM, "plan");
	for (size_t j = 0; j < kh->nsysctls; j++, s->nsysctls++)
		if (!(s->sysctls[j].key = strdup(kh->sysctls[j].key)) ||
		    !(s->sysctls[j].value = strdup(kh->sysctls[j].value))) {
			free(s->sysctls[j].key);
			return lab_err(err, ENOMEM, "plan");
		}
	/* the device's files, then the lab's shared/ at /shared: copied, one copy per host. They are
	 * laid after the host's upper layer got netlab's /etc/hosts (rootfs_upper.c), so a
	 * device's own etc/hosts (a DNS lab's) is the one it reads, whole: netlab's names no
	 * address on a Kathará lab, there is nothing of it to keep */
	s->copies = calloc(kh->ncopies + 1, sizeof(*s->copies));
	if (!s->copies)
		return lab_err(err, ENOMEM, "plan");
	for (size_t j = 0; j <= kh->ncopies; j++) {
		struct hostsetup_copy *c = &s->copies[s->ncopies];
		const char *src = j < kh->ncopies ? kh->copies[j].src : "shared";

		if (j == kh->ncopies && !p->shared)
			break;
		c->tree = j < kh->ncopies ? kh->copies[j].tree : true;
		if (asprintf(&c->src, "%s/%s", k->dir, src) < 0) {
			c->src = NULL;
			return lab_err(err, ENOMEM, "plan");
		}
		s->ncopies++;
		if (!(c->dst = strdup(j < kh->ncopies ? kh->copies[j].dst : KATHARA_SHARED)))
			return lab_err(err, ENOMEM, "plan");
	}
	if ((kh->nstartup && !(s->exec = calloc(kh->nstartup, sizeof(*s->exec)))) ||
	    (kh->nshutdown && !(s->shutdown = calloc(kh->nshutdown, sizeof(*s->shutdown)))))
		return lab_err(err, ENOMEM, "plan");
	for (size_t j = 0; j < kh->nstartup; j++, s->nexec++)
		if (!(s->exec[j] = step_command(kh, kh->startup[j].command)))
			return lab_err(err, ENOMEM, "plan");
	for (size_t j = 0; j < kh->nshutdown; j++, s->nshutdown++)
		if (!(s->shutdown[j] = step_command(kh, kh->shutdown[j].command)))
			return lab_err(err, ENOMEM, "plan");
	if (kh->nafter && !(s->after = calloc(kh->nafter, sizeof(*s->after))))
		return lab_err(err, ENOMEM, "plan");
	for (size_t j = 0; j < kh->nafter; j++)
		s->after[s->nafter++] = kh->after[j];
	return 0;
}

static char *about(const struct kathara_up *k)
{
	const struct kathara_lab *l = &k->lab;
	const char *const keys[] = { "description", "version", "author", "email", "web" };
	const char *const vals[] = { l->description, l->version, l->author, l->email, l->web };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "kathara %s\n", k->dir);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (vals[i])	/* one line each: lab.conf's values have none in them */
			fprintf(f, "%s %s\n", keys[i], vals[i]);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int kathara_up_topo(const struct kathara_up *k, struct lab_topo *out, struct lab_error **err)
{
	const struct kathara_plan *p = &k->plan;
	struct lab *lab = &out->plan;
	struct hostsetup *s;

	memset(out, 0, sizeof(*out));
	if (p->nsegs > LAB_SEGMENTS_MAX)
		return lab_err_usage(err, "%s/lab.conf: %zu collision domains, netlab has at most %d",
				     k->dir, p->nsegs, LAB_SEGMENTS_MAX);
	if (p->nhosts > LAB_HOSTS_MAX)
		return lab_err_usage(err, "%s/lab.conf: %zu devices, netlab has at most %d", k->dir,
				     p->nhosts, LAB_HOSTS_MAX);
	lab->segs = calloc(p->nsegs ? p->nsegs : 1, sizeof(*lab->segs));
	lab->hosts = calloc(p->nhosts ? p->nhosts : 1, sizeof(*lab->hosts));
	out->setup = s = calloc(1, sizeof(*s));
	if (!lab->segs || !lab->hosts || !s ||
	    !(s->host = calloc(p->nhosts ? p->nhosts : 1, sizeof(*s->host)))) {
		lab_topo_free(out);
		return lab_err(err, ENOMEM, "plan");
	}
	lab->nsegs = p->nsegs;
	lab->nhosts = p->nhosts;
	s->n = p->nhosts;
	s->keep_going = true;
	s->parallel = true;	/* Kathará starts its devices at once; lab.dep: `after` */
	/* the startup files address the hosts and route between them, statically or with daemons:
	 * pingall and verify expect every host to reach every other, as with routing: dynamic */
	lab->dynamic = true;
	for (size_t g = 0; g < p->nsegs; g++) {
		if (names_check_segment(p->segs[g].name, err) < 0) {
			lab_topo_free(out);
			return lab_err_wrap(err, "%s/lab.conf: collision domain %s", k->dir,
					    p->segs[g].domain);
		}
		util_copy(lab->segs[g].name, sizeof(lab->segs[g].name), p->segs[g].name);
		lab->segs[g].noaddr = true;
	}
	for (size_t i = 0; i < p->nhosts; i++)
		if (map_host(k, &p->hosts[i], &lab->hosts[i], &s->host[i], err) < 0) {
			lab_topo_free(out);
			return -1;
		}
	if (!(s->about = about(k))) {
		lab_topo_free(out);
		return lab_err(err, ENOMEM, "plan");
	}
	return 0;
}
