/* Hosts as separate users with limits (issue 19, item 5): a uid/gid range of its own per host, a
 * cgroup per host with a pids and a memory limit. Real labs, real cgroups. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../src/cgroup.h"
#include "../src/state.h"
#include "helpers.h"

static struct run r;
static char lname[3][16];
static char share[64]; /* a world-writable directory on the machine, removed in fini */
static char topo_path[64];
static char made_cg[3][256]; /* cgroups the test made itself, removed in fini if still there */

static void down_all(void)
{
	for (size_t i = 0; i < sizeof(lname) / sizeof(lname[0]); i++)
		if (lname[i][0])
			lab_down_quiet(lname[i]);
	if (share[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", share);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", share);
	}
	if (topo_path[0])
		unlink(topo_path);
	for (size_t i = 0; i < sizeof(made_cg) / sizeof(made_cg[0]); i++)
		if (made_cg[i][0] && rmdir(made_cg[i]) == 0) {
			*strrchr(made_cg[i], '/') = '\0';
			rmdir(made_cg[i]); /* netlab/, if no lab is up */
		}
}

TestSuite(limits, .fini = down_all, .timeout = 60);

/* "0 1000065536 65536" of /proc/PID/uid_map: the host's root outside, and how many ids. */
static unsigned long outside_uid(pid_t pid, unsigned long *count)
{
	char path[64];
	unsigned long inside, outside;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fscanf(f, "%lu %lu %lu", &inside, &outside, count), 3, "%s", path);
	fclose(f);
	cr_assert_eq(inside, 0);
	return outside;
}

/* The directory of pid's cgroup for a controller: v1 (/sys/fs/cgroup/pids/...) or v2. */
static bool cgroup_dir(pid_t pid, const char *controller, char *out, size_t len)
{
	char path[64], line[512], want[32], v1[64];
	bool found = false, is_v1;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(v1, sizeof(v1), "/sys/fs/cgroup/%s", controller);
	snprintf(want, sizeof(want), ":%s:", controller);
	is_v1 = stat(v1, &st) == 0;
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, want);

		line[strcspn(line, "\n")] = '\0';
		if (is_v1 && p)
			found = snprintf(out, len, "%s%s", v1, p + strlen(want)) > 0;
		else if (!is_v1 && !strncmp(line, "0::", 3))
			found = snprintf(out, len, "/sys/fs/cgroup%s", line + 3) > 0;
	}
	fclose(f);
	return found;
}

static unsigned long long read_num(const char *dir, const char *file)
{
	char path[512], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_not_null(fgets(buf, sizeof(buf), f), "%s", path);
	fclose(f);
	return strtoull(buf, NULL, 10);
}

static const char *memory_limit_file(const char *dir)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/memory.max", dir);
	return stat(path, &st) == 0 ? "memory.max" : "memory.limit_in_bytes";
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ----------------------------------------------------------------------------------- identity */

Test(limits, hosts_of_one_lab_and_of_two_labs_are_different_users_outside)
{
	unsigned long uid[3], n;
	pid_t pid[3];

	lab_up_unique(lname[0], "lia", "2", "0");
	lab_up_unique(lname[1], "lib", "1", "0");
	pid[0] = host_pid(lname[0], "h1");
	pid[1] = host_pid(lname[0], "h2");
	pid[2] = host_pid(lname[1], "h1");
	for (int i = 0; i < 3; i++) {
		cr_assert_gt(pid[i], 0);
		uid[i] = outside_uid(pid[i], &n);
		cr_assert_eq(n, 65536);
		cr_assert_geq(uid[i], 1000000000ul, "root of a host is uid %lu outside", uid[i]);
	}
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			cr_assert(uid[i] + 65536 <= uid[j] || uid[j] + 65536 <= uid[i],
				  "hosts %d and %d share ids: %lu and %lu", i, j, uid[i], uid[j]);
	/* status --json reports each host's base */
	cr_assert_eq(nl(&r, "status", lname[0], "--json", NULL), 0, "%s", r.err);
	char want[64];
	snprintf(want, sizeof(want), "\"id_base\":%lu", uid[1]);
	cr_assert(strstr(r.out, want), "no %s in %s", want, r.out);
}

/* Two labs' hosts share no directory any more (each has its own root), and what one writes is
 * owned outside by its own range, not another host's: a 0600 file of A's is neither readable nor
 * removable by B's root, which does not even see it. */
Test(limits, a_0600_file_a_host_leaves_is_its_own_users_and_out_of_another_labs_reach)
{
	char script[256], file[96];
	unsigned long n;
	uid_t a_uid, b_uid;
	struct stat st;

	lab_up_unique(lname[0], "lsa", "1", "0");
	lab_up_unique(lname[1], "lsb", "1", "0");
	snprintf(script, sizeof(script), "umask 077; echo lab-a-secret > /tmp/secret");
	cr_assert_eq(nl_sh(&r, lname[0], "h1", script), 0, "%s", r.err);
	a_uid = outside_uid(host_pid(lname[0], "h1"), &n);
	b_uid = outside_uid(host_pid(lname[1], "h1"), &n);
	cr_assert_neq(a_uid, b_uid, "two labs' hosts are the same user outside");
	snprintf(file, sizeof(file), "/proc/%d/root/tmp/secret", (int)host_pid(lname[0], "h1"));
	cr_assert_eq(stat(file, &st), 0, "%s: %s", file, strerror(errno));
	cr_assert_eq(st.st_uid, a_uid, "owner %u, not A's %u", st.st_uid, a_uid);
	cr_assert_eq(st.st_mode & 0777, 0600);
	nl_sh(&r, lname[1], "h1", "cat /tmp/secret");
	cr_assert(!strstr(r.out, "lab-a-secret"), "a host of another lab read it");
	nl_sh(&r, lname[1], "h1", "rm -f /tmp/secret");
	cr_assert_eq(nl_sh(&r, lname[0], "h1", "cat /tmp/secret"), 0, "another lab removed it: %s",
		     r.err);
	cr_assert(strstr(r.out, "lab-a-secret"));
}

/* One host filling its user's key quota (kernel.keys.maxkeys) used to leave none to any host of any
 * other lab: add_key failed there with EDQUOT. perl (Debian's essential perl-base) makes the
 * add_key(2) calls: the hosts have no keyctl. */
Test(limits, a_host_that_fills_its_key_quota_leaves_other_labs_theirs)
{
	char script[512], target[32];

	lab_up_unique(lname[0], "lka", "1", "0");
	lab_up_unique(lname[1], "lkb", "1", "0");
	snprintf(
	    script, sizeof(script),
	    "my $n = 0; for my $i (1..$ARGV[0]) { my ($t, $d, $p) = ('user', \"k$i\", 'x'); "
	    "if (syscall(%d, $t, $d, $p, 1, -4) < 0) { print \"full at $i: $!\\n\"; last } $n++ } "
	    "print \"added $n\\n\";",
	    (int)SYS_add_key);
	snprintf(target, sizeof(target), "%s/h1", lname[0]);
	cr_assert_eq(nl(&r, "exec", target, "--", "perl", "-e", script, "1000", NULL), 0, "%s",
		     r.err);
	cr_assert(strstr(r.out, "full at"), "1000 keys and no quota? %s", r.out);
	snprintf(target, sizeof(target), "%s/h1", lname[1]);
	cr_assert_eq(nl(&r, "exec", target, "--", "perl", "-e", script, "1", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "added 1"), "another lab's host cannot add a key: %s", r.out);
}

/* --------------------------------------------------------------------------------------- limits */

Test(limits, each_host_has_cgroups_with_the_default_limits_and_down_removes_them)
{
	char dir[2][256], mem[256];
	pid_t pid[2];

	lab_up_unique(lname[0], "lcg", "2", "0");
	pid[0] = host_pid(lname[0], "h1");
	pid[1] = host_pid(lname[0], "h2");
	for (int i = 0; i < 2; i++) {
		cr_assert(cgroup_dir(pid[i], "pids", dir[i], sizeof(dir[i])),
			  "host %d has no pids cgroup", i);
		cr_assert(strstr(dir[i], "/netlab/"), "host %d is in %s", i, dir[i]);
		cr_assert_eq(read_num(dir[i], "pids.max"), 512);
		cr_assert(cgroup_dir(pid[i], "memory", mem, sizeof(mem)));
		cr_assert_eq(read_num(mem, memory_limit_file(mem)), 512ull << 20, "%s", mem);
	}
	cr_assert_str_neq(dir[0], dir[1], "two hosts share a cgroup");
	/* all labs together: netlab/ keeps half the machine's tasks and a quarter of its memory
	 * free */
	{
		char top[256];
		unsigned long long pid_max, threads, mem_kib = 0, want;
		FILE *f = fopen("/proc/meminfo", "r");

		snprintf(top, sizeof(top), "%.*s", (int)(strstr(dir[0], "/netlab/") - dir[0] + 7),
			 dir[0]);
		pid_max = read_num("/proc/sys/kernel", "pid_max");
		threads = read_num("/proc/sys/kernel", "threads-max");
		want = (pid_max < threads ? pid_max : threads) / 2;
		cr_assert_eq(read_num(top, "pids.max"), want < 1024 ? 1024 : want, "%s", top);
		cr_assert(f && fscanf(f, "MemTotal: %llu", &mem_kib) == 1);
		fclose(f);
		snprintf(top, sizeof(top), "%.*s", (int)(strstr(mem, "/netlab/") - mem + 7), mem);
		cr_assert_leq(read_num(top, memory_limit_file(top)), mem_kib * 1024 / 4 * 3, "%s",
			      top);
		cr_assert_gt(read_num(top, memory_limit_file(top)), mem_kib * 1024 / 2, "%s", top);
	}
	/* what runs through netlab exec is in the host's cgroup too */
	char target[32];
	snprintf(target, sizeof(target), "%s/h1", lname[0]);
	cr_assert_eq(nl(&r, "exec", target, "--", "cat", "/proc/self/cgroup", NULL), 0, "%s",
		     r.err);
	cr_assert(strstr(r.out, strstr(dir[0], "/netlab/")), "exec ran outside %s:\n%s", dir[0],
		  r.out);
	cr_assert_eq(nl(&r, "status", lname[0], NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "/512, memory"), "%s", r.out);
	cr_assert_eq(nl(&r, "status", lname[0], "--json", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"pids_max\":512,"), "%s", r.out);
	cr_assert(strstr(r.out, "\"memory_max\":536870912,"), "%s", r.out);

	cr_assert_eq(nl(&r, "down", lname[0], NULL), 0, "%s", r.err);
	for (int i = 0; i < 2; i++)
		cr_assert(!exists(dir[i]), "down left %s", dir[i]);
	char what[128];
	cr_assert(!lab_leftovers(lname[0], pid, 2, what, sizeof(what)), "down left %s", what);
	lname[0][0] = '\0';
}

Test(limits, a_fork_bomb_stops_at_pids_max_and_the_machine_and_other_hosts_are_fine)
{
	char dir[256], target[32];

	/* a small limit: a fast, bounded bomb */
	snprintf(lname[0], sizeof(lname[0]), "lfb%d", (int)(getpid() % 100000));
	cr_assert_eq(
	    nl(&r, "up", "2", "--name", lname[0], "--empty", "0", "--pids-max", "64", "-q", NULL),
	    0, "%s", r.err);
	cr_assert(cgroup_dir(host_pid(lname[0], "h1"), "pids", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, "pids.max"), 64);
	/* sleepers until fork fails (dash stops at "Cannot fork"), at most 1000 of them */
	nl_sh(&r, lname[0], "h1",
	      "n=0; while [ $n -lt 1000 ]; do sleep 50 </dev/null >/dev/null 2>&1 & "
	      "n=$((n+1)); done; echo made $n");
	cr_assert_neq(r.status, 0, "1000 forks succeeded: %s", r.out);
	cr_assert(strstr(r.err, "fork"), "%s", r.err);
	cr_assert_leq(read_num(dir, "pids.current"), 64);
	cr_assert_geq(read_num(dir, "pids.current"), 50, "the bomb stopped early: %llu",
		      read_num(dir, "pids.current"));
	/* the machine forks, and another host of the same lab works */
	cr_assert_eq(run(&r, "true", NULL), 0);
	snprintf(target, sizeof(target), "%s/h2", lname[0]);
	cr_assert_eq(nl(&r, "exec", target, "--", "sh", "-c", "sleep 0 & wait; echo ok", NULL), 0,
		     "%s", r.err);
	cr_assert_eq(nl(&r, "down", lname[0], NULL), 0, "%s", r.err);
	cr_assert(!exists(dir), "down left %s", dir);
	lname[0][0] = '\0';
}

Test(limits, a_memory_hog_is_killed_inside_its_host_at_memory_max)
{
	char dir[256], target[32];
	pid_t init;

	snprintf(lname[0], sizeof(lname[0]), "lmh%d", (int)(getpid() % 100000));
	cr_assert_eq(nl(&r, "up", "1", "--name", lname[0], "--empty", "0", "--memory-max", "64M",
			"-q", NULL),
		     0, "%s", r.err);
	init = host_pid(lname[0], "h1");
	cr_assert(cgroup_dir(init, "memory", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, memory_limit_file(dir)), 64ull << 20);
	/* dd fills one 256 MiB buffer: more than the host may have */
	snprintf(target, sizeof(target), "%s/h1", lname[0]);
	nl(&r, "exec", target, "--", "dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1",
	   NULL);
	cr_assert(r.status == 128 + 9 || (r.status != 0 && strstr(r.err, "memory")),
		  "a 256 MiB allocation under a 64 MiB limit: exit %d, %s", r.status, r.err);
	cr_assert_leq(read_num(dir, strcmp(memory_limit_file(dir), "memory.max")
					? "memory.max_usage_in_bytes"
					: "memory.peak"),
		      64ull << 20);
	/* the host itself lives on */
	cr_assert_eq(kill(init, 0), 0, "the host's init died");
	cr_assert_eq(nl(&r, "exec", target, "--", "true", NULL), 0, "%s", r.err);
}

Test(limits, topology_files_set_limits_lab_wide_and_per_host_and_the_command_line_wins_lab_wide)
{
	char dir[256];
	FILE *f;

	snprintf(topo_path, sizeof(topo_path), "/tmp/netlab-limits-%d.yaml", (int)getpid());
	snprintf(lname[0], sizeof(lname[0]), "ltp%d", (int)(getpid() % 100000));
	f = fopen(topo_path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"pids-max: 100\nmemory-max: 128M\nsegments:\n  lan: {subnet: 10.99.91.0/24}\n"
		"hosts:\n  a: {links: [lan]}\n  b: {links: [lan], pids-max: 50, memory-max: 1G}\n");
	fclose(f);
	cr_assert_eq(nl(&r, "up", "-f", topo_path, "--name", lname[0], "-q", NULL), 0, "%s", r.err);
	cr_assert(cgroup_dir(host_pid(lname[0], "a"), "pids", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, "pids.max"), 100);
	cr_assert(cgroup_dir(host_pid(lname[0], "a"), "memory", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, memory_limit_file(dir)), 128ull << 20);
	cr_assert(cgroup_dir(host_pid(lname[0], "b"), "pids", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, "pids.max"), 50);
	cr_assert(cgroup_dir(host_pid(lname[0], "b"), "memory", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, memory_limit_file(dir)), 1ull << 30);
	cr_assert_eq(nl(&r, "down", lname[0], NULL), 0, "%s", r.err);

	cr_assert_eq(
	    nl(&r, "up", "-f", topo_path, "--name", lname[0], "--pids-max", "200", "-q", NULL), 0,
	    "%s", r.err);
	cr_assert(cgroup_dir(host_pid(lname[0], "a"), "pids", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, "pids.max"), 200,
		     "--pids-max did not override the file's lab-wide 100");
	cr_assert(cgroup_dir(host_pid(lname[0], "b"), "pids", dir, sizeof(dir)));
	cr_assert_eq(read_num(dir, "pids.max"), 50, "a host's own limit must win");
	cr_assert_eq(nl(&r, "down", lname[0], NULL), 0, "%s", r.err);
	lname[0][0] = '\0';

	/* bad values are usage errors */
	cr_assert_eq(nl(&r, "up", "1", "--name", "lbad", "--pids-max", "3", NULL), 2);
	cr_assert_eq(nl(&r, "up", "1", "--name", "lbad", "--memory-max", "12Q", NULL), 2);
	cr_assert_eq(nl(&r, "up", "1", "--name", "lbad", "--memory-max", "1M", NULL), 2);
}

/* A cgroup netlab/LAB left by a lab whose state is gone: up refuses it and its rollback leaves it
 * (it did not make it); clean removes it. A failed up removes the cgroups it made. */
Test(limits, leftover_cgroups_are_clean_s_and_a_failed_up_removes_only_its_own)
{
	struct cgroup_set cg;
	char path[CGROUP_HIER_MAX][256], what[128];

	cgroup_detect(&cg);
	cr_assert_gt(cg.n, 0, "no pids or memory cgroup controller on this machine");
	snprintf(lname[0], sizeof(lname[0]), "llo%d", (int)(getpid() % 100000));
	for (size_t i = 0; i < cg.n; i++) {
		char top[192];

		snprintf(top, sizeof(top), "%s/netlab", cg.h[i].path);
		mkdir(top, 0755);
		snprintf(path[i], sizeof(path[i]), "%s/%s", top, lname[0]);
		cr_assert_eq(mkdir(path[i], 0755), 0, "%s: %s", path[i], strerror(errno));
		snprintf(made_cg[i], sizeof(made_cg[i]), "%s", path[i]);
	}
	nl(&r, "up", "1", "--name", lname[0], "--empty", "0", "-q", NULL);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.err, "netlab clean"), "%s", r.err);
	for (size_t i = 0; i < cg.n; i++)
		cr_assert(exists(path[i]), "the failed up removed %s, which it did not make",
			  path[i]);
	int lock = clean_lock();	/* clean removes the crashed labs of other tests too */
	nl(&r, "clean", NULL);
	close(lock);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "removed cgroup"), "%s", r.out);
	for (size_t i = 0; i < cg.n; i++)
		cr_assert(!exists(path[i]), "clean left %s", path[i]);

	setenv("NETLAB_FAIL_AT", "5", 1); /* both hosts spawned, the first one cabled */
	nl(&r, "up", "2", "--name", lname[0], "--empty", "0", "-q", NULL);
	unsetenv("NETLAB_FAIL_AT");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(!lab_leftovers(lname[0], NULL, 0, what, sizeof(what)), "rollback left %s", what);
	lname[0][0] = '\0';
}

/* ------------------------------------------------------------------------------------ parsing */

Test(limits_units, sizes_and_counts_parse_within_bounds)
{
	uint64_t v;

	cr_assert_eq(cgroup_parse_memory("512M", &v), 0);
	cr_assert_eq(v, 512ull << 20);
	cr_assert_eq(cgroup_parse_memory("2g", &v), 0);
	cr_assert_eq(v, 2ull << 30);
	cr_assert_eq(cgroup_parse_memory("16MiB", &v), 0);
	cr_assert_eq(v, 16ull << 20);
	cr_assert_eq(cgroup_parse_memory("max", &v), 0);
	cr_assert_eq(v, CGROUP_UNLIMITED);
	cr_assert_eq(cgroup_parse_memory("1M", &v), -1); /* below 8M */
	cr_assert_eq(cgroup_parse_memory("-5M", &v), -1);
	cr_assert_eq(cgroup_parse_memory("5X", &v), -1);
	cr_assert_eq(cgroup_parse_memory("99999999999T", &v), -1);
	cr_assert_eq(cgroup_parse_pids("512", &v), 0);
	cr_assert_eq(v, 512);
	cr_assert_eq(cgroup_parse_pids("7", &v), -1);
	cr_assert_eq(cgroup_parse_pids("max", &v), 0);
	cr_assert_eq(v, CGROUP_UNLIMITED);
	char buf[16];
	cgroup_fmt(512ull << 20, true, buf, sizeof(buf));
	cr_assert_str_eq(buf, "512M");
	cgroup_fmt(1536ull << 10, true, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1536K");
	cgroup_fmt(CGROUP_UNLIMITED, false, buf, sizeof(buf));
	cr_assert_str_eq(buf, "max");
}

Test(limits_units, state_files_keep_each_host_s_id_base_and_older_ones_still_parse)
{
	static const char fmt[] =
	    "netlab-state 2\nname t\nnumber 1\nstatus up\nbuilder 1 1\nextra 0\n"
	    "kind plain\nsegments 1\nsegment lan t-br 10.77.1.0/24 -\nhosts 1\n"
	    "host h1 5 7 host 1 0%s\niface eth0 0 10.77.1.1 - t-h1\nend\n";
	char text[512];
	struct lab lab;
	struct lab_error *err = NULL;

	snprintf(text, sizeof(text), fmt, ""); /* an older netlab's line: 6 fields */
	cr_assert_eq(state_parse(text, "t", &lab, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(lab.hosts[0].id_base, 0);
	state_free(&lab);
	snprintf(text, sizeof(text), fmt, " 1000065536");
	cr_assert_eq(state_parse(text, "t", &lab, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(lab.hosts[0].id_base, 1000065536u);
	char *out = NULL;
	size_t len;
	cr_assert_eq(state_format(&lab, &out, &len, &err), 0);
	cr_assert(strstr(out, "host h1 5 7 host 1 0 1000065536\n"), "%s", out);
	free(out);
	state_free(&lab);
	snprintf(text, sizeof(text), fmt, " 1000000001"); /* not a range's start */
	cr_assert_lt(state_parse(text, "t", &lab, &err), 0);
	lab_err_free(&err);
	snprintf(text, sizeof(text), fmt, " 4000000000"); /* beyond the id space */
	cr_assert_lt(state_parse(text, "t", &lab, &err), 0);
	lab_err_free(&err);
}
