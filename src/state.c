#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define STATE_MAGIC "netlab-state 1"

int state_format(const struct lab *lab, char **out, size_t *out_len, struct lab_error **err)
{
	char *buf = NULL, net[20], a[16];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return lab_err(err, errno, "open_memstream");
	fprintf(f, "%s\nname %s\nnumber %u\nstatus %s\nbuilder %d %llu\nsubnet %s\nbridge %s\nextra %d\n"
		"hosts %zu\n",
		STATE_MAGIC, lab->name, lab->number, lab->complete ? "up" : "building",
		(int)lab->builder, lab->builder_start, ipv4_fmt_net(&lab->subnet, net, sizeof(net)),
		lab->bridge, lab->extra_ns, lab->nhosts);
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		fprintf(f, "host %s %s %s %s %d %llu\n", h->name, h->networked ? "net" : "empty",
			h->networked ? ipv4_fmt(h->addr, a, sizeof(a)) : "-",
			h->networked ? h->veth : "-", (int)h->pid, h->start);
	}
	fputs("end\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return lab_err(err, ENOMEM, "format state");
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* Next line of *p, NUL-terminated in place (text is our own copy). NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (!nl)	/* a last line without newline means a truncated file */
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return line;
}

static int parse_host(char *line, struct lab_host *h, struct lab_error **err)
{
	char name[16], kind[8], addr[20], veth[20], extra[2];
	unsigned long long start;
	long pid;
	struct lab_error *ignored = NULL;

	if (sscanf(line, "host %15s %7s %19s %19s %ld %llu %1s", name, kind, addr, veth, &pid, &start,
		   extra) != 6)
		return lab_err(err, 0, "malformed host line");
	if (strlen(name) > HOST_NAME_MAX_LEN || !name[0])
		return lab_err(err, 0, "bad host name '%s'", name);
	util_copy(h->name, sizeof(h->name), name);
	if (pid < 0 || pid > 4194304)
		return lab_err(err, 0, "host %s: bad pid", name);
	h->pid = (pid_t)pid;
	h->start = start;
	if (!strcmp(kind, "empty")) {
		if (strcmp(addr, "-") || strcmp(veth, "-"))
			return lab_err(err, 0, "host %s: an empty host has no address", name);
		return 0;
	}
	if (strcmp(kind, "net"))
		return lab_err(err, 0, "host %s: unknown kind '%s'", name, kind);
	h->networked = true;
	if (ipv4_parse_addr(addr, &h->addr) < 0)
		return lab_err(err, 0, "host %s: bad address '%s'", name, addr);
	if (names_check_ifname(veth, &ignored) < 0) {
		lab_err_free(&ignored);
		return lab_err(err, 0, "host %s: bad interface name", name);
	}
	util_copy(h->veth, sizeof(h->veth), veth);
	return 0;
}

static int parse(char *p, struct lab *lab, struct lab_error **err)
{
	char *line, word[32], status[16], extra[2];
	unsigned long n;
	long builder;
	struct lab_error *sub = NULL;

	line = next_line(&p);
	if (!line || strcmp(line, STATE_MAGIC))
		return lab_err(err, 0, "not a netlab state file (or another version)");
	line = next_line(&p);
	if (!line || sscanf(line, "name %31s %1s", word, extra) != 1 || names_check_lab(word, &sub) < 0) {
		lab_err_free(&sub);
		return lab_err(err, 0, "bad name line");
	}
	util_copy(lab->name, sizeof(lab->name), word);
	line = next_line(&p);
	if (!line || sscanf(line, "number %lu %1s", &n, extra) != 1 || n < 1 || n > 65535)
		return lab_err(err, 0, "bad number line");
	lab->number = (unsigned)n;
	line = next_line(&p);
	if (!line || sscanf(line, "status %15s %1s", status, extra) != 1 ||
	    (strcmp(status, "up") && strcmp(status, "building")))
		return lab_err(err, 0, "bad status line");
	lab->complete = !strcmp(status, "up");
	line = next_line(&p);
	if (!line || sscanf(line, "builder %ld %llu %1s", &builder, &lab->builder_start, extra) != 2 ||
	    builder < 0 || builder > 4194304)
		return lab_err(err, 0, "bad builder line");
	lab->builder = (pid_t)builder;
	line = next_line(&p);
	if (!line || sscanf(line, "subnet %31s %1s", word, extra) != 1 ||
	    ipv4_parse_net(word, &lab->subnet, &sub) < 0) {
		lab_err_free(&sub);
		return lab_err(err, 0, "bad subnet line");
	}
	line = next_line(&p);
	if (!line || sscanf(line, "bridge %31s %1s", word, extra) != 1 ||
	    names_check_ifname(word, &sub) < 0) {
		lab_err_free(&sub);
		return lab_err(err, 0, "bad bridge line");
	}
	util_copy(lab->bridge, sizeof(lab->bridge), word);
	line = next_line(&p);
	if (!line || sscanf(line, "extra %d %1s", &lab->extra_ns, extra) != 1 ||
	    (lab->extra_ns & ~LAB_EXTRA_NS_MASK))
		return lab_err(err, 0, "bad extra line");
	line = next_line(&p);
	if (!line || sscanf(line, "hosts %lu %1s", &n, extra) != 1 || n > LAB_HOSTS_MAX + LAB_EMPTY_MAX)
		return lab_err(err, 0, "bad hosts line");
	lab->hosts = calloc(n ? n : 1, sizeof(*lab->hosts));
	if (!lab->hosts)
		return lab_err(err, ENOMEM, "state");
	lab->nhosts = n;
	for (size_t i = 0; i < n; i++) {
		line = next_line(&p);
		if (!line || strncmp(line, "host ", 5))
			return lab_err(err, 0, "expected %lu host lines, found %zu", n, i);
		if (parse_host(line, &lab->hosts[i], err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(lab->hosts[j].name, lab->hosts[i].name))
				return lab_err(err, 0, "host %s listed twice", lab->hosts[i].name);
	}
	line = next_line(&p);
	if (!line || strcmp(line, "end") || *p)
		return lab_err(err, 0, "missing end line (truncated file?)");
	return 0;
}

int state_parse(const char *text, const char *where, struct lab *out, struct lab_error **err)
{
	char *copy = strdup(text);
	struct lab lab = { 0 };
	int r;

	if (!copy)
		return lab_err(err, ENOMEM, "state");
	r = parse(copy, &lab, err);
	free(copy);
	if (r < 0) {
		state_free(&lab);
		return lab_err_wrap(err, "state file %s is corrupt", where);
	}
	*out = lab;
	return 0;
}

void state_free(struct lab *lab)
{
	free(lab->hosts);
	lab->hosts = NULL;
	lab->nhosts = 0;
}
