/* netlab graph: the DOT text of a lab (no root needed) and pictures of real labs drawn by Graphviz. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/graph.h"
#include "helpers.h"

static struct run r;
static char lab_name[16];

/* A two-segment plan by hand: h1 on a, r1 on a and b (a router), h2 on b, e1 empty. */
static void plan(struct lab *lab, struct lab_host hosts[4], struct lab_segment segs[2])
{
	memset(lab, 0, sizeof(*lab));
	memset(hosts, 0, 4 * sizeof(*hosts));
	memset(segs, 0, 2 * sizeof(*segs));
	snprintf(lab->name, sizeof(lab->name), "pic");
	lab->nsegs = 2;
	lab->segs = segs;
	lab->nhosts = 4;
	lab->hosts = hosts;
	for (int g = 0; g < 2; g++) {
		snprintf(segs[g].name, sizeof(segs[g].name), "%s", g ? "beta" : "alpha");
		segs[g].subnet.addr = 0x0a4d0000u | (uint32_t)(g + 1) << 8;	/* 10.77.g+1.0 */
		segs[g].subnet.prefix = 24;
	}
	snprintf(hosts[0].name, sizeof(hosts[0].name), "h1");
	snprintf(hosts[1].name, sizeof(hosts[1].name), "r1");
	snprintf(hosts[2].name, sizeof(hosts[2].name), "h2");
	snprintf(hosts[3].name, sizeof(hosts[3].name), "e1");
	hosts[1].router = true;
	for (int i = 0; i < 3; i++) {
		hosts[i].networked = true;
		hosts[i].nifaces = i == 1 ? 2 : 1;
		for (size_t k = 0; k < hosts[i].nifaces; k++) {
			struct lab_iface *x = &hosts[i].ifaces[k];

			snprintf(x->name, sizeof(x->name), "eth%u", (unsigned)k);
			x->seg = i == 2 || k == 1 ? 1 : 0;
			x->addr = segs[x->seg].subnet.addr | (uint32_t)(i + 1);
		}
	}
}

Test(graph, dot_names_every_host_segment_interface_and_address)
{
	struct lab_host hosts[4];
	struct lab_segment segs[2];
	struct lab_error *err = NULL;
	struct lab lab;
	char *dot = NULL;

	plan(&lab, hosts, segs);
	cr_assert_eq(graph_dot(&lab, NULL, &dot, &err), 0);
	for (const char *const *w = (const char *const[]){ "\"host:h1\"", "\"host:r1\"", "\"host:h2\"",
							  "\"host:e1\"", "\"seg:alpha\"", "\"seg:beta\"",
							  "10.77.1.0/24", "10.77.2.3/24", NULL };
	     *w; w++)
		cr_assert(strstr(dot, *w), "%s missing from:\n%s", *w, dot);
	cr_assert(strstr(dot, "\"host:r1\" [shape=octagon"), "a router is drawn as an octagon");
	cr_assert(strstr(dot, "\"host:h1\" [shape=box"), "a host is a box");
	cr_assert(strstr(dot, "empty netns"), "the control host is labelled");
	cr_assert_eq(count_lines(dot, " -- "), 4, "one edge per interface:\n%s", dot);
	free(dot);
}

/* Interface names come from inside hosts, where root is the student: quotes and escape sequences
 * must neither break the DOT text nor reach a terminal. */
Test(graph, a_hostile_interface_name_is_escaped)
{
	struct lab_host hosts[4];
	struct lab_segment segs[2];
	struct lab_host_info info[4];
	struct lab_error *err = NULL;
	struct lab lab;
	char *dot = NULL, svg[] = "/tmp/netlab-graph-XXXXXX.svg";
	int fd;

	plan(&lab, hosts, segs);
	memset(info, 0, sizeof(info));
	for (int i = 0; i < 4; i++)
		info[i].alive = true;
	/* h1's eth0 is found under the planned name, with live addresses a host chose */
	snprintf(info[0].ifs[0].name, sizeof(info[0].ifs[0].name), "eth0");
	snprintf(info[0].ifs[0].addrs, sizeof(info[0].ifs[0].addrs),
		 "10.77.1.1/24 \"];x\033]0;pwn\a/24 fe80::1/64");
	info[0].nifs = 1;
	cr_assert_eq(graph_dot(&lab, info, &dot, &err), 0);
	cr_assert_null(strchr(dot, '\033'), "no ESC byte in:\n%s", dot);
	cr_assert_null(strchr(dot, '\a'), "no BEL byte");
	cr_assert(strstr(dot, "\\\"];x?]0;pwn?/24"), "the quote is escaped:\n%s", dot);
	cr_assert_null(strstr(dot, "fe80::1"), "link-local addresses are left out");
	/* and Graphviz accepts it: the escaping kept the file well-formed */
	cr_assert_geq(fd = mkstemps(svg, 4), 0);
	close(fd);
	cr_assert_eq(graph_render(dot, "svg", svg, &err), 0, "%s", err ? err->msg : "");
	unlink(svg);
	free(dot);
}

/* A Kathará lab's plan has no address and calls every device a router (Kathará's forwarding on):
 * the picture shows each interface's live addresses, each segment's live subnets, and as routers
 * the devices that forward between two interfaces, not a PC that forwards on its one. */
Test(graph, a_kathara_lab_is_drawn_as_it_is_live)
{
	struct lab_host hosts[4];
	struct lab_segment segs[2];
	struct lab_host_info info[4];
	struct lab_error *err = NULL;
	struct lab lab;
	char *dot = NULL;
	const char *live[3][2] = { { "192.168.10.11/24 fe80::1/64", NULL },
				   { "192.168.10.1/24", "192.168.20.1/24 2001:db8:b::1/64" },
				   { "192.168.20.22/24", NULL } };

	plan(&lab, hosts, segs);
	memset(info, 0, sizeof(info));
	for (int g = 0; g < 2; g++) {
		memset(&segs[g].subnet, 0, sizeof(segs[g].subnet));
		segs[g].noaddr = true;
	}
	for (int i = 0; i < 4; i++) {
		info[i].alive = true;
		info[i].forwarding4 = 1;
		info[i].forwarding6 = 0;
		hosts[i].router = hosts[i].networked;	/* as kathara_up plans every device */
		for (size_t k = 0; i < 3 && k < hosts[i].nifaces; k++) {
			struct lab_if_info *f = &info[i].ifs[info[i].nifs++];

			hosts[i].ifaces[k].addr = 0;
			snprintf(f->name, sizeof(f->name), "%s", hosts[i].ifaces[k].name);
			snprintf(f->addrs, sizeof(f->addrs), "%s", live[i][k]);
			f->up = true;
		}
	}
	cr_assert_eq(graph_dot(&lab, info, &dot, &err), 0);
	for (const char *const *w = (const char *const[]){ "eth0\\n192.168.10.11/24",
							  "eth1\\n192.168.20.1/24\\n2001:db8:b::1/64",
							  "alpha\\n192.168.10.0/24\"",
							  "beta\\n192.168.20.0/24\\n2001:db8:b::/64\"", NULL };
	     *w; w++)
		cr_assert(strstr(dot, *w), "%s missing from:\n%s", *w, dot);
	cr_assert_null(strstr(dot, "(its own)"), "live addresses, not the plan's:\n%s", dot);
	cr_assert(strstr(dot, "\"host:r1\" [shape=octagon"), "r1 routes between two:\n%s", dot);
	cr_assert(strstr(dot, "\"host:h1\" [shape=box"), "h1 forwards on one interface:\n%s", dot);
	cr_assert(strstr(dot, "\"host:h2\" [shape=box"), "%s", dot);
	free(dot);
}

Test(graph, format_from_the_file_name)
{
	cr_assert_str_eq(graph_format_of("lab.svg"), "svg");
	cr_assert_str_eq(graph_format_of("x/LAB.PNG"), "png");
	cr_assert_str_eq(graph_format_of("lab.gv"), "dot");
	cr_assert_null(graph_format_of("lab.pdf"));
	cr_assert_null(graph_format_of("dir.svg/lab"));
}

static void take_down(void)
{
	if (lab_name[0])
		lab_down_quiet(lab_name);
}

/* Every example, up for real, drawn as SVG by `netlab graph`: the picture names all its hosts and
 * segments, with the live addresses. */
static void draw_example(const char *file, const char *prefix, const char *const *names)
{
	char svg[64], path[64];
	FILE *f;
	static char text[1 << 18];
	size_t n;

	snprintf(lab_name, sizeof(lab_name), "%s%d", prefix, (int)(getpid() % 10000));
	cr_assert_eq(nl(&r, "up", "-f", file, "-n", lab_name, "-q", NULL), 0, "%s", r.err);
	snprintf(svg, sizeof(svg), "/tmp/%s.svg", lab_name);
	cr_assert_eq(nl(&r, "graph", lab_name, "-o", svg, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "wrote "), "%s", r.out);
	cr_assert_not_null(f = fopen(svg, "r"));
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(svg);
	cr_assert(strstr(text, "<svg"), "an SVG file");
	for (; *names; names++) {
		snprintf(path, sizeof(path), ">%s<", *names);
		cr_assert(strstr(text, path), "%s is not in the picture of %s", *names, file);
	}
	cr_assert(strstr(text, ">10.7"), "addresses are drawn");
	/* DOT on stdout, for any other tool */
	cr_assert_eq(nl(&r, "graph", lab_name, NULL), 0, "%s", r.err);
	cr_assert(strncmp(r.out, "graph ", 6) == 0, "%s", r.out);
}

Test(graph_lab, the_chain_example, .timeout = 60, .fini = take_down)
{
	draw_example("examples/chain.yaml", "gch",
		     (const char *const[]){ "h1", "r1", "r2", "r3", "h2", "net1", "net2", "net3",
					    "net4", NULL });
}

Test(graph_lab, the_star_example, .timeout = 60, .fini = take_down)
{
	draw_example("examples/star.yaml", "gst", (const char *const[]){ "core", "router", "a1", "a2", "b1", "b2", "c1", "c2", "a", "b",
					    "c", NULL });
}

Test(graph_lab, the_two_subnets_example, .timeout = 60, .fini = take_down)
{
	draw_example("examples/two-subnets.yaml", "gtw", (const char *const[]){ "h1", "r1", "h2", "lan1", "lan2", NULL });
}

/* tests/kathara/static up for real: the DOT text has the addresses the startup files gave, and
 * draws r1 (two LANs) as the one router; the SVG names every device and collision domain. */
Test(graph_lab, a_kathara_lab_with_its_live_addresses, .timeout = 60, .fini = take_down)
{
	snprintf(lab_name, sizeof(lab_name), "gka%d", (int)(getpid() % 10000));
	cr_assert_eq(nl(&r, "up", "tests/kathara/static", "--name", lab_name, "-q", NULL), 0, "%s",
		     r.err);
	cr_assert_eq(nl(&r, "graph", lab_name, NULL), 0, "%s", r.err);
	for (const char *const *w = (const char *const[]){ "eth0\\n192.168.10.1/24",
							  "eth1\\n192.168.20.1/24",
							  "eth0\\n192.168.10.11/24",
							  "eth0\\n192.168.20.22/24",
							  "\"A\\n192.168.10.0/24\"", NULL };
	     *w; w++)
		cr_assert(strstr(r.out, *w), "%s missing from:\n%s", *w, r.out);
	cr_assert(strstr(r.out, "\"host:r1\" [shape=octagon"), "%s", r.out);
	cr_assert(strstr(r.out, "\"host:pc1\" [shape=box"), "%s", r.out);
	cr_assert(strstr(r.out, "\"host:pc2\" [shape=box"), "%s", r.out);
	take_down();
	lab_name[0] = '\0';
}

Test(graph_lab, a_plain_lab_and_usage_errors, .timeout = 60, .fini = take_down)
{
	lab_up_unique(lab_name, "gpl", "2", "1");
	cr_assert_eq(nl(&r, "graph", lab_name, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"host:h1\"") && strstr(r.out, "\"host:h2\"") &&
		  strstr(r.out, "\"host:e1\""), "%s", r.out);
	cr_assert_eq(nl(&r, "graph", lab_name, "-o", "/tmp/x.pdf", NULL), 2);
	cr_assert(strstr(r.err, ".svg, .png or .dot"), "%s", r.err);
	cr_assert_eq(nl(&r, "graph", "nosuch", NULL), 1, "a lab that is not up");
	cr_assert(strstr(r.err, "nosuch"), "%s", r.err);
}
