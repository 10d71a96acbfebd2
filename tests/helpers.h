/* Test helpers: run commands for real and capture what they print. */
#ifndef NETLAB_TEST_HELPERS_H
#define NETLAB_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct run {
	int status;		/* exit code, or 128+signal */
	char out[1 << 16];
	char err[1 << 14];
};

/* Run argv (NULL-terminated), wait, capture stdout/stderr. Returns r->status. */
int run_argv(struct run *r, char *const argv[]);
/* Same with a NULL-terminated list of words: run(r, "ip", "-br", "link", NULL). */
int run(struct run *r, const char *first, ...) __attribute__((sentinel));
/* The netlab binary under test: $NETLAB, or ./netlab. */
const char *netlab_bin(void);
/* netlab with arguments: nl(r, "up", "2", NULL). */
int nl(struct run *r, const char *first, ...) __attribute__((sentinel));
/* netlab exec LAB/HOST -- sh -c SCRIPT */
int nl_sh(struct run *r, const char *lab, const char *host, const char *script);

/* Bring a lab up (asserting success) and take it down in fini. */
void lab_up_or_die(const char *lab, const char *subnet, const char *hosts, const char *empty);
void lab_down_quiet(const char *lab);

/* Remove a test's temporary directory and all below it, following no link (nftw FTW_PHYS). */
void rm_tree(const char *dir);

/* Bring up a lab named PREFIX<pid> (unique per test process) on the default subnet; asserts. */
void lab_up_unique(char name[16], const char *prefix, const char *hosts, const char *empty);

struct lab;	/* src/state.h */

/* A lab of four hosts for the tests that need no kernel (the state file, the expected reach): h1
 * on lan1, r1 (a router) on lan1 and lan2, h2 on lan2, e1 empty; lan1 with IPv6, lan2 IPv4 only;
 * no route. Named "lab", number 7, from a file. Its segments and hosts are static arrays of
 * helpers.c: one such lab at a time, never freed. */
void sample_lab(struct lab *out);

/* "LAB/HOST", as netlab's commands name a host, in one of four static buffers used in turn (so
 * up to four can be in one call's arguments). */
const char *lab_host(const char *lab, const char *host);
/* "LAB-HOST", the host's name under /run/netns (`ip -n`), in one of two static buffers used in
 * turn. */
const char *lab_netns(const char *lab, const char *host);

/* PID of a host's init from the state file; 0 if none. */
pid_t host_pid(const char *lab, const char *host);

/* From the lab's state file (so before `down`): its number (0: none), the machine's name of a
 * segment's bridge (seg NULL: the first segment's), of the machine's end of a host's ethK. */
unsigned state_number(const char *lab);
bool state_bridge(const char *lab, const char *seg, char out[16]);
bool state_veth(const char *lab, const char *host, int k, char out[16]);

/* Does anything of this lab remain: interfaces whose alias is netlab:LAB:* (or named LAB-*, as
 * netlabs before numbered interface names made them), /run/netns/LAB-* (as files, or as
 * mounts in this process's mount table, reachable or not), /run/netlab/LAB, live (non-zombie)
 * processes among pids, its nftables table, a process of its hosts, cgroups netlab/LAB? Describes
 * the first leftover in what. A check that cannot run (`ip` failing) counts as a leftover. */
bool lab_leftovers(const char *lab, const pid_t *pids, size_t npids, char *what, size_t len);

/* Count lines of s that contain needle. */
int count_lines(const char *s, const char *needle);

/* The inode of /proc/PID/ns/NS (pid 0: our own), 0 when it cannot be read. */
unsigned long inode_of(pid_t pid, const char *ns);

/* Assert that nothing of lab is left (lab_leftovers), naming the first leftover. */
void assert_lab_gone(const char *lab, const pid_t *pids, size_t n);

/* Move the test process into a mount namespace of its own whose mounts are private: `ip netns add`,
 * a tmpfs over /run/netns, a mount stacked on a host's entry then change only the test's mount
 * table, never the machine's or the other tests' (the test process and the netlab it runs share
 * it). The lab, the files under /run/netns and the commands are real. */
void own_mount_ns(void);

/* Is path a mount point in this process's mount table? */
bool is_mount_point(const char *path);

/* `ip netns add` (and `del`) while a lab is up: /run/netns becomes a shared recursive bind mount
 * of itself, which covers the lab's mounts with copies. Call after own_mount_ns. */
void cover_with_ip_netns(void);

/* `netlab clean` removes every crashed lab, not only the test's: a test that crashes a lab and
 * wants its own `clean` to be the one that removes it holds this lock from the crash until that
 * clean has run (the other tests that run clean hold it too). An flock on the netlab binary: no
 * file of its own. Returns the fd to close, which releases it. */
int clean_lock(void);

/* `netlab up 2 --name LAB --subnet SUBNET`, stopped (SIGSTOP) at its step `step`
 * (NETLAB_STOP_AT): a test can kill it exactly there. Returns its PID. */
pid_t start_stopped_up(const char *lab, const char *subnet, int step);

#endif
