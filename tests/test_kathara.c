/* Kathará lab directories: lab.conf and lab.dep as Kathará reads them (unit tests, no root). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/kathara.h"

static int conf(const char *text, struct kathara_lab *k, struct lab_error **err)
{
	return kathara_parse_conf(text, strlen(text), "lab.conf", k, err);
}

/* The error a text gives, or "" when it parses. */
static const char *conf_error(const char *text)
{
	static char msg[512];
	struct lab_error *err = NULL;
	struct kathara_lab k;

	msg[0] = '\0';
	if (conf(text, &k, &err) == 0) {
		kathara_lab_free(&k);
		return msg;
	}
	cr_assert_not_null(err, "a refusal says why");
	cr_assert_eq(err->errnum, 0, "a lab.conf mistake is the user's to fix: %s", err->msg);
	snprintf(msg, sizeof(msg), "%s", err->msg);
	lab_err_free(&err);
	return msg;
}

Test(kathara, devices_domains_and_options)
{
	const char *text = "# a course lab\n"
			   "LAB_DESCRIPTION=\"Static routing\"\n"
			   "LAB_AUTHOR='Roma Tre'\n"
			   "\n"
			   "r1[0]=\"A\"\n"
			   "r1[1]=\"B/02:42:ac:11:00:02\"\n"
			   "r1[image]=\"kathara/frr\"\n"
			   "r1[sysctl]=\"net.ipv4.ip_forward=1\"\n"
			   "r1[sysctl]=\"net.ipv4.ip_forward=0\"   # the last one wins\n"
			   "container_1_1_1[0]=A\n"
			   "container_1_1_1[ipv6]=false\n"
			   "container_1_1_1[exec]=\"ip route add default via 10.0.0.1\"\n"
			   "container_1_1_1[exec]='echo two'\n"
			   "container_1_1_1[num_terms]=0\n"
			   "  pc9[0]=\"C\"\r\n"
			   "pc9[bridged]=true\n"
			   "pc9[port]=\"8080:80/tcp\"\n"
			   "pc9[env]=\"GREETING=hello world\"\n";
	struct lab_error *err = NULL;
	struct kathara_lab k;
	struct kathara_device *r1, *c, *pc9;

	cr_assert_eq(conf(text, &k, &err), 0, "%s", err ? err->msg : "");
	cr_assert_str_eq(k.description, "Static routing");
	cr_assert_str_eq(k.author, "Roma Tre");
	cr_assert_eq(k.ndevices, 3);
	cr_assert_str_eq(k.devices[0].name, "r1", "devices keep lab.conf's order");
	r1 = kathara_device_find(&k, "r1");
	cr_assert_eq(r1->nifaces, 2);
	cr_assert_str_eq(r1->ifaces[0].domain, "A");
	cr_assert_not(r1->ifaces[0].has_mac);
	cr_assert_str_eq(r1->ifaces[1].domain, "B");
	cr_assert(r1->ifaces[1].has_mac);
	cr_assert_eq(r1->ifaces[1].mac[5], 0x02);
	cr_assert_eq(r1->ifaces[1].mac[2], 0xac);
	cr_assert_str_eq(r1->image, "kathara/frr");
	cr_assert_eq(r1->nsysctls, 1);
	cr_assert_str_eq(r1->sysctls[0].key, "net.ipv4.ip_forward");
	cr_assert_str_eq(r1->sysctls[0].value, "0");
	c = kathara_device_find(&k, "container_1_1_1");
	cr_assert_not_null(c, "Kathará's long device names with _ are devices");
	cr_assert_eq(c->ipv6, 0);
	cr_assert_eq(c->nexecs, 2);
	cr_assert_str_eq(c->execs[0], "ip route add default via 10.0.0.1");
	cr_assert_str_eq(c->execs[1], "echo two");
	cr_assert_eq(c->nunknown, 1);
	cr_assert_str_eq(c->unknown[0], "num_terms");
	pc9 = kathara_device_find(&k, "pc9");
	cr_assert_eq(pc9->ipv6, -1, "not given");
	cr_assert(pc9->bridged);
	cr_assert_eq(pc9->nports, 1);
	cr_assert_str_eq(pc9->ifaces[0].domain, "C", "blanks and a CR around the line go");
	cr_assert_str_eq(pc9->envs[0].key, "GREETING");
	cr_assert_str_eq(pc9->envs[0].value, "hello world");
	kathara_lab_free(&k);
}

Test(kathara, errors_name_file_and_line)
{
	cr_assert(strstr(conf_error("r1[0]=A\nthis is not a line\n"), "lab.conf:2: expected"));
	cr_assert(strstr(conf_error("R1[0]=A\n"), "lab.conf:1: device name \"R1\""),
		  "Kathará device names are lower case");
	cr_assert(strstr(conf_error("r1[0]=A\nr2[0]=A\nr1[2]=B\n"), "lab.conf:3: device r1: eth2 is "
		  "given but eth1 is missing"), "interfaces are numbered without gaps; the line is the one past the gap");
	cr_assert(strstr(conf_error("r1[0]=A\nr1[0]=B\n"), "lab.conf:2: device r1: eth0 is "
								  "already on collision domain A"));
	cr_assert(strstr(conf_error("r1[0]=\"A.B\"\n"), "collision domain \"A.B\""));
	cr_assert(strstr(conf_error("r1[0]=\"A/zz:00:00:00:00:00\"\n"), "not a MAC address"));
	cr_assert(strstr(conf_error("r1[0]=\"A/01:00:00:00:00:00\"\n"), "multicast"));
	cr_assert(strstr(conf_error("r1[sysctl]=\"kernel.pid_max=5\"\n"), "net. namespace"));
	cr_assert(strstr(conf_error("r1[bridged]=maybe\n"), "expected true or false"));
	cr_assert(strstr(conf_error("shared[0]=A\n"), "reserved name"));
	cr_assert(strstr(conf_error("r1[0]=\"A\n"), "no closing \""));
	cr_assert(strstr(conf_error("r1[0]=\"A\" B\n"), "unexpected text"));
	cr_assert(strstr(conf_error("r1[0]=\n"), "has no value"));
	cr_assert(strstr(conf_error("r1[99]=A\n"), "at most 64 interfaces"));
	cr_assert_str_eq(conf_error("# only a comment\n\n   # indented comment\n"), "");
}

Test(kathara, nul_byte_is_refused)
{
	static const char text[] = "r1[0]=A\nr2\0[0]=A\n";
	struct lab_error *err = NULL;
	struct kathara_lab k;

	cr_assert_lt(kathara_parse_conf(text, sizeof(text) - 1, "lab.conf", &k, &err), 0);
	cr_assert(strstr(err->msg, "lab.conf:2: a NUL byte"), "%s", err->msg);
	lab_err_free(&err);
}

static int dep(struct kathara_lab *k, const char *text, struct lab_error **err)
{
	return kathara_parse_dep(text, strlen(text), "lab.dep", k, err);
}

Test(kathara, lab_dep_orders_startups)
{
	struct lab_error *err = NULL;
	struct kathara_lab k;

	cr_assert_eq(conf("pc1[0]=A\npc2[0]=A\nr1[0]=A\nr2[0]=A\n", &k, &err), 0);
	/* pc1 waits for r1 and r2, r2 for r1 */
	cr_assert_eq(dep(&k, "# order\npc1: r1 r2\nr2:r1\n", &err), 0, "%s", err ? err->msg : "");
	cr_assert_not_null(k.order);
	/* first ready in lab.conf order: pc2 (no deps), r1, then pc1 waits, r2, then pc1 */
	cr_assert_str_eq(k.devices[k.order[0]].name, "pc2");
	cr_assert_str_eq(k.devices[k.order[1]].name, "r1");
	cr_assert_str_eq(k.devices[k.order[2]].name, "r2");
	cr_assert_str_eq(k.devices[k.order[3]].name, "pc1");
	/* what each waits for, kept for up (lab.conf's indexes: pc1 0, pc2 1, r1 2, r2 3) */
	cr_assert_not_null(k.deps);
	cr_assert_null(k.deps[1], "pc2 waits for nothing");
	cr_assert(k.deps[0] && k.deps[0][0] == 2 && k.deps[0][1] == 3 && k.deps[0][2] == (size_t)-1);
	cr_assert(k.deps[3] && k.deps[3][0] == 2 && k.deps[3][1] == (size_t)-1);

	cr_assert_lt(dep(&k, "r1: r2\nr2: pc1\npc1: r1\n", &err), 0);
	cr_assert(strstr(err->msg, "form a loop"), "%s", err->msg);
	lab_err_free(&err);
	cr_assert_lt(dep(&k, "r1: r9\n", &err), 0);
	cr_assert(strstr(err->msg, "lab.dep:1: device r1 waits for \"r9\", which is not a device"),
		  "%s", err->msg);
	lab_err_free(&err);
	cr_assert_lt(dep(&k, "r1: r1\n", &err), 0);
	cr_assert(strstr(err->msg, "waits for itself"), "%s", err->msg);
	lab_err_free(&err);
	cr_assert_lt(dep(&k, "r1 r2\n", &err), 0);
	cr_assert(strstr(err->msg, "lab.dep:1: expected DEVICE: DEVICE"), "%s", err->msg);
	lab_err_free(&err);
	kathara_lab_free(&k);
}

Test(kathara, images_map_to_debian_packages)
{
	const char *why;

	cr_assert_str_eq(kathara_image_packages("kathara/frr", &why), "frr");
	cr_assert_null(why);
	cr_assert_str_eq(kathara_image_packages("kathara/bind:latest", &why), "bind9");
	cr_assert_null(kathara_image_packages("kathara/quagga", &why));
	cr_assert(why && strstr(why, "FRR"));
	cr_assert_null(kathara_image_packages("kathara/p4", &why));
	cr_assert_str_eq(kathara_image_packages("kathara/bind:9.11", &why), "bind9");
	cr_assert_str_eq(kathara_image_packages("kathara/sdn", &why), "openvswitch-switch");
	cr_assert_null(kathara_image_packages("kathara/pox", &why));
	cr_assert(why && strstr(why, "POX"));
	cr_assert_str_eq(kathara_image_packages("kathara/base", &why), "");
	cr_assert_str_eq(kathara_image_packages("someone/custom", &why), "");
}

static void touch(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "w"), "%s", path);
	fputs(text, f);
	fclose(f);
}

static void subdir(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
}

/* A lab directory: the devices are lab.conf's (as in Kathará: a P4 lab's images/ is no device);
 * which of their files exist is noted, and the rest is listed as strays. */
Test(kathara, load_dir_notes_files_and_refuses_lab_ext)
{
	char dir[] = "/tmp/netlab-kathara-XXXXXX", path[256];
	struct lab_error *err = NULL;
	struct kathara_lab k;
	struct kathara_device *r1, *pc1, *ws;

	cr_assert_not_null(mkdtemp(dir));
	touch(dir, "lab.conf", "r1[0]=A\npc1[0]=A\nws[image]=\"kathara/base\"\n");
	touch(dir, "r1.startup", "ip addr add 10.0.0.1/24 dev eth0\n");
	touch(dir, "r1.shutdown", "");
	touch(dir, "pc1.startup", "");
	touch(dir, "shared.startup", "");
	touch(dir, "dnsroot.startup", "");
	touch(dir, "notes.txt", "");
	subdir(dir, "r1");
	subdir(dir, "images");
	subdir(dir, "shared");
	subdir(dir, "Docs");
	touch(dir, "lab.dep", "r1: ws\n");

	cr_assert_eq(kathara_load_dir(dir, &k, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(k.ndevices, 3, "r1, pc1 and ws: lab.conf's devices only");
	r1 = kathara_device_find(&k, "r1");
	pc1 = kathara_device_find(&k, "pc1");
	ws = kathara_device_find(&k, "ws");
	cr_assert(r1->has_dir && r1->has_startup && r1->has_shutdown);
	cr_assert(!pc1->has_dir && pc1->has_startup && !pc1->has_shutdown);
	cr_assert(!ws->has_dir && !ws->has_startup);
	cr_assert_eq(ws->nifaces, 0, "a device with no interface is still a device");
	cr_assert(k.has_shared && k.has_shared_startup && !k.has_shared_shutdown);
	cr_assert_eq(k.nstrays, 2, "dnsroot.startup and images/ (Docs/ is no device name)");
	cr_assert_str_eq(k.strays[0], "dnsroot");
	cr_assert_str_eq(k.strays[1], "images");
	cr_assert_str_eq(k.devices[k.order[0]].name, "pc1");
	cr_assert_str_eq(k.devices[k.order[1]].name, "ws");
	cr_assert_str_eq(k.devices[k.order[2]].name, "r1");
	kathara_lab_free(&k);

	touch(dir, "lab.ext", "A enp0s3\n");
	cr_assert_lt(kathara_load_dir(dir, &k, &err), 0);
	cr_assert(strstr(err->msg, "lab.ext") && strstr(err->msg, "physical interfaces"), "%s",
		  err->msg);
	cr_assert_eq(err->kind, LAB_ERR_FAILURE, "a refusal (exit 1), not a usage error");
	lab_err_free(&err);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	cr_assert_eq(system(path), 0);
}

/* ------------------------------------------------------------------ the plan of `netlab up DIR` */

#include "../src/kathara_lab.h"

static struct kathara_plan plan;
static struct kathara_lab lab;

/* Parse text as lab.conf and plan it; the device files are as kathara_load_dir would note them. */
static void plan_of(const char *text, void (*files)(struct kathara_lab *))
{
	struct lab_error *err = NULL;

	cr_assert_eq(conf(text, &lab, &err), 0, "%s", err ? err->msg : "");
	if (files)
		files(&lab);
	cr_assert_eq(kathara_plan_make(&lab, &plan, &err), 0, "%s", err ? err->msg : "");
}

static void plan_done(void)
{
	kathara_plan_free(&plan);
	kathara_lab_free(&lab);
}

static const struct kathara_host *host(const char *name)
{
	for (size_t i = 0; i < plan.nhosts; i++)
		if (!strcmp(plan.hosts[i].name, name))
			return &plan.hosts[i];
	cr_assert_fail("no host %s in the plan", name);
	return NULL;
}

/* The value a host's sysctls leave for key (the last one wins), or NULL. */
static const char *sysctl_of(const struct kathara_host *h, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < h->nsysctls; i++)
		if (!strcmp(h->sysctls[i].key, key))
			v = h->sysctls[i].value;
	return v;
}

static void ospf_files(struct kathara_lab *k)
{
	for (size_t i = 0; i < k->ndevices; i++) {
		k->devices[i].has_startup = true;
		k->devices[i].has_dir = k->devices[i].name[0] == 'r';
	}
	kathara_device_find(k, "r1")->has_shutdown = true;
	k->has_shared = k->has_shared_startup = true;
}

Test(kathara, plan_maps_domains_devices_and_startups, .fini = plan_done)
{
	const struct kathara_host *r1, *pc1;

	plan_of("r1[0]=A\nr1[1]=\"B/02:00:00:00:00:0b\"\nr1[image]=\"kathara/frr\"\n"
		"r1[exec]=\"echo ready\"\n"
		"pc1[0]=A\npc1[env]=\"GREETING=hi\"\npc1[mem]=256m\n"
		"r2[0]=b\nr2[1]=B\n",
		ospf_files);
	cr_assert_eq(plan.nsegs, 3);
	cr_assert_str_eq(plan.segs[0].domain, "A");
	cr_assert_str_eq(plan.segs[0].name, "A", "a domain is a segment name as it is");
	cr_assert_eq(plan.segs[0].nports, 2);
	cr_assert_str_eq(plan.segs[1].domain, "B");
	cr_assert_str_eq(plan.segs[2].domain, "b", "Kathará's domains are case-sensitive");
	cr_assert_str_eq(plan.segs[1].name, "B", "segment names keep their case: B and b are two");
	cr_assert_str_eq(plan.segs[2].name, "b");
	cr_assert(plan.shared);

	cr_assert_eq(plan.nhosts, 3);
	r1 = host("r1");
	cr_assert_eq(r1->nports, 2);
	cr_assert_eq(r1->ports[0].seg, 0);
	cr_assert_not(r1->ports[0].has_mac);
	cr_assert_eq(r1->ports[1].seg, 1);
	cr_assert(r1->ports[1].has_mac);
	cr_assert_eq(r1->ports[1].mac[5], 0x0b);
	cr_assert_str_eq(r1->image, "kathara/frr");
	cr_assert_str_eq(r1->packages, "frr");
	cr_assert_not(r1->ipv6, "IPv6 is off unless [ipv6] says so, as Kathará's default");

	/* every device forwards, with Kathará's defaults */
	cr_assert_str_eq(sysctl_of(r1, "net.ipv4.ip_forward"), "1");
	cr_assert_str_eq(sysctl_of(r1, "net.ipv4.conf.all.rp_filter"), "0");
	cr_assert_str_eq(sysctl_of(r1, "net.ipv4.conf.eth1.rp_filter"), "0");
	cr_assert_str_eq(sysctl_of(r1, "net.ipv6.conf.all.disable_ipv6"), "1");
	cr_assert_null(sysctl_of(r1, "net.ipv4.conf.eth2.rp_filter"), "r1 has two interfaces");
	for (size_t i = 0; i < r1->nsysctls; i++)
		cr_assert(!strncmp(r1->sysctls[i].key, "net.", 4), "%s", r1->sysctls[i].key);

	/* its directory over /, its files in /hostlab, then: prepare, shared, own startup, [exec] */
	cr_assert_eq(r1->ncopies, 4);
	cr_assert_str_eq(r1->copies[0].src, "r1");
	cr_assert_str_eq(r1->copies[0].dst, "/");
	cr_assert(r1->copies[0].tree);
	cr_assert_str_eq(r1->copies[1].dst, "/hostlab/shared.startup");
	cr_assert_str_eq(r1->copies[2].src, "r1.startup");
	cr_assert_str_eq(r1->copies[2].dst, "/hostlab/r1.startup");
	cr_assert_str_eq(r1->copies[3].dst, "/hostlab/r1.shutdown");
	cr_assert_eq(r1->nstartup, 4);
	cr_assert_str_eq(r1->startup[0].label, "prepare");
	cr_assert(strstr(r1->startup[0].command, "chown -R frr:frr /etc/frr"));
	cr_assert_str_eq(r1->startup[1].command, "/bin/bash -x /hostlab/shared.startup");
	cr_assert_str_eq(r1->startup[1].log, "/var/log/shared.log");
	cr_assert_str_eq(r1->startup[2].label, "r1.startup");
	cr_assert_str_eq(r1->startup[2].command, "/bin/bash -x /hostlab/r1.startup");
	cr_assert_str_eq(r1->startup[3].label, "[exec] 1");
	cr_assert_str_eq(r1->startup[3].command, "echo ready");
	cr_assert_eq(r1->nshutdown, 1);
	cr_assert_str_eq(r1->shutdown[0].command, "/bin/bash /hostlab/r1.shutdown");

	pc1 = host("pc1");
	cr_assert_eq(pc1->ncopies, 2, "no directory: shared.startup and pc1.startup only");
	cr_assert_eq(pc1->nstartup, 2, "no prepare without a directory");
	cr_assert_eq(pc1->nshutdown, 0);
	cr_assert_eq(pc1->memory_max, 256ull << 20);
	cr_assert_str_eq(pc1->envs[0].key, "GREETING");
	cr_assert_str_eq(pc1->packages, "", "no image: nothing to check");
	cr_assert_eq(plan.nnotes, 0);
	cr_assert_eq(plan.nrefusals, 0);
}

Test(kathara, plan_ipv6_and_the_devices_sysctls_win, .fini = plan_done)
{
	const struct kathara_host *pc1;

	plan_of("pc1[0]=\"A/02:00:00:00:0a:01\"\npc1[ipv6]=true\n"
		"pc1[sysctl]=\"net.ipv6.conf.eth0.accept_ra=2\"\n"
		"pc1[sysctl]=\"net.ipv4.ip_forward=0\"\n",
		NULL);
	pc1 = host("pc1");
	cr_assert(pc1->ipv6);
	cr_assert_str_eq(sysctl_of(pc1, "net.ipv6.conf.all.disable_ipv6"), "0");
	cr_assert_str_eq(sysctl_of(pc1, "net.ipv6.conf.all.forwarding"), "1");
	cr_assert_str_eq(sysctl_of(pc1, "net.ipv6.conf.eth0.forwarding"), "1");
	cr_assert_str_eq(sysctl_of(pc1, "net.ipv6.conf.eth0.accept_ra"), "2");
	cr_assert_str_eq(sysctl_of(pc1, "net.ipv4.ip_forward"), "0", "the device's own comes last");
	cr_assert_eq(pc1->nstartup, 0, "no startup file, no step");
}

Test(kathara, plan_follows_lab_dep, .fini = plan_done)
{
	struct lab_error *err = NULL;

	cr_assert_eq(conf("pc1[0]=LAN\nsrv[0]=LAN\n", &lab, &err), 0);
	cr_assert_eq(dep(&lab, "pc1: srv\n", &err), 0);
	cr_assert_eq(kathara_plan_make(&lab, &plan, &err), 0, "%s", err ? err->msg : "");
	cr_assert_str_eq(plan.hosts[0].name, "srv");
	cr_assert_eq(plan.hosts[0].device, 1);
	cr_assert_str_eq(plan.hosts[1].name, "pc1");
	cr_assert_str_eq(plan.segs[0].name, "LAN");
	/* pc1's startup waits for srv's, and srv's for nothing */
	cr_assert_eq(plan.hosts[0].nafter, 0);
	cr_assert_eq(plan.hosts[1].nafter, 1);
	cr_assert_eq(plan.hosts[1].after[0], 0);
}

static bool has_line(char **lines, size_t n, const char *a, const char *b)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], a) && (!b || strstr(lines[i], b)))
			return true;
	return false;
}

Test(kathara, plan_notes_what_it_ignores_and_refuses_what_debian_lacks, .fini = plan_done)
{
	plan_of("wireshark[0]=A\nwireshark[bridged]=true\nwireshark[port]=\"3000:3000/tcp\"\n"
		"wireshark[image]=\"lscr.io/linuxserver/wireshark\"\nwireshark[num_terms]=0\n"
		"r1[0]=A\nr1[image]=\"kathara/quagga\"\nr1[cpus]=0.5\nr1[privileged]=true\n"
		"p4[0]=A\np4[image]=\"kathara/p4\"\n",
		NULL);
	cr_assert(has_line(plan.notes, plan.nnotes, "device wireshark: [bridged] ignored",
			   "never leaves the lab"));
	cr_assert(has_line(plan.notes, plan.nnotes, "device wireshark: [port] ignored (1 line)",
			   NULL));
	cr_assert(has_line(plan.notes, plan.nnotes, "device wireshark: [num_terms] ignored",
			   "netlab shell"));
	cr_assert(has_line(plan.notes, plan.nnotes, "device r1: [cpus]=0.5 ignored", NULL));
	cr_assert(has_line(plan.notes, plan.nnotes, "device r1: [privileged] ignored", NULL));
	cr_assert_eq(plan.nnotes, 5);
	cr_assert_eq(plan.nrefusals, 2);
	cr_assert(has_line(plan.refusals, plan.nrefusals, "device r1: image kathara/quagga",
			   "FRR"));
	cr_assert(has_line(plan.refusals, plan.nrefusals, "device p4: image kathara/p4",
			   "bmv2"));
}

Test(kathara, plan_refuses_more_interfaces_than_a_host_has, .fini = plan_done)
{
	char text[1024];
	size_t len = 0;

	for (int i = 0; i < 10; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "r1[%d]=D%d\n", i, i);
	plan_of(text, NULL);
	cr_assert_eq(plan.nrefusals, 1);
	cr_assert(strstr(plan.refusals[0], "device r1: 10 interfaces; a netlab host has at most"),
		  "%s", plan.refusals[0]);
}

Test(kathara, plan_refuses_a_mem_that_is_no_size)
{
	struct lab_error *err = NULL;
	struct kathara_lab k;
	struct kathara_plan p;

	cr_assert_eq(conf("r1[0]=A\nr1[mem]=lots\n", &k, &err), 0);
	cr_assert_lt(kathara_plan_make(&k, &p, &err), 0);
	cr_assert(strstr(err->msg, "device r1: [mem]=lots"), "%s", err->msg);
	cr_assert_eq(err->errnum, 0, "the user's to fix");
	cr_assert_eq(p.nhosts, 0, "left empty");
	lab_err_free(&err);
	kathara_lab_free(&k);
}

static bool installed_but_frr(const char *package, void *arg)
{
	(*(int *)arg)++;
	return strcmp(package, "frr") != 0;
}

Test(kathara, plan_names_the_missing_packages, .fini = plan_done)
{
	struct lab_error *err = NULL;
	char **lines;
	size_t n;
	int asked = 0;

	plan_of("r1[0]=A\nr1[image]=kathara/frr\nns[0]=A\nns[image]=\"kathara/bind:9.11\"\n"
		"r2[0]=A\nr2[image]=\"kathara/frr:latest\"\npc[0]=A\n",
		NULL);
	cr_assert_eq(kathara_plan_missing(&plan, installed_but_frr, &asked, &lines, &n, &err), 0);
	cr_assert_eq(asked, 2, "frr and bind9, each asked once");
	cr_assert_eq(n, 1);
	cr_assert_str_eq(lines[0], "frr (image kathara/frr of r1, r2)");
	free(lines[0]);
	free(lines);
}

/* The labs of tests/kathara, as netlab's own tests run them: each loads and plans cleanly. */
Test(kathara, own_test_labs_load_and_plan)
{
	static const struct {
		const char *dir;
		size_t devices, segs;
		const char *first;	/* first host in startup order */
	} labs[] = {
		{ "tests/kathara/static", 3, 2, "r1" },	 { "tests/kathara/ifconfig", 3, 2, "r1" },
		{ "tests/kathara/ospf", 5, 5, "r1" },	 { "tests/kathara/web", 2, 1, "server" },
		{ "tests/kathara/dns", 4, 1, "rootns" }, { "tests/kathara/ipv6", 3, 2, "r1" },
		{ "tests/kathara/dep", 2, 1, "srv" },	 { "tests/kathara/par", 3, 1, "a" },
	};

	for (size_t i = 0; i < sizeof(labs) / sizeof(*labs); i++) {
		struct lab_error *err = NULL;
		struct kathara_lab k;
		struct kathara_plan p;

		cr_assert_eq(kathara_load_dir(labs[i].dir, &k, &err), 0, "%s", err ? err->msg : "");
		cr_assert_eq(k.ndevices, labs[i].devices, "%s", labs[i].dir);
		cr_assert_eq(k.nstrays, 0, "%s: %s", labs[i].dir, k.nstrays ? k.strays[0] : "");
		cr_assert_eq(kathara_plan_make(&k, &p, &err), 0, "%s", err ? err->msg : "");
		cr_assert_eq(p.nsegs, labs[i].segs, "%s", labs[i].dir);
		cr_assert_str_eq(p.hosts[0].name, labs[i].first, "%s", labs[i].dir);
		cr_assert_eq(p.nrefusals, 0, "%s: %s", labs[i].dir, p.nrefusals ? p.refusals[0] : "");
		for (size_t h = 0; h < p.nhosts; h++)
			cr_assert(p.hosts[h].nstartup > 0 || !strcmp(labs[i].dir, "tests/kathara/ipv6"),
				  "%s: %s has no startup", labs[i].dir, p.hosts[h].name);
		kathara_plan_free(&p);
		kathara_lab_free(&k);
	}
}
