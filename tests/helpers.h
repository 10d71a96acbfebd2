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

/* Bring up a lab named PREFIX<pid> (unique per test process) on the default subnet; asserts. */
void lab_up_unique(char name[16], const char *prefix, const char *hosts, const char *empty);

/* PID of a host's init from the state file; 0 if none. */
pid_t host_pid(const char *lab, const char *host);

/* Does anything of this lab remain: interfaces named LAB-*, /run/netns/LAB-* (as files, or as
 * mounts in this process's mount table, reachable or not), /run/netlab/LAB, live (non-zombie)
 * processes among pids, its nftables table, a process of its hosts, cgroups netlab/LAB? Describes
 * the first leftover in what. A check that cannot run (`ip` failing) counts as a leftover. */
bool lab_leftovers(const char *lab, const pid_t *pids, size_t npids, char *what, size_t len);

/* Count lines of s that contain needle. */
int count_lines(const char *s, const char *needle);

#endif
