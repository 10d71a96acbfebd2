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
	cr_assert(strstr(conf_error("r1[0]=A\nr1[2]=B\n"), "eth1 is missing"),
		  "interfaces are numbered without gaps");
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
	cr_assert_str_eq(kathara_image_packages("someone/custom", &why), "");
}

/* A lab directory: devices come from lab.conf, from DIR/NAME/ and from DIR/NAME.startup. */
Test(kathara, load_dir_finds_devices_and_refuses_lab_ext)
{
	char dir[] = "/tmp/netlab-kathara-XXXXXX", path[256];
	struct lab_error *err = NULL;
	struct kathara_lab k;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lab.conf", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("r1[0]=A\npc1[0]=A\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ws.startup", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fclose(f);
	snprintf(path, sizeof(path), "%s/dnsroot", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/shared", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/lab.dep", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("r1: dnsroot\n", f);
	fclose(f);

	cr_assert_eq(kathara_load_dir(dir, &k, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(k.ndevices, 4, "r1, pc1, then dnsroot and ws from the directory (not shared)");
	cr_assert_str_eq(k.devices[2].name, "dnsroot");
	cr_assert_str_eq(k.devices[3].name, "ws");
	cr_assert_eq(k.devices[3].nifaces, 0);
	cr_assert_str_eq(k.devices[k.order[0]].name, "pc1");
	cr_assert_str_eq(k.devices[k.order[1]].name, "dnsroot");
	kathara_lab_free(&k);

	snprintf(path, sizeof(path), "%s/lab.ext", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("A enp0s3\n", f);
	fclose(f);
	cr_assert_lt(kathara_load_dir(dir, &k, &err), 0);
	cr_assert(strstr(err->msg, "lab.ext") && strstr(err->msg, "physical interfaces"), "%s",
		  err->msg);
	lab_err_free(&err);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	cr_assert_eq(system(path), 0);
}
