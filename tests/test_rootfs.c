/* A host's root filesystem, on real labs: its own copy-on-write root that never reaches the
 * machine's files, nothing of the machine under its mounts, the machine's secrets hidden, and real
 * daemons (nginx, sshd) running from the machine's packages. Each test has its own lab (named after
 * its PID, on a subnet netlab allocates) and takes it down in .fini. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */
static char LAB[16];

static void down_lab(void)
{
	if (*LAB)
		lab_down_quiet(LAB);
}

/* up N hosts named PREFIX<pid>, with extra arguments (NULL-terminated, at most 4) */
static void up_with(const char *prefix, const char *hosts, const char *a1, const char *a2)
{
	snprintf(LAB, sizeof(LAB), "%s%d", prefix, (int)(getpid() % 10000));
	if (a1)
		nl(&r, "up", hosts, "--name", LAB, "--empty", "0", "-q", a1, a2, NULL);
	else
		nl(&r, "up", hosts, "--name", LAB, "--empty", "0", "-q", NULL);
	cr_assert_eq(r.status, 0, "netlab up %s: %s", LAB, r.err);
}

static int sh(const char *host, const char *script)
{
	return nl_sh(&r, LAB, host, script);
}

/* What a path on the machine is: owner, mode, size, mtime, and for files the content. */
struct snap {
	struct stat st;
	char content[4096];
	ssize_t len;
};

static void take(const char *path, struct snap *s)
{
	int fd;

	memset(s, 0, sizeof(*s));
	cr_assert_eq(lstat(path, &s->st), 0, "stat %s on the machine: %s", path, strerror(errno));
	s->len = -1;
	if (S_ISREG(s->st.st_mode) && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		s->len = read(fd, s->content, sizeof(s->content));
		close(fd);
	}
}

/* check_mtime false: a directory other processes of the machine may add to while the test runs
 * (its owner and mode are checked, and the names the test made must not be in it) */
static void same(const char *path, const struct snap *a, bool check_mtime)
{
	struct snap b;

	take(path, &b);
	cr_expect_eq(a->st.st_uid, b.st.st_uid, "%s: owner changed on the machine", path);
	cr_expect_eq(a->st.st_gid, b.st.st_gid, "%s: group changed on the machine", path);
	cr_expect_eq(a->st.st_mode, b.st.st_mode, "%s: mode changed on the machine", path);
	if (check_mtime)
		cr_expect_eq(a->st.st_size, b.st.st_size, "%s: size changed on the machine", path);
	if (check_mtime)
		cr_expect(a->st.st_mtim.tv_sec == b.st.st_mtim.tv_sec &&
				  a->st.st_mtim.tv_nsec == b.st.st_mtim.tv_nsec,
			  "%s: mtime changed on the machine", path);
	cr_expect(a->len == b.len && (a->len <= 0 || !memcmp(a->content, b.content, (size_t)a->len)),
		  "%s: content changed on the machine", path);
}

TestSuite(rootfs, .fini = down_lab, .timeout = 90);

/* ------------------------------------------------------------------------ the machine untouched */

static const char *const watched[] = { "/etc", "/etc/passwd", "/etc/hostname", "/etc/hosts",
	"/etc/nginx", "/etc/nginx/nginx.conf", "/usr/local", "/var/lib", "/var/tmp", "/dev/shm",
	"/etc/ssh/sshd_config" };

static void writes_stay_in_the_host(void)
{
	struct snap before[sizeof(watched) / sizeof(watched[0])], run_dir;
	char script[1024], path[128];

	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		take(watched[i], &before[i]);
	take("/run", &run_dir);
	snprintf(script, sizeof(script),
		 "set -e; cd /; echo evil >> /etc/passwd; echo evil > /etc/hostname; chmod 777 /etc; "
		 "chown 5:5 /etc/hosts; touch /etc/nlt%1$d; rm -rf /etc/nginx; mkdir /etc/nginx; "
		 "echo x > /etc/ssh/sshd_config; mkdir /usr/local/nlt%1$d; touch /var/lib/nlt%1$d "
		 "/var/tmp/nlt%1$d /dev/shm/nlt%1$d /run/nlt%1$d; chmod 700 /var/lib /usr/local; "
		 "ls -A /etc/nginx | wc -l",
		 (int)getpid());
	cr_assert_eq(sh("h1", script), 0, "writes inside h1 failed: %s", r.err);
	cr_expect_eq(atoi(r.out), 0, "h1's /etc/nginx is not empty after rm -rf; mkdir: %s", r.out);
	/* the host sees its own writes */
	cr_assert_eq(sh("h1", "grep -c evil /etc/passwd; cat /etc/hostname"), 0);
	cr_expect(strstr(r.out, "1\nevil") != NULL, "h1 does not see its own writes: %s", r.out);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		same(watched[i], &before[i], !strstr("/var/lib /var/tmp /dev/shm", watched[i]));
	/* /run's mtime moves with other labs' /run/netns and /run/netlab: owner and mode only */
	same("/run", &run_dir, false);
	const char *const made[] = { "/etc/nlt%d", "/usr/local/nlt%d", "/var/lib/nlt%d", "/var/tmp/nlt%d",
				     "/dev/shm/nlt%d", "/run/nlt%d" };
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(path, sizeof(path), made[i], (int)getpid());
		cr_expect(access(path, F_OK) < 0, "%s appeared on the machine", path);
	}
	/* and the other host of the lab does not see them either */
	sh("h2", "grep -c evil /etc/passwd; ls -A /dev/shm /run /var/tmp /etc /usr/local /var/lib");
	cr_expect(strncmp(r.out, "0\n", 2) == 0 && strstr(r.out, "nlt") == NULL,
		  "h2 sees h1's files: %s", r.out);
}

Test(rootfs, writes_inside_a_host_leave_the_machine_files_as_they_were)
{
	up_with("tfw", "2", NULL, NULL);
	writes_stay_in_the_host();
}

/* Linux < 6.6 (Debian 12's 6.1) has no user xattrs on tmpfs: there netlab mounts the overlay
 * itself and hands it over through the staged namespace. Forced here, on a newer kernel. */
Test(rootfs, the_upper_layer_for_older_kernels_works_the_same)
{
	cr_assert_eq(setenv("NETLAB_ROOTFS_UPPER", "parent", 1), 0);
	up_with("tfp", "2", NULL, NULL);
	cr_assert_eq(sh("h1", "grep ' / ' /proc/self/mountinfo"), 0);
	cr_assert(strstr(r.out, "/up/u,workdir=") && strstr(r.out, "nodev"),
		  "not the parent-mounted overlay: %s", r.out);
	writes_stay_in_the_host();
	cr_assert_eq(sh("h1", "mv /etc/ssh /etc/ssh2 && ls /etc/ssh2 | grep -c _key; "
			      "grep -c '\\$' /etc/shadow; test ! -e /etc/ssh && echo moved"), 0, "%s %s",
		     r.out, r.err);
	cr_expect_str_eq(r.out, "0\n0\nmoved\n", "keys or hashes in h1, or mv failed: %s", r.out);
	cr_expect(access("/etc/ssh/sshd_config", F_OK) == 0 && access("/etc/ssh2", F_OK) < 0);
}

/* What netlab writes into a host's layer (directories it makes opaque or creates as parents, the
 * files it writes) shows the owner and mode the machine's root filesystem has for that path, as
 * the rest of the root does. Paths the host mounts over, and mount points on the machine (the
 * host sees the root filesystem only), are left out. */
static void layer_keeps_owners_and_modes(void)
{
	static const char *const paths[] = { "/etc", "/var", "/usr/local", "/usr/local/bin", "/root",
		"/home", "/etc/ssl", "/etc/ssl/private", "/etc/default", "/etc/ssh", "/mnt", "/media",
		"/srv", "/opt", "/etc/hostname", "/etc/hosts", "/etc/shadow", "/etc/gshadow",
		"/etc/default/ssh" };
	char script[1024] = "stat -c '%n %u %g %a'", want[2048] = "", line[160];
	struct stat root, st;

	cr_assert_eq(stat("/", &root), 0);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (lstat(paths[i], &st) < 0 || st.st_dev != root.st_dev || st.st_uid >= 65536 ||
		    st.st_gid >= 65536)
			continue;
		snprintf(line, sizeof(line), "%s %u %u %o\n", paths[i], (unsigned)st.st_uid,
			 (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
		strcat(want, line);
		strcat(script, " ");
		strcat(script, paths[i]);
	}
	cr_assert_eq(sh("h1", script), 0, "%s: %s", script, r.err);
	cr_expect_str_eq(r.out, want, "owners and modes in h1 (got) and on the machine (want):\n%s\n%s",
			 r.out, want);
}

Test(rootfs, the_hosts_layer_keeps_the_machines_owners_and_modes)
{
	up_with("tfo", "1", NULL, NULL);
	layer_keeps_owners_and_modes();
	lab_down_quiet(LAB);
	cr_assert_eq(setenv("NETLAB_ROOTFS_UPPER", "parent", 1), 0);
	up_with("tfo", "1", NULL, NULL);
	layer_keeps_owners_and_modes();
}

/* --------------------------------------------------------------------- no way to the machine */

static void machine_root_dev(char out[32])
{
	struct stat st;

	cr_assert_eq(stat("/", &st), 0);
	snprintf(out, 32, " %u:%u ", major(st.st_dev), minor(st.st_dev));
}

Test(rootfs, no_mount_of_the_machines_root_filesystem_is_reachable_in_a_host)
{
	char dev[32];

	up_with("tfm", "1", NULL, NULL);
	machine_root_dev(dev);
	/* root in the host tries everything it can on every mount it has */
	cr_assert_eq(sh("h1", "cd /; for m in $(awk '{print $5}' /proc/self/mountinfo); do "
			      "mount -o remount,bind,rw $m 2>/dev/null; done; cat /proc/self/mountinfo"), 0);
	cr_expect(strstr(r.out, dev) == NULL, "the machine's root filesystem (%s) is mounted in h1:\n%s",
		  dev, r.out);
	cr_expect(strstr(r.out, " / / ") && strstr(r.out, " - overlay "), "h1's / is not its overlay:\n%s",
		  r.out);
}

Test(rootfs, unmounting_inside_a_host_reveals_nothing_of_the_machine)
{
	char marker[64], script[512];
	int fd;

	snprintf(marker, sizeof(marker), "/tmp/nlmark%d", (int)getpid());
	fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "create %s", marker);
	close(fd);
	up_with("tfu", "1", NULL, NULL);
	snprintf(script, sizeof(script),
		 "cd /; for m in /sys /tmp /var/tmp /run /dev/shm /dev /proc; do umount -l $m; done; "
		 "echo pids: $(ls /proc | grep -c '^[0-9]'); ls -A /tmp /var/tmp /run /dev /sys; "
		 "ls /run/netns 2>&1");
	sh("h1", script);
	unlink(marker);
	cr_expect(strstr(r.out, "pids: 0\n") != NULL, "machine PIDs visible after umount /proc:\n%s", r.out);
	cr_expect(strstr(r.out, marker + 5) == NULL, "the machine's /tmp visible after umount:\n%s", r.out);
	cr_expect(strstr(r.out, "netlab") == NULL && strstr(r.out, "tfu") == NULL,
		  "the machine's /run visible after umount:\n%s", r.out);
	cr_expect(strstr(r.out, "cannot access '/run/netns'") != NULL, "/run/netns in h1:\n%s", r.out);
}

Test(rootfs, posix_shm_and_mqueues_are_the_hosts_own)
{
	char name[64], script[256];
	mqd_t q;

	up_with("tfq", "2", NULL, NULL);
	snprintf(name, sizeof(name), "nlq%d", (int)getpid());
	snprintf(script, sizeof(script), "echo x > /dev/shm/%1$s && touch /dev/mqueue/%1$s && "
		 "ls /dev/mqueue", name);
	cr_assert_eq(sh("h1", script), 0, "%s", r.err);
	cr_assert(strstr(r.out, name), "no queue in h1: %s", r.out);
	snprintf(script, sizeof(script), "ls -A /dev/shm /dev/mqueue");
	sh("h2", script);
	cr_expect(strstr(r.out, name) == NULL, "h2 sees h1's shm or queue: %s", r.out);
	snprintf(script, sizeof(script), "/dev/shm/%s", name);
	cr_expect(access(script, F_OK) < 0, "the machine sees %s", script);
	snprintf(script, sizeof(script), "/%s", name);
	q = mq_open(script, O_RDONLY);
	if (q != (mqd_t)-1)
		mq_close(q);
	cr_expect(q == (mqd_t)-1 && errno == ENOENT, "the machine sees h1's queue %s", script);
}

Test(rootfs, the_machines_secrets_are_hidden_and_accounts_still_there)
{
	char script[256];

	up_with("tfs", "1", NULL, NULL);
	/* root of the host reads /etc/shadow (its own: accounts without hashes) */
	cr_assert_eq(sh("h1", "grep -c '^root:\\*:' /etc/shadow; grep -c '\\$' /etc/shadow; "
			      "ls /etc/ssh | grep -c host; ls -A /root /home | wc -w"), 0, "%s", r.err);
	cr_expect_str_eq(r.out, "1\n0\n0\n2\n", "h1: shadow root line, hashes, ssh host keys, "
						"words of ls /root /home:\n%s", r.out);
	snprintf(script, sizeof(script), "cat /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_rsa_key");
	cr_expect_neq(sh("h1", script), 0, "h1 reads the machine's ssh host keys: %s", r.out);
	cr_expect(strstr(r.out, "PRIVATE KEY") == NULL);
}

/* The machine's name servers are out of a host's reach: its resolv.conf names none (with a default
 * route into a lab, asking them made every lookup wait for the resolver's timeouts). Fails only
 * where the machine's resolv.conf names a server (CI's machines do). */
Test(rootfs, a_host_names_no_name_server_of_the_machine)
{
	up_with("tfr", "1", NULL, NULL);
	cr_assert_eq(sh("h1", "grep -c '^nameserver' /etc/resolv.conf; grep -c netlab /etc/resolv.conf"), 0,
		     "%s%s", r.out, r.err);
	cr_expect_str_eq(r.out, "0\n1\n", "nameserver lines, then netlab's comment:\n%s", r.out);
	lab_down_quiet(LAB);
	up_with("tfr", "1", "--fs", "shared");
	cr_assert_eq(sh("h1", "cat /etc/resolv.conf 2>/dev/null | grep -c '^nameserver'; true"), 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0\n", "--fs shared: the machine's name servers show: %s", r.out);
}

/* A host's own name resolves: the lab's /etc/hosts where netlab gave it an address, else
 * 127.0.1.1 (an empty host, a Kathará device), as Debian writes for a machine without one. */
Test(rootfs, every_host_resolves_its_own_name)
{
	up_with("tfn", "1", "--empty", "1");
	cr_assert_eq(sh("h1", "getent ahostsv4 h1 | head -1"), 0, "%s", r.err);
	cr_expect(strncmp(r.out, "10.", 3) == 0, "h1 is the lab's address: %s", r.out);
	cr_assert_eq(sh("e1", "getent hosts e1; grep -c e1 /etc/hosts"), 0, "%s", r.err);
	cr_expect_str_eq(r.out, "127.0.1.1       e1\n1\n", "%s", r.out);
	cr_assert_eq(sh("h1", "grep -c e1 /etc/hosts"), 1, "only e1 names itself 127.0.1.1: %s", r.out);
}

/* ------------------------------------------------------------------------------ real daemons */

Test(rootfs, nginx_in_h1_serves_a_page_to_curl_in_h2)
{
	struct snap index;
	bool had = access("/var/www/html/index.html", F_OK) == 0;

	if (had)
		take("/var/www/html/index.html", &index);
	up_with("tfn", "2", NULL, NULL);
	cr_assert_eq(sh("h1", "echo page-of-h1 > /var/www/html/index.html && service nginx start"), 0,
		     "nginx in h1: %s %s", r.out, r.err);
	cr_assert_eq(sh("h2", "curl -s --max-time 10 http://h1/"), 0, "curl: %s", r.err);
	cr_expect_str_eq(r.out, "page-of-h1\n");
	if (had)
		same("/var/www/html/index.html", &index, true);
	else
		cr_expect(access("/var/www/html/index.html", F_OK) < 0);
}

Test(rootfs, sshd_in_h2_with_its_own_keys_answers_ssh_from_h1, .timeout = 120)
{
	char script[1024], pub[512], mine[512] = "";
	FILE *f;

	up_with("tfh", "2", NULL, NULL);
	cr_assert_eq(sh("h2", "service ssh start"), 0, "sshd in h2: %s %s", r.out, r.err);
	cr_assert_eq(sh("h2", "cat /etc/ssh/ssh_host_ed25519_key.pub"), 0, "%s", r.err);
	memcpy(pub, r.out, sizeof(pub) - 1);
	pub[sizeof(pub) - 1] = '\0';
	f = fopen("/etc/ssh/ssh_host_ed25519_key.pub", "r");
	if (f) {
		if (!fgets(mine, sizeof(mine), f))
			mine[0] = '\0';
		fclose(f);
	}
	cr_assert(strncmp(pub, "ssh-ed25519 ", 12) == 0, "h2's host key: %s", pub);
	cr_expect(strncmp(pub, mine, 60) != 0, "h2 presents the machine's host key");
	cr_assert_eq(sh("h1", "ssh-keygen -q -t ed25519 -N '' -f /root/id && cat /root/id.pub"), 0, "%s",
		     r.err);
	r.out[strcspn(r.out, "\n")] = '\0';
	cr_assert_lt(strlen(r.out), 400);
	snprintf(script, sizeof(script),
		 "mkdir -p /root/.ssh && echo '%.400s' > /root/.ssh/authorized_keys", r.out);
	cr_assert_eq(sh("h2", script), 0, "%s", r.err);
	cr_assert_eq(sh("h1", "ssh -i /root/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
			      "-o BatchMode=yes -o ConnectTimeout=10 h2 hostname"),
		     0, "ssh h2: %s", r.err);
	cr_expect_str_eq(r.out, "h2\n");
}

Test(rootfs, systemctl_runs_the_init_script_or_says_what_to_do)
{
	up_with("tfc", "1", NULL, NULL);
	cr_assert_eq(sh("h1", "systemctl start nginx && systemctl is-active nginx"), 0, "%s %s", r.out,
		     r.err);
	cr_expect(strstr(r.out, "active") != NULL, "%s", r.out);
	cr_expect_eq(sh("h1", "systemctl daemon-reload"), 1);
	cr_expect(strstr(r.err, "no systemd in this netlab host") && strchr(r.err, '\n') &&
			  strchr(r.err, '\n')[1] == '\0',
		  "not one clear line: %s", r.err);
	cr_expect_eq(sh("h1", "systemctl start no-such-unit"), 1);
	cr_expect(strstr(r.err, "no /etc/init.d/no-such-unit") != NULL, "%s", r.err);
}

/* As Kathará's labs use it: start, status, restart, stop of the machine's daemons, under the names
 * of Debian's units and their aliases (bind9 is named on Debian 12, sshd is ssh). */
Test(rootfs, systemctl_follows_debian_unit_aliases)
{
	up_with("tfa", "1", NULL, NULL);
	cr_assert_eq(sh("h1", "systemctl start bind9"), 0, "%s %s", r.out, r.err);
	cr_expect_eq(sh("h1", "pidof named"), 0, "systemctl start bind9 started no named");
	cr_expect_eq(sh("h1", "systemctl is-active named.service"), 0, "%s", r.out);
	cr_expect_str_eq(r.out, "active\n");
	cr_expect_eq(sh("h1", "systemctl restart named && pidof named"), 0, "%s", r.err);
	/* without the unit's symlink in /etc/systemd/system, the Alias= line of named.service */
	cr_assert_eq(sh("h1", "rm -f /etc/systemd/system/bind9.service && systemctl stop bind9"), 0,
		     "%s", r.err);
	cr_expect_neq(sh("h1", "pidof named"), 0, "systemctl stop bind9 left named running");
	cr_expect_eq(sh("h1", "systemctl is-active bind9"), 3);
	cr_expect_str_eq(r.out, "inactive\n");
	cr_expect_neq(sh("h1", "systemctl status bind9"), 0, "status of a stopped daemon is 0");

	cr_expect_eq(sh("h1", "systemctl start sshd.service && systemctl status ssh"), 0, "%s", r.err);
	cr_expect_eq(sh("h1", "systemctl start frr && systemctl status frr && pidof zebra"), 0, "%s",
		     r.err);
	/* the init scripts signal and return (sshd's does not wait): gone within 5 s */
	cr_expect_eq(sh("h1", "systemctl stop frr sshd && for i in $(seq 50); do "
			      "pidof zebra sshd >/dev/null || exit 0; sleep 0.1; done; exit 1"),
		     0, "%s %s", r.out, r.err);
	/* a name that could escape /etc/init.d is no unit */
	cr_expect_eq(sh("h1", "systemctl start ../../bin/true"), 1);
	cr_expect(strstr(r.err, "no systemd in this netlab host") != NULL, "%s", r.err);
}

/* ------------------------------------------------------------------------------- --fs shared */

Test(rootfs, a_shared_root_is_read_only_and_locked)
{
	char marker[64], script[512];
	int fd;

	snprintf(marker, sizeof(marker), "/tmp/nlmark%d", (int)getpid());
	fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	up_with("tfx", "1", "--fs", "shared");
	cr_expect_neq(sh("h1", "mount -o remount,rw /"), 0, "remount rw of the machine's root worked");
	cr_expect_neq(sh("h1", "mount -o remount,bind,rw /"), 0, "bind remount rw worked");
	cr_expect_neq(sh("h1", "touch /etc/nlx"), 0, "touch /etc/nlx worked");
	cr_expect(strstr(r.err, "Read-only") != NULL, "%s", r.err);
	cr_assert_eq(sh("h1", "hostname; grep -c h1 /etc/hosts; touch /tmp/x /var/tmp/x /run/x"), 0,
		     "%s", r.err);
	cr_expect_str_eq(r.out, "h1\n2\n");
	snprintf(script, sizeof(script),
		 "cd /; for m in /tmp /var/tmp /run /dev /proc; do umount -l $m; done; "
		 "echo pids: $(ls /proc | grep -c '^[0-9]'); ls -A /tmp /var/tmp /run /dev; "
		 "umount -l /tmp && echo unmounted-the-cover");
	sh("h1", script);
	unlink(marker);
	cr_expect(strstr(r.out, "pids: 0\n") != NULL, "machine PIDs visible:\n%s", r.out);
	cr_expect(strstr(r.out, marker + 5) == NULL, "the machine's /tmp visible:\n%s", r.out);
	cr_expect(strstr(r.out, "netlab") == NULL, "the machine's /run visible:\n%s", r.out);
	cr_expect(strstr(r.out, "unmounted-the-cover") == NULL, "the locked cover came off:\n%s", r.out);
}

/* ------------------------------------------------------------------------- runtime directories */

Test(rootfs, run_holds_what_systemd_tmpfiles_makes_and_sshd_and_bird_dirs)
{
	const char *list = "cd /; find /run -mindepth 1 -printf '%y %m %u %g %p %l\\n' | sort";
	static char before[sizeof(r.out)];

	up_with("tft", "1", NULL, NULL);
	cr_assert_eq(sh("h1", list), 0, "%s", r.err);
	memcpy(before, r.out, sizeof(before));
	cr_expect(strstr(before, "d 755 frr frr /run/frr \n") && strstr(before, "d 755 root root /run/sshd \n") &&
			  strstr(before, "d 775 bird bird /run/bird \n"),
		  "h1's /run:\n%s", before);
	/* the real thing, inside the host, finds nothing left to make */
	cr_assert_eq(sh("h1", "systemd-tmpfiles --create --prefix=/run"), 0, "%s", r.err);
	cr_assert_eq(sh("h1", list), 0, "%s", r.err);
	cr_expect_str_eq(r.out, before, "systemd-tmpfiles made more in h1's /run");
}

/* --------------------------------------------------------------------------- routing daemons */

Test(rootfs, frr_starts_the_debian_way_and_vtysh_talks_to_the_hosts_own_zebra, .timeout = 120)
{
	up_with("tff", "1", NULL, NULL);
	cr_assert_eq(sh("h1", "sed -i 's/^ospfd=no/ospfd=yes/' /etc/frr/daemons && service frr start"), 0,
		     "frr in h1: %s %s", r.out, r.err);
	cr_assert_eq(sh("h1", "for i in $(seq 40); do vtysh -c 'show version' >/dev/null 2>&1 && break; "
			      "sleep 0.25; done; vtysh -c 'conf t' -c 'router ospf' -c 'ospf router-id 10.9.9.1'; "
			      "vtysh -c 'show running-config' | grep -c '^hostname h1'; "
			      "vtysh -c 'show ip ospf' | grep -c 'OSPF Routing Process, Router ID: 10.9.9.1'"),
		     0, "%s", r.err);
	cr_expect_str_eq(r.out, "1\n1\n", "vtysh in h1:\n%s", r.out);
	cr_assert_eq(sh("h1", "service frr stop"), 0, "%s", r.err);
}

Test(rootfs, dnsmasq_in_h1_leases_an_address_to_dhclient_in_h2, .timeout = 120)
{
	struct snap leases;
	bool had = access("/var/lib/misc/dnsmasq.leases", F_OK) == 0;

	if (had)
		take("/var/lib/misc/dnsmasq.leases", &leases);
	up_with("tfd", "2", NULL, NULL);
	cr_assert_eq(sh("h1", "a=$(ip -4 -o addr show eth0 | awk '{print $4}'); p=${a%.*}; "
			      "dnsmasq --interface=eth0 --bind-interfaces --port=0 "
			      "--dhcp-range=$p.200,$p.210,255.255.255.0,1h"),
		     0, "dnsmasq in h1: %s", r.err);
	cr_assert_eq(sh("h2", "timeout 60 dhclient -1 -4 eth0 && ip -4 -o addr show eth0"), 0,
		     "dhclient in h2: %s %s", r.out, r.err);
	cr_expect(strstr(r.out, ".20") && strstr(r.out, "dynamic"), "no lease in h2: %s", r.out);
	cr_assert_eq(sh("h1", "cat /var/lib/misc/dnsmasq.leases"), 0, "%s", r.err);
	cr_expect(strstr(r.out, " h2 ") != NULL, "h1's lease file: %s", r.out);
	if (had)
		same("/var/lib/misc/dnsmasq.leases", &leases, true);
	else
		cr_expect(access("/var/lib/misc/dnsmasq.leases", F_OK) < 0);
}

/* ---------------------------------------------------------------------- explain, doctor, status */

Test(rootfs, explain_doctor_and_status_tell_about_the_hosts_roots)
{
	static char out[sizeof(r.out)];

	snprintf(LAB, sizeof(LAB), "tfe%d", (int)(getpid() % 10000));
	nl(&r, "up", "1", "--name", LAB, "--empty", "0", "--explain", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	memcpy(out, r.out, sizeof(out));
	/* the host's own id range in the idmap; printed as a comment (util-linux 2.39 needed) */
	cr_expect(strstr(out, "# host h1: own root (by hand with util-linux >= 2.39)") &&
			  strstr(out, ",X-mount.idmap=0:") && strstr(out, " / /tmp/netlab-h1/lower") &&
			  strstr(out, "mount -t overlay overlay -o lowerdir=/tmp/netlab-h1/lower,") &&
			  strstr(out, "pivot_root . . && umount -l ."),
		  "no by-hand root in:\n%s", out);
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "; own root\n"), "%s", r.out);
	cr_assert_eq(nl(&r, "status", LAB, "--json", NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"root\":\"own\""), "%s", r.out);
	nl(&r, "doctor", NULL);
	cr_expect(strstr(r.out, "ok    host roots        each host gets its own root"), "%s", r.out);
	lab_down_quiet(LAB);
	up_with("tfe", "1", "--fs", "shared");
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "; machine's root\n"), "%s", r.out);
	snprintf(out, sizeof(out), "%s/h1", LAB);
	cr_expect_eq(nl(&r, "compare", out, NULL), 1, "a shared root is not isolated: %s", r.out);
	cr_expect(strstr(r.out, "machine's (ro)") && strstr(r.out, "SHARED"), "%s", r.out);
}

/* ------------------------------------------------------------ the lower layer is locked read-only */

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "../src/ns.h"
#include "../src/rootfs.h"

/* Root of a host, in the host's own user and mount namespaces, at the moment its read-only clone
 * of / is most exposed (staged, copied, not yet under its overlay): it cannot make it writable,
 * write through it, or unmount it. Bits of the exit status: which attempt was not refused. */
static int attack_lower(int pidfd, const char *lower)
{
	struct mount_attr clr = { .attr_clr = MOUNT_ATTR_RDONLY };
	char path[128];
	int bad = 0, fd;

	if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return 64;
	if (access(lower, F_OK) < 0)
		return 32;	/* nothing to attack: the test would prove nothing */
	if (mount_setattr(AT_FDCWD, lower, 0, &clr, sizeof(clr)) == 0 || errno != EPERM)
		bad |= 1;
	if (mount("none", lower, "none", MS_REMOUNT | MS_BIND, NULL) == 0 || errno != EPERM)
		bad |= 2;
	snprintf(path, sizeof(path), "%s/etc/netlab-escape", lower);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 || errno != EROFS)
		bad |= 4;
	if (fd >= 0)
		close(fd);
	if (umount2(lower, MNT_DETACH) == 0)
		bad |= 8;
	return bad;
}

Test(rootfs, root_of_a_host_cannot_make_its_lower_layer_writable)
{
	pid_t spawner = fork();
	int status;

	cr_assert_geq(spawner, 0);
	if (spawner == 0) {
		/* this process plays the spawner: ns_spawn stages in its own private mount namespace */
		struct ns_spec spec = { .hostname = "probe", .title = "netlab-test-probe", .fs = ROOTFS_OWN };
		struct ns_child c = { .pid = 0, .pidfd = -1, .sync_fd = -1 };
		char mine[64], theirs[64], path[64];
		struct lab_error *e = NULL;
		pid_t g;
		int st = 0;

		if (ns_spawn(&spec, &c, &e) < 0)
			_exit(100);
		/* wait for the host to copy the stage (it does at its own pace) */
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)c.pid);
		for (int i = 0; i < 5000; i++) {
			ssize_t a = readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1);
			ssize_t b = readlink(path, theirs, sizeof(theirs) - 1);
			if (a > 0 && b > 0 && (a != b || memcmp(mine, theirs, (size_t)a)))
				break;
			usleep(1000);
		}
		g = fork();
		if (g == 0)
			_exit(attack_lower(c.pidfd, ROOTFS_STAGE "/a/0/lower"));
		while (waitpid(g, &st, 0) < 0 && errno == EINTR)
			;
		ns_abort(&c);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 99);
	}
	while (waitpid(spawner, &status, 0) < 0 && errno == EINTR)
		;
	cr_assert(WIFEXITED(status), "the probe died");
	cr_expect_neq(WEXITSTATUS(status), 100, "ns_spawn failed");
	cr_expect_neq(WEXITSTATUS(status), 64, "could not enter the host's namespaces");
	cr_expect_neq(WEXITSTATUS(status), 32, "no lower layer where it is staged");
	cr_expect_eq(WEXITSTATUS(status) & 1, 0, "mount_setattr cleared MOUNT_ATTR_RDONLY on the lower");
	cr_expect_eq(WEXITSTATUS(status) & 2, 0, "a rw bind remount of the lower worked");
	cr_expect_eq(WEXITSTATUS(status) & 4, 0, "a file was created through the lower");
	cr_expect_eq(WEXITSTATUS(status) & 8, 0, "the lower could be unmounted");
	cr_expect(access("/etc/netlab-escape", F_OK) < 0, "/etc/netlab-escape on the machine");
}
