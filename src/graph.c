#include "graph.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <graphviz/gvc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "ipv4.h"
#include "ipv6.h"

/* A DOT string: quotes and backslashes escaped; a control byte (a host may name an interface with
 * escape sequences) shown as '?', so nothing a host made reaches a terminal or breaks the file. */
static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);	/* a line break in a label */
		else
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
	}
	fputc('"', f);
}

/* The addresses worth drawing from a live "a/p b/p fe80::x/64" list: all but link-local. */
static void live_addrs(const char *in, char *out, size_t len)
{
	char buf[256], *save = NULL;
	size_t used = 0;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", in);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		int n;

		if (!strncmp(t, "fe80:", 5))
			continue;
		n = snprintf(out + used, len - used, "%s%s", used ? "\n" : "", t);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static void planned_addrs(const struct lab *lab, const struct lab_iface *x, char *out, size_t len)
{
	char a[IPV6_TEXT];
	int n;

	if (lab->segs[x->seg].noaddr) {
		snprintf(out, len, "(its own)");
		return;
	}
	n = snprintf(out, len, "%s/%d", ipv4_fmt(x->addr, a, sizeof(a)),
		     lab->segs[x->seg].subnet.prefix);

	if (!ipv6_is_zero(x->addr6) && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "\n%s/64", ipv6_fmt(x->addr6, a, sizeof(a)));
}

/* "a/p": the network of an address the host has (a/p, text made inside the host), into out;
 * false when it is not an address. */
static bool net_of(const char *word, char *out, size_t len)
{
	char a[IPV6_TEXT + 8], txt[INET6_ADDRSTRLEN], *slash;
	unsigned char bin[16];
	int prefix, fam, bits;

	snprintf(a, sizeof(a), "%s", word);
	if (!(slash = strchr(a, '/')) || sscanf(slash + 1, "%d", &prefix) != 1)
		return false;
	*slash = '\0';
	fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	bits = fam == AF_INET6 ? 128 : 32;
	if (prefix < 0 || prefix > bits || inet_pton(fam, a, bin) != 1)
		return false;
	for (int b = prefix; b < bits; b++)
		bin[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
	if (!inet_ntop(fam, bin, txt, sizeof(txt)))
		return false;
	return snprintf(out, len, "%s/%d", txt, prefix) < (int)len;
}

/* Is word one of the lines of text? */
static bool has_line(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = text; (p = strstr(p, word)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

/* [kathara] The subnets of a segment without netlab's addresses, as its hosts have them now:
 * the networks of their interfaces' addresses on it (link-local left out), each once, one a line. */
static void live_subnets(const struct lab *lab, const struct lab_host_info *info, size_t g,
			 char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; info && i < lab->nhosts; i++)
		for (size_t k = 0; k < lab->hosts[i].nifaces; k++) {
			const struct lab_iface *x = &lab->hosts[i].ifaces[k];
			const struct lab_if_info *live =
				info[i].alive ? lab_if_info_find(&info[i], x->name) : NULL;
			char buf[sizeof(live->addrs)], *save = NULL, net[INET6_ADDRSTRLEN + 8];

			if (x->seg != g || !live)
				continue;
			snprintf(buf, sizeof(buf), "%s", live->addrs);
			for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
				int n;

				if (!strncmp(t, "fe80:", 5) || !net_of(t, net, sizeof(net)))
					continue;
				if (has_line(out, net))
					continue;
				n = snprintf(out + used, len - used, "%s%s", used ? "\n" : "", net);
				if (n < 0 || (size_t)n >= len - used) {
					out[used] = '\0';
					return;
				}
				used += (size_t)n;
			}
		}
}

static void segment_node(FILE *f, const struct lab *lab, const struct lab_host_info *info, size_t i)
{
	const struct lab_segment *g = &lab->segs[i];
	char label[320], net[20], net6[IPV6_TEXT + 4], id[48], live[256] = "";

	if (g->noaddr)
		live_subnets(lab, info, i, live, sizeof(live));
	snprintf(id, sizeof(id), "seg:%s", g->name);
	snprintf(label, sizeof(label), "%s\n%s%s%s", g->name,
		 !g->noaddr ? ipv4_fmt_net(&g->subnet, net, sizeof(net))
		 : live[0] ? live : "(no addresses of netlab's)",
		 g->has6 ? "\n" : "", g->has6 ? ipv6_fmt_net(&g->subnet6, net6, sizeof(net6)) : "");
	fputs("  ", f);
	dot_str(f, id);
	fputs(" [shape=ellipse, style=filled, fillcolor=\"#e8eef7\", label=", f);
	dot_str(f, label);
	fputs("];\n", f);
}

static void host_node(FILE *f, const struct lab *lab, const struct lab_host *h,
		      const struct lab_host_info *in)
{
	char id[48], label[96];
	bool dead = in && !in->alive, router = h->networked && lab_host_is_router(lab, h, in);

	snprintf(id, sizeof(id), "host:%s", h->name);
	snprintf(label, sizeof(label), "%s%s%s", h->name,
		 router ? "\nrouter" : !h->networked ? "\nempty netns" : "", dead ? "\n(dead)" : "");
	fputs("  ", f);
	dot_str(f, id);
	/* routers are drawn as octagons, filled; hosts as boxes */
	fprintf(f, " [shape=%s, style=\"%s%s\", fillcolor=\"#fde9c9\", label=", router ? "octagon" : "box",
		router ? "filled" : "rounded", dead || !h->networked ? ",dashed" : "");
	dot_str(f, label);
	fputs("];\n", f);
}

static void iface_edge(FILE *f, const struct lab *lab, const struct lab_host *h,
		       const struct lab_iface *x, const struct lab_host_info *in)
{
	const struct lab_if_info *live = in && in->alive ? lab_if_info_find(in, x->name) : NULL;
	char id[48], addrs[256], label[384];
	const char *shaping = live ? live->shaping : "";

	if (live)
		live_addrs(live->addrs, addrs, sizeof(addrs));
	else
		planned_addrs(lab, x, addrs, sizeof(addrs));
	snprintf(label, sizeof(label), "%s%s%s%s%s", x->name, addrs[0] ? "\n" : "", addrs,
		 shaping[0] ? "\n" : "", shaping);
	snprintf(id, sizeof(id), "host:%s", h->name);
	fputs("  ", f);
	dot_str(f, id);
	fputs(" -- ", f);
	snprintf(id, sizeof(id), "seg:%s", lab->segs[x->seg].name);
	dot_str(f, id);
	/* a shaped link is drawn red and thick, its shaping in the label */
	fprintf(f, " [%slabel=", shaping[0] ? "color=\"#c0392b\", penwidth=2.5, " : "");
	dot_str(f, label);
	fputs("];\n", f);
}

int graph_dot(const struct lab *lab, const struct lab_host_info *info, char **out,
	      struct lab_error **err)
{
	char *text = NULL, title[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return lab_err(err, errno, "graph of lab %s", lab->name);
	snprintf(title, sizeof(title), "lab %s", lab->name);
	fputs("graph ", f);
	dot_str(f, lab->name);
	fputs(" {\n  graph [overlap=false, splines=true, fontname=\"Helvetica\", labelloc=t, label=", f);
	dot_str(f, title);
	fputs("];\n  node [fontname=\"Helvetica\", fontsize=11];\n"
	      "  edge [fontname=\"Helvetica\", fontsize=9, len=1.6];\n", f);
	for (size_t g = 0; g < lab->nsegs; g++)
		segment_node(f, lab, info, g);
	for (size_t i = 0; i < lab->nhosts; i++)
		host_node(f, lab, &lab->hosts[i], info ? &info[i] : NULL);
	for (size_t i = 0; i < lab->nhosts; i++)
		for (size_t k = 0; k < lab->hosts[i].nifaces; k++)
			iface_edge(f, lab, &lab->hosts[i], &lab->hosts[i].ifaces[k],
				   info ? &info[i] : NULL);
	fputs("}\n", f);
	if (fclose(f) != 0 || !text) {
		free(text);
		return lab_err(err, ENOMEM, "graph of lab %s", lab->name);
	}
	*out = text;
	return 0;
}

const char *graph_format_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return NULL;
	if (!strcasecmp(dot, ".svg"))
		return "svg";
	if (!strcasecmp(dot, ".png"))
		return "png";
	if (!strcasecmp(dot, ".dot") || !strcasecmp(dot, ".gv"))
		return "dot";
	return NULL;
}

/* libgvc's entry points, found at run time (graph_render's comment says why). */
struct gvc_api {
	void *lib;
	__typeof__(gvContext) *context;
	__typeof__(gvFreeContext) *free_context;
	__typeof__(gvLayout) *layout;
	__typeof__(gvFreeLayout) *free_layout;
	__typeof__(gvRenderFilename) *render_filename;
	__typeof__(agmemread) *memread;
	__typeof__(agclose) *close;
};

static int gvc_load(struct gvc_api *api, struct lab_error **err)
{
	static const char *const names[] = { "gvContext", "gvFreeContext", "gvLayout", "gvFreeLayout",
					     "gvRenderFilename", "agmemread", "agclose" };
	void **slots[] = { (void **)&api->context, (void **)&api->free_context,
			   (void **)&api->layout, (void **)&api->free_layout,
			   (void **)&api->render_filename, (void **)&api->memread,
			   (void **)&api->close };

	/* libgvc pulls in libcgraph; dlsym on its handle finds agmemread there too */
	api->lib = dlopen("libgvc.so.6", RTLD_NOW | RTLD_LOCAL);
	if (!api->lib)
		return lab_err(err, 0, "Graphviz's library cannot be loaded (%s): install the Debian "
				       "package libgvc6, or write DOT text (no -o, or -o FILE.dot) and "
				       "draw it elsewhere", dlerror());
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!(*slots[i] = dlsym(api->lib, names[i]))) {
			lab_err(err, 0, "Graphviz's library has no %s (a version other than 6?)",
				names[i]);
			dlclose(api->lib);
			return -1;
		}
	return 0;
}

int graph_render(const char *dot, const char *format, const char *path, struct lab_error **err)
{
	struct gvc_api api;
	char tmp[4096];
	GVC_t *gvc;
	Agraph_t *g;
	int r = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.netlab-tmp", path) >= (int)sizeof(tmp))
		return lab_err(err, ENAMETOOLONG, "%s", path);
	/* can we write there at all? Graphviz would say so in its own words, with our temporary
	 * name, and still return 0 */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return lab_err(err, errno, "cannot write %s", path);
	close(fd);
	unlink(tmp);
	if (gvc_load(&api, err) < 0)
		return -1;
	if (!(gvc = api.context())) {
		lab_err(err, ENOMEM, "Graphviz context");
		goto out_lib;
	}
	if (!(g = api.memread(dot))) {
		lab_err(err, 0, "Graphviz could not read the lab's DOT text (a bug: please report it)");
		goto out_gvc;
	}
	if (api.layout(gvc, g, "neato") != 0) {
		lab_err(err, 0, "Graphviz could not lay the lab out (is its neato plugin installed? "
				"run 'dot -c' as root to register plugins)");
		goto out_graph;
	}
	/* written beside the target and renamed: never a half-written picture under its name */
	if (api.render_filename(gvc, g, format, tmp) != 0) {
		lab_err(err, 0, "Graphviz could not write %s as %s (no %s renderer installed?)", path,
			format, format);
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		lab_err(err, errno, "rename %s to %s", tmp, path);
		unlink(tmp);
	} else {
		r = 0;
	}
	api.free_layout(gvc, g);
out_graph:
	api.close(g);
out_gvc:
	api.free_context(gvc);
out_lib:
	/* libgvc registers atexit handlers and plugins: unloading it is not safe, keep it */
	(void)api.lib;
	return r;
}
