#include "kathara.h"
#include "kathara_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* Names Kathará keeps for itself (its utils.py RESERVED_MACHINE_NAMES). */
static const char *const reserved[] = { "shared", "_test" };

struct conf {
	const char *where;
	unsigned line;
	struct kathara_lab *lab;
	struct lab_error **err;
};

static int fail(const struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const struct conf *c, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lab_err_usage(c->err, "%s:%u: %s", c->where, c->line, msg);
}

static int oom(const struct conf *c)
{
	return lab_err(c->err, ENOMEM, "%s:%u", c->where, c->line);
}

/* Python's \w, ASCII only: what Kathará's patterns accept in names. */
static bool is_word(int ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

static bool all_word(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_word(s[i]))
			return false;
	return true;
}

bool kathara_is_device_name(const char *s, size_t n)
{
	if (n < 1 || n > KATHARA_DEVICE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* Python's strtobool, as Kathará uses it for [bridged] and [ipv6]. */
static int parse_bool(const char *v)
{
	static const char *const yes[] = { "y", "yes", "t", "true", "on", "1" };
	static const char *const no[] = { "n", "no", "f", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (!strcasecmp(v, no[i]))
			return 0;
	return -1;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[3 * i]) || !isxdigit((unsigned char)s[3 * i + 1]))
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

struct kathara_device *kathara_device_find(const struct kathara_lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->ndevices; i++)
		if (!strcmp(lab->devices[i].name, name))
			return &lab->devices[i];
	return NULL;
}

static struct kathara_device *device_get(struct kathara_lab *lab, const char *name, unsigned line)
{
	struct kathara_device *d = kathara_device_find(lab, name), *grown;

	if (d) {
		if (!d->line)
			d->line = line;
		return d;
	}
	if (lab->ndevices >= KATHARA_DEVICES_MAX) {
		errno = E2BIG;
		return NULL;
	}
	grown = realloc(lab->devices, (lab->ndevices + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	lab->devices = grown;
	d = &lab->devices[lab->ndevices++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ipv6 = -1;
	d->line = line;
	return d;
}

/* Set key=value in a list (the last one given wins, as in Kathará). 0, or -1 out of memory. */
static int kv_set(struct kathara_kv **list, size_t *n, const char *key, size_t keylen,
		  const char *value)
{
	_cleanup_free_ char *v = strdup(value);
	struct kathara_kv *grown;

	if (!v)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (strlen((*list)[i].key) == keylen && !strncmp((*list)[i].key, key, keylen)) {
			free((*list)[i].value);
			(*list)[i].value = TAKE_PTR(v);
			return 0;
		}
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	*list = grown;
	grown[*n].key = strndup(key, keylen);
	if (!grown[*n].key)
		return -1;
	grown[*n].value = TAKE_PTR(v);
	(*n)++;
	return 0;
}

int kathara_str_push(char ***list, size_t *n, const char *s)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	*list = grown;
	if (!(grown[*n] = strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

static int set_str(char **dst, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -1;
	free(*dst);
	*dst = v;
	return 0;
}

static int add_iface(const struct conf *c, struct kathara_device *d, const char *arg,
		     const char *value)
{
	unsigned long n;
	const char *slash = strchr(value, '/');
	size_t dlen = slash ? (size_t)(slash - value) : strlen(value);
	struct kathara_iface *x, *grown;

	if (util_parse_ulong(arg, 0, KATHARA_IFACES_MAX - 1, &n) < 0)
		return fail(c, "device %s: interface number %s: at most %d interfaces (eth0..eth%d)",
			    d->name, arg, KATHARA_IFACES_MAX, KATHARA_IFACES_MAX - 1);
	if (!all_word(value, dlen))
		return fail(c, "device %s: collision domain \"%s\": only letters, digits and _ "
			       "(as Kathará)", d->name, value);
	if (dlen > KATHARA_DOMAIN_MAX)
		return fail(c, "device %s: collision domain name longer than %d characters", d->name,
			    KATHARA_DOMAIN_MAX);
	if (n >= d->nifaces) {
		grown = realloc(d->ifaces, (n + 1) * sizeof(*grown));
		if (!grown)
			return oom(c);
		memset(grown + d->nifaces, 0, (n + 1 - d->nifaces) * sizeof(*grown));
		d->ifaces = grown;
		d->nifaces = n + 1;
	}
	x = &d->ifaces[n];
	if (x->line)
		return fail(c, "device %s: eth%lu is already on collision domain %s (line %u)", d->name,
			    n, x->domain, x->line);
	memcpy(x->domain, value, dlen);
	x->domain[dlen] = '\0';
	x->line = c->line;
	if (slash) {
		if (parse_mac(slash + 1, x->mac) < 0)
			return fail(c, "device %s: eth%lu: \"%s\" is not a MAC address "
				       "(xx:xx:xx:xx:xx:xx)", d->name, n, slash + 1);
		if (x->mac[0] & 1)
			return fail(c, "device %s: eth%lu: %s is a multicast MAC address", d->name, n,
				    slash + 1);
		x->has_mac = true;
	}
	return 0;
}

/* net.a.b-c.d=value, as Kathará's ^net\.([\w-]+\.)+[\w-]+=[^=]*$ */
static bool is_net_sysctl(const char *v, size_t *keylen)
{
	const char *eq = strchr(v, '=');
	size_t dots = 0;

	if (!eq || strchr(eq + 1, '=') || strncmp(v, "net.", 4))
		return false;
	for (const char *p = v + 4; p < eq; p++) {
		if (*p == '.') {
			if (p[-1] == '.' || p + 1 == eq)
				return false;
			dots++;
		} else if (!is_word(*p) && *p != '-') {
			return false;
		}
	}
	*keylen = (size_t)(eq - v);
	return dots >= 1 && v[4] != '.';
}

static int add_option(const struct conf *c, struct kathara_device *d, const char *arg,
		      const char *value)
{
	size_t klen;
	int b;

	if (!strcmp(arg, "image"))
		return set_str(&d->image, value) < 0 ? oom(c) : 0;
	if (!strcmp(arg, "mem"))
		return set_str(&d->mem, value) < 0 ? oom(c) : 0;
	if (!strcmp(arg, "cpus"))
		return set_str(&d->cpus, value) < 0 ? oom(c) : 0;
	if (!strcmp(arg, "shell"))
		return set_str(&d->shell, value) < 0 ? oom(c) : 0;
	if (!strcmp(arg, "exec"))
		return kathara_str_push(&d->execs, &d->nexecs, value) < 0 ? oom(c) : 0;
	if (!strcmp(arg, "port")) {
		d->nports++;
		return 0;
	}
	if (!strcmp(arg, "bridged") || !strcmp(arg, "ipv6")) {
		if ((b = parse_bool(value)) < 0)
			return fail(c, "device %s: %s=\"%s\": expected true or false", d->name, arg,
				    value);
		if (arg[0] == 'b')
			d->bridged = b;
		else
			d->ipv6 = b;
		return 0;
	}
	if (!strcmp(arg, "sysctl")) {
		if (!is_net_sysctl(value, &klen))
			return fail(c, "device %s: sysctl \"%s\": expected net.NAME=VALUE (Kathará "
				       "allows only the net. namespace)", d->name, value);
		return kv_set(&d->sysctls, &d->nsysctls, value, klen, value + klen + 1) < 0 ? oom(c)
											: 0;
	}
	if (!strcmp(arg, "env")) {
		const char *eq = strchr(value, '=');

		if (!eq || !all_word(value, (size_t)(eq - value)))
			return fail(c, "device %s: env \"%s\": expected NAME=VALUE", d->name, value);
		return kv_set(&d->envs, &d->nenvs, value, (size_t)(eq - value), eq + 1) < 0 ? oom(c)
											   : 0;
	}
	/* num_terms, ulimit, privileged, volume, ...: cosmetic or Docker's; kept to be reported */
	for (size_t i = 0; i < d->nunknown; i++)
		if (!strcmp(d->unknown[i], arg))
			return 0;
	return kathara_str_push(&d->unknown, &d->nunknown, arg) < 0 ? oom(c) : 0;
}

static int set_meta(const struct conf *c, const char *line)
{
	static const struct {
		const char *key;
		size_t off;
	} metas[] = {
		{ "LAB_DESCRIPTION=", offsetof(struct kathara_lab, description) },
		{ "LAB_VERSION=", offsetof(struct kathara_lab, version) },
		{ "LAB_AUTHOR=", offsetof(struct kathara_lab, author) },
		{ "LAB_EMAIL=", offsetof(struct kathara_lab, email) },
		{ "LAB_WEB=", offsetof(struct kathara_lab, web) },
	};

	for (size_t i = 0; i < sizeof(metas) / sizeof(*metas); i++) {
		size_t n = strlen(metas[i].key);
		char **dst = (char **)((char *)c->lab + metas[i].off);
		_cleanup_free_ char *v = NULL;
		size_t w = 0;

		if (strncmp(line, metas[i].key, n))
			continue;
		if (!(v = strdup(line + n)))
			return oom(c);
		/* Kathará drops every quote and the blanks around */
		for (size_t r = 0; v[r]; r++)
			if (v[r] != '"' && v[r] != '\'')
				v[w++] = v[r];
		while (w && isspace((unsigned char)v[w - 1]))
			w--;
		v[w] = '\0';
		free(*dst);
		*dst = TAKE_PTR(v);
		return 1;
	}
	return 0;
}

/* One line, already stripped of blanks at both ends and NUL-terminated. */
static int conf_line(const struct conf *c, char *s)
{
	char *open = strchr(s, '['), *close, *value, *end;
	char quote = 0;
	struct kathara_device *d;
	int r;

	if (!*s || *s == '#')
		return 0;
	if ((r = set_meta(c, s)) != 0)
		return r < 0 ? -1 : 0;
	if (!open || !(close = strchr(open, ']')) || close[1] != '=')
		return fail(c, "expected DEVICE[N]=DOMAIN, DEVICE[OPTION]=VALUE or LAB_*=..., "
			       "got \"%s\"", s);
	if (!kathara_is_device_name(s, (size_t)(open - s)))
		return fail(c, "device name \"%.*s\": 1 to %d characters of a-z, 0-9 and _ "
			       "(as Kathará)", (int)(open - s), s, KATHARA_DEVICE_MAX);
	if (!all_word(open + 1, (size_t)(close - open - 1)))
		return fail(c, "\"%.*s\": expected an interface number or an option name in [ ]",
			    (int)(close - open + 1), open);
	*open = *close = '\0';
	value = close + 2;
	if (*value == '"' || *value == '\'')
		quote = *value++;
	/* the value has no quote in it; after a closing quote only blanks and a # comment */
	end = value + strcspn(value, "\"'");
	if (quote) {
		if (*end != quote)
			return fail(c, "device %s: value of [%s] has no closing %c", s, open + 1, quote);
		*end++ = '\0';
		end += strspn(end, " \t");
		if (*end && *end != '#')
			return fail(c, "device %s: unexpected text after the value of [%s]: \"%s\"", s,
				    open + 1, end);
	} else {
		char *hash = value;

		if (*end)
			return fail(c, "device %s: a quote inside the value of [%s]", s, open + 1);
		/* a comment after an unquoted value: " # ..." */
		while ((hash = strchr(hash, '#')) && hash > value && !isspace((unsigned char)hash[-1]))
			hash++;
		if (hash && hash > value)
			*hash = '\0';
		end = value + strlen(value);
		while (end > value && isspace((unsigned char)end[-1]))
			*--end = '\0';
	}
	if (!*value)
		return fail(c, "device %s: [%s] has no value", s, open + 1);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (!strcmp(s, reserved[i]))
			return fail(c, "\"%s\" is a reserved name (Kathará keeps it for the lab's "
				       "directory layout), not a device", s);
	if (!(d = device_get(c->lab, s, c->line)))
		return errno == E2BIG ? fail(c, "more than %d devices", KATHARA_DEVICES_MAX) : oom(c);
	if (isdigit((unsigned char)open[1]))
		return add_iface(c, d, open + 1, value);
	return add_option(c, d, open + 1, value);
}

static int check_ifaces(const struct conf *c0, struct kathara_lab *lab)
{
	struct conf c = *c0;

	for (size_t i = 0; i < lab->ndevices; i++) {
		const struct kathara_device *d = &lab->devices[i];

		for (size_t k = 0; k < d->nifaces; k++) {
			size_t j = k;

			if (d->ifaces[k].line)
				continue;
			/* the line of the interface past the gap (nifaces is one past the highest given) */
			while (j + 1 < d->nifaces && !d->ifaces[j].line)
				j++;
			c.line = d->ifaces[j].line ? d->ifaces[j].line : d->line;
			return fail(&c, "device %s: eth%zu is given but eth%zu is missing: Kathará numbers "
					"interfaces from eth0 without gaps", d->name, j, k);
		}
	}
	return 0;
}

static void device_free(struct kathara_device *d)
{
	free(d->ifaces);
	free(d->image);
	free(d->mem);
	free(d->cpus);
	free(d->shell);
	for (size_t i = 0; i < d->nsysctls; i++) {
		free(d->sysctls[i].key);
		free(d->sysctls[i].value);
	}
	free(d->sysctls);
	for (size_t i = 0; i < d->nenvs; i++) {
		free(d->envs[i].key);
		free(d->envs[i].value);
	}
	free(d->envs);
	for (size_t i = 0; i < d->nexecs; i++)
		free(d->execs[i]);
	free(d->execs);
	for (size_t i = 0; i < d->nunknown; i++)
		free(d->unknown[i]);
	free(d->unknown);
}

void kathara_lab_free(struct kathara_lab *lab)
{
	for (size_t i = 0; i < lab->ndevices; i++)
		device_free(&lab->devices[i]);
	free(lab->devices);
	free(lab->order);
	for (size_t i = 0; lab->deps && i < lab->ndeps; i++)
		free(lab->deps[i]);
	free(lab->deps);
	free(lab->description);
	free(lab->version);
	free(lab->author);
	free(lab->email);
	free(lab->web);
	for (size_t i = 0; i < lab->nstrays; i++)
		free(lab->strays[i]);
	free(lab->strays);
	memset(lab, 0, sizeof(*lab));
}

/* Call fn on each line of text (a private, NUL-terminated, blank-stripped copy), counting lines as
 * an editor does. Stops at the first error. */
static int each_line(const char *text, size_t len, struct conf *c,
		     int (*fn)(const struct conf *c, char *line))
{
	const char *p = text, *end = text + len;

	if (len > KATHARA_FILE_MAX)
		return lab_err_usage(c->err, "%s: larger than %d bytes", c->where, KATHARA_FILE_MAX);
	for (c->line = 1; p < end; c->line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		_cleanup_free_ char *s = NULL;
		char *b, *e;

		if (memchr(p, '\0', n))
			return fail(c, "a NUL byte: not a text file");
		if (!(s = strndup(p, n)))
			return oom(c);
		for (b = s; isspace((unsigned char)*b); b++)
			;
		for (e = b + strlen(b); e > b && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (fn(c, b) < 0)
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int kathara_parse_conf(const char *text, size_t len, const char *where, struct kathara_lab *out,
		       struct lab_error **err)
{
	struct conf c = { .where = where, .lab = out, .err = err };

	memset(out, 0, sizeof(*out));
	if (each_line(text, len, &c, conf_line) < 0 || check_ifaces(&c, out) < 0) {
		kathara_lab_free(out);
		return -1;
	}
	return 0;
}

int kathara_add_device(struct kathara_lab *lab, const char *name, struct lab_error **err)
{
	if (kathara_device_find(lab, name))
		return 0;
	if (!kathara_is_device_name(name, strlen(name)))
		return lab_err_usage(err, "device %s: a device name is 1 to %d characters of a-z, 0-9 "
				       "and _ (as Kathará)", name, KATHARA_DEVICE_MAX);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (!strcmp(name, reserved[i]))
			return 0;
	if (!device_get(lab, name, 0))
		return lab_err(err, errno, "device %s", name);
	return 1;
}

/* lab.dep as parsed: deps[i] lists the devices device i waits for (indexes), -1 terminated. */
struct dep {
	struct conf c;		/* first: dep_line gets &dep.c */
	size_t **deps;
	unsigned *lines;
};

static int dep_line(const struct conf *c, char *s)
{
	const struct dep *dp = (const struct dep *)c;	/* c is dp->c, its first member */
	char *colon, *tok, *save = NULL;
	struct kathara_device *d;
	size_t i, n = 0, *list;

	if (!*s || *s == '#')
		return 0;
	if (!(colon = strchr(s, ':')) || !all_word(s, (size_t)(colon - s)))
		return fail(c, "expected DEVICE: DEVICE ..., got \"%s\"", s);
	*colon = '\0';
	if (!(d = kathara_device_find(c->lab, s)))
		return fail(c, "%s is not a device of this lab", s);
	i = (size_t)(d - c->lab->devices);
	list = calloc(c->lab->ndevices + 1, sizeof(*list));
	if (!list)
		return oom(c);
	for (tok = strtok_r(colon + 1, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		struct kathara_device *w = kathara_device_find(c->lab, tok);

		if (!all_word(tok, strlen(tok)) || !w) {
			free(list);
			return fail(c, "device %s waits for \"%s\", which is not a device of this lab",
				    s, tok);
		}
		if (w == d) {
			free(list);
			return fail(c, "device %s waits for itself", s);
		}
		if (n < c->lab->ndevices)
			list[n++] = (size_t)(w - c->lab->devices);
	}
	if (!n) {
		free(list);
		return fail(c, "device %s: no device to wait for after ':'", s);
	}
	list[n] = (size_t)-1;
	free(dp->deps[i]);	/* a later line for the same device replaces it, as in Kathará */
	dp->deps[i] = list;
	dp->lines[i] = c->line;
	return 0;
}

int kathara_parse_dep(const char *text, size_t len, const char *where, struct kathara_lab *lab,
		      struct lab_error **err)
{
	size_t n = lab->ndevices, placed = 0;
	size_t **deps = calloc(n + 1, sizeof(*deps));
	_cleanup_free_ unsigned *lines = calloc(n + 1, sizeof(*lines));
	_cleanup_free_ bool *done = calloc(n + 1, sizeof(*done));
	_cleanup_free_ size_t *order = calloc(n + 1, sizeof(*order));
	struct dep dp = { .c = { .where = where, .lab = lab, .err = err }, .deps = deps,
			  .lines = lines };
	int r = -1;

	if (!deps || !lines || !done || !order) {
		free(deps);
		return lab_err(err, ENOMEM, "%s", where);
	}
	if (each_line(text, len, &dp.c, dep_line) < 0)
		goto out;
	/* Kahn's algorithm, always taking the first ready device in lab.conf order */
	while (placed < n) {
		size_t i;

		for (i = 0; i < n; i++) {
			bool ready = !done[i];

			for (size_t k = 0; ready && deps[i] && deps[i][k] != (size_t)-1; k++)
				ready = done[deps[i][k]];
			if (ready)
				break;
		}
		if (i == n) {
			for (i = 0; i < n && (done[i] || !deps[i]); i++)
				;
			lab_err_usage(err, "%s:%u: device %s: its dependencies form a loop", where,
				i < n ? lines[i] : 1, i < n ? lab->devices[i].name : "?");
			goto out;
		}
		done[i] = true;
		order[placed++] = i;
	}
	free(lab->order);
	lab->order = TAKE_PTR(order);
	for (size_t i = 0; lab->deps && i < lab->ndeps; i++)
		free(lab->deps[i]);
	free(lab->deps);
	lab->deps = TAKE_PTR(deps);
	lab->ndeps = n;
	r = 0;
out:
	for (size_t i = 0; deps && i < n; i++)
		free(deps[i]);
	free(deps);
	return r;
}
