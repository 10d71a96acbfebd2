/* What a host is: six namespaces of its own, its hostname, netlab-init as PID 1 and nothing else,
 * its own IPC, root inside an unprivileged id outside, its mounts and /tmp. On a real lab. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */
static const char *const ns6[] = { "user", "mnt", "pid", "net", "uts", "ipc" };

static char LAB[16], H1[64], H2[64], E1[64];

/* h1, h2 and the empty host e1, in a lab of the test's own */
static void up_host(void)
{
	lab_up_unique(LAB, "th", "2", "1");
	snprintf(H1, sizeof(H1), "%s/h1", LAB);
	snprintf(H2, sizeof(H2), "%s/h2", LAB);
	snprintf(E1, sizeof(E1), "%s/e1", LAB);
}
static void down_host(void) { lab_down_quiet(LAB); }

TestSuite(host, .init = up_host, .fini = down_host, .timeout = 60);

Test(host, six_namespaces_differ_from_the_machine_and_from_each_other)
{
	pid_t pids[3] = { host_pid(LAB, "h1"), host_pid(LAB, "h2"), host_pid(LAB, "e1") };

	for (int h = 0; h < 3; h++) {
		cr_assert_gt(pids[h], 0);
		for (int k = 0; k < 6; k++) {
			unsigned long mine = inode_of(pids[h], ns6[k]);
			cr_assert_neq(mine, 0);
			cr_assert_neq(mine, inode_of(0, ns6[k]), "host %d shares %s with the machine", h,
				      ns6[k]);
			for (int o = 0; o < h; o++)
				cr_assert_neq(mine, inode_of(pids[o], ns6[k]), "hosts %d and %d share %s",
					      h, o, ns6[k]);
		}
		/* not requested: shared with the machine */
		cr_assert_eq(inode_of(pids[h], "cgroup"), inode_of(0, "cgroup"));
	}
}

Test(host, uts_hostname_is_the_host_name)
{
	char real[256];

	gethostname(real, sizeof(real));
	cr_assert_eq(nl(&r, "exec", H2, "--", "hostname", NULL), 0);
	cr_assert_str_eq(r.out, "h2\n");
	cr_assert_eq(nl(&r, "exec", E1, "--", "hostname", NULL), 0);
	cr_assert_str_eq(r.out, "e1\n");
	char now[256];
	gethostname(now, sizeof(now));
	cr_assert_str_eq(now, real, "the machine's hostname is untouched");
}

Test(host, pid_namespace_has_netlab_init_as_pid1_and_nothing_else)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "cat /proc/1/comm; echo $$; ps -e --no-headers | wc -l"),
		     0, "%s", r.err);
	char comm[32];
	int shell_pid, nproc;
	cr_assert_eq(sscanf(r.out, "%31s %d %d", comm, &shell_pid, &nproc), 3, "%s", r.out);
	cr_assert_str_eq(comm, "netlab-init");
	cr_assert_lt(shell_pid, 10, "the shell's PID inside is small: %d", shell_pid);
	cr_assert_eq(nproc, 4, "init, sh, ps and wc only: %d", nproc);
	cr_assert_eq(nl(&r, "exec", H1, "--", "cat", "/proc/1/cmdline", NULL), 0);
	char title[64];
	snprintf(title, sizeof(title), "netlab-init %s/h1", LAB);
	cr_assert(strstr(r.out, title), "%s", r.out);
}

Test(host, ipc_queue_made_inside_is_invisible_outside_and_in_other_hosts)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "ipcmk -Q >/dev/null && ipcs -q | awk '/^0x/ {print $1}'"),
		     0, "%s", r.err);
	char key[32] = "";
	sscanf(r.out, "%31s", key);
	cr_assert(!strncmp(key, "0x", 2), "no queue key in: %s", r.out);
	cr_assert_eq(run(&r, "ipcs", "-q", NULL), 0);
	cr_assert(!strstr(r.out, key), "queue %s leaked to the machine", key);
	cr_assert_eq(nl_sh(&r, LAB, "h2", "ipcs -q | grep -c '^0x' || true"), 0);
	cr_assert_str_eq(r.out, "0\n", "h2 sees h1's queue");
}

Test(host, root_inside_is_an_unprivileged_id_outside)
{
	pid_t pid = host_pid(LAB, "h1");
	char path[64], line[256];
	FILE *f;
	unsigned uid = 0;

	cr_assert_eq(nl(&r, "exec", H1, "--", "id", "-u", NULL), 0);
	cr_assert_str_eq(r.out, "0\n");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	fclose(f);
	/* a range of its own (issue 19): NS_ID_BASE + k * 65536 */
	cr_assert(uid >= 1000000000u && (uid - 1000000000u) % 65536 == 0, "uid outside is %u", uid);
	/* and so root in a host cannot write the real machine's files (its /etc is its own copy) */
	nl_sh(&r, LAB, "h1", "echo x > /etc/netlab-probe");
	cr_assert_eq(access("/etc/netlab-probe", F_OK), -1);
}

Test(host, mounts_inside_stay_inside_and_tmp_is_private)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1",
			   "mkdir -p /tmp/m && mount -t tmpfs x /tmp/m && grep -c ' /tmp/m ' /proc/mounts; "
			   "echo hi > /tmp/netlab-private-probe; pwd; echo $HOME"), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1\n/tmp\n/tmp\n");
	cr_assert_eq(run(&r, "findmnt", "/tmp/m", NULL), 1, "the mount leaked out");
	cr_assert_eq(access("/tmp/netlab-private-probe", F_OK), -1, "/tmp is not private");
	cr_assert_eq(nl_sh(&r, LAB, "h2", "ls /tmp/netlab-private-probe 2>/dev/null | wc -l"), 0);
	cr_assert_str_eq(r.out, "0\n");
	cr_assert_eq(nl_sh(&r, LAB, "h1", "ls /proc | grep -c '^[0-9]'"), 0);
	cr_assert_lt(atoi(r.out), 6, "a fresh /proc shows the host's processes only: %s", r.out);
}
