/* `netlab verify`: a healthy lab passes; labs broken on purpose (a link down, an interface moved or
 * pushed in, a process in another host's or the machine's namespace, a host answering for another,
 * names with escape sequences) fail exactly the checks they break. On real labs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;
static char LAB[16];
static void down(void) { lab_down_quiet(LAB); }
static void up3(void) { lab_up_unique(LAB, "tvf", "3", "1"); }
static const char *host(const char *h) { return lab_host(LAB, h); }
static const char *netns(const char *h) { return lab_netns(LAB, h); }

TestSuite(verify, .timeout = 60);

Test(verify, verify_passes_on_a_healthy_lab, .init = up3, .fini = down)
{
	struct json_object *root, *v;

	cr_assert_eq(nl(&r, "verify", LAB, NULL), 0, "%s%s", r.out, r.err);
	/* 4 hosts x (running + 6 namespaces + links) + 6 networked pairs + 1 empty host
	 * + IPv6 reachability of the 3 networked hosts */
	cr_assert_eq(count_lines(r.out, "PASS"), 42, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches all over IPv6"), 3, "%s", r.out);
	cr_assert(strstr(r.out, "\n42 passed, 0 failed\n"), "%s", r.out);
	cr_assert_eq(nl(&r, "verify", LAB, "--json", NULL), 0);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "failed", &v) && json_object_get_int(v) == 0);
	cr_assert(json_object_object_get_ex(root, "checks", &v) && json_object_array_length(v) == 42);
	json_object_put(root);
}

Test(verify, eth0_down_in_h2_fails_exactly_the_h2_checks_and_pairs, .init = up3, .fini = down)
{
	struct json_object *root, *v;
	size_t mismatches = 0;

	cr_assert_eq(nl(&r, "exec", host("h2"), "--", "ip", "link", "set", "eth0", "down", NULL), 0);
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.3", NULL), 1, "%s", r.out);
	/* h2's link check, the 4 IPv4 pairs with h2, and the IPv6 line of each networked host */
	cr_assert_eq(count_lines(r.out, "FAIL"), 8, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   lo, eth0 up"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   reaches h"), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches h2 "), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches all over IPv6"), 3, "%s", r.out);
	cr_assert(strstr(r.out, "34 passed, 8 failed"), "%s", r.out);

	cr_assert_eq(nl(&r, "pingall", LAB, "-W", "0.3", "--json", NULL), 1, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "matrix", &v));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i), *f, *t, *e, *g;
		json_object_object_get_ex(p, "from", &f);
		json_object_object_get_ex(p, "to", &t);
		json_object_object_get_ex(p, "expected", &e);
		json_object_object_get_ex(p, "reachable", &g);
		if (json_object_get_boolean(e) != json_object_get_boolean(g)) {
			mismatches++;
			cr_assert(!strcmp(json_object_get_string(f), "h2") ||
					  !strcmp(json_object_get_string(t), "h2"),
				  "%s -> %s is not an h2 pair", json_object_get_string(f),
				  json_object_get_string(t));
		}
	}
	cr_assert_eq(mismatches, 4);
	json_object_put(root);
	/* and it heals */
	cr_assert_eq(nl(&r, "exec", host("h2"), "--", "ip", "link", "set", "eth0", "up", NULL), 0);
	cr_assert_eq(nl(&r, "pingall", LAB, "-W", "2", NULL), 0, "%s", r.out);
}

Test(verify, an_interface_moved_from_h2_into_h1_is_caught, .init = up3, .fini = down)
{
	cr_assert_eq(run(&r, "ip", "-n", netns("h2"), "link", "set", "eth0", "netns", netns("h1"),
			 "name", "eth9", NULL), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.3", NULL), 1);
	cr_assert_eq(count_lines(r.out, "FAIL  h1   lo, eth0 up"), 1, "h1 has a third link:\n%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   lo, eth0 up"), 1, "h2 lost eth0:\n%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h1   reaches h3"), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL"), 9, "2 link checks + the 4 h2 pairs + 3 IPv6 lines:\n%s",
		     r.out);
	cr_assert_eq(count_lines(r.out, "PASS  h1   net namespace isolated"), 1, "%s", r.out);
}

Test(verify, an_interface_pushed_into_the_empty_host_is_caught, .init = up3, .fini = down)
{
	cr_assert_eq(run(&r, "ip", "link", "add", "tlx0", "type", "veth", "peer", "name", "x0", "netns",
			 netns("e1"), NULL), 0, "%s", r.err);
	nl(&r, "verify", LAB, "-W", "0.3", NULL);
	int first = r.status, first_caught = count_lines(r.out, "FAIL  e1   only lo");
	run(&r, "ip", "link", "del", "tlx0", NULL);
	cr_assert_eq(first, 1, "an interface pushed into e1 fails verify");
	cr_assert_eq(first_caught, 1, "and it is e1's 'only lo' check that fails");
	nl(&r, "verify", LAB, "-W", "0.3", NULL);
	cr_assert_eq(r.status, 0, "removing it heals the lab: %s", r.out);
	cr_assert_eq(run(&r, "ip", "link", "add", "tlx1", "type", "veth", "peer", "name", "x1", "netns",
			 netns("e1"), NULL), 0, "%s", r.err);
	nl(&r, "verify", LAB, "-W", "0.3", NULL);
	int status = r.status;
	int fails = count_lines(r.out, "FAIL"), caught = count_lines(r.out, "FAIL  e1   only lo");
	run(&r, "ip", "link", "del", "tlx1", NULL);
	cr_assert_eq(status, 1);
	cr_assert_eq(fails, 1);
	cr_assert_eq(caught, 1);
}

/* Run argv in the background (our child); returns its pid. */
static pid_t bg(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop_bg(pid_t pid)
{
	kill(-pid, SIGKILL);	/* its process group: nsenter and the command it forked */
	waitpid(pid, NULL, 0);
}

Test(verify, a_process_of_h2_joined_to_h1s_netns_is_caught, .init = up3, .fini = down)
{
	char pidarg[32], netarg[64];
	pid_t p;

	snprintf(pidarg, sizeof(pidarg), "%d", (int)host_pid(LAB, "h2"));
	snprintf(netarg, sizeof(netarg), "--net=/run/netns/%s", netns("h1"));
	char *argv[] = { "nsenter", "-t", pidarg, "-m", "-p", "-u", "-i", netarg, "sleep", "30", NULL };
	p = bg(argv);
	usleep(200000);
	nl(&r, "verify", LAB, "-W", "0.5", NULL);
	stop_bg(p);
	/* joining h1's netns from outside means staying in the machine's user namespace (inside
	 * h2's, it would have no right to h1's netns): both are reported, and nothing else */
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL"), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   net namespace isolated"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h2   user namespace isolated"), 1, "%s", r.out);
	cr_assert(strstr(r.out, "(sleep) is in h1's net namespace"), "%s", r.out);
	cr_assert(strstr(r.out, "(sleep) is in the machine's user namespace"), "%s", r.out);
}

Test(verify, a_process_of_h1_left_in_the_machines_ipc_namespace_is_caught,
     .init = up3, .fini = down)
{
	char pidarg[32], qid[32] = "";
	pid_t p;

	snprintf(pidarg, sizeof(pidarg), "%d", (int)host_pid(LAB, "h1"));
	/* inside h1 in every way but IPC: the queue it makes is the real machine's */
	char *argv[] = { "nsenter", "-t", pidarg, "-U", "-m", "-p", "-u", "-n",
			 "sh", "-c", "ipcmk -Q > /tmp/netlab-ipc-probe; exec sleep 30", NULL };
	p = bg(argv);
	usleep(300000);
	nl(&r, "verify", LAB, "-W", "0.5", NULL);
	char path[96];
	/* the shell wrote into h1's own /tmp: read it through h1's root */
	snprintf(path, sizeof(path), "/proc/%s/root/tmp/netlab-ipc-probe", pidarg);
	FILE *f = fopen(path, "r");
	if (f) {
		(void)!fscanf(f, "Message queue id: %31s", qid);
		fclose(f);
		unlink(path);
	}
	stop_bg(p);
	if (qid[0]) {
		static struct run rm;
		run(&rm, "ipcrm", "-q", qid, NULL);	/* leave the machine's IPC as it was */
	}
	cr_assert(qid[0], "no queue was made");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "FAIL  h1   ipc namespace isolated"), 1, "%s", r.out);
	cr_assert(strstr(r.out, "is in the machine's ipc namespace"), "%s", r.out);
}

Test(verify, a_large_lab_gets_one_reachability_line_per_host, .timeout = 60)
{
	char lab[16];

	lab_up_unique(lab, "tbig", "20", "0");
	nl(&r, "verify", lab, "-W", "2", NULL);
	lab_down_quiet(lab);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches every networked host"), 20, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "19 of 19 as expected (19 should answer)"), 40, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "reaches all over IPv6"), 20, "%s", r.out);
	cr_assert_eq(count_lines(r.out, " reaches h"), 0, "no per-pair lines above 16 hosts");
	cr_assert(strstr(r.out, "200 passed, 0 failed"), "%s", r.out);
}

/* Issue 19.7: names made inside a host reach the terminal escaped, never as raw escape codes. */
Test(verify, escape_sequences_made_inside_a_host_are_printed_escaped, .init = up3, .fini = down)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "ip link add name \"$(printf '\\033]0;X\\a\\033[2K')\" type veth "
			   "peer name \"$(printf 'tv\\377')\" && python3 -c 'import socket; "
			   "socket.sethostname(b\"h\\x1b[2Kx\\xc2\\x9by\\xff\")'"), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "status", LAB, NULL), 0, "%s", r.err);
	cr_assert(!strchr(r.out, '\033') && !strchr(r.out, '\a'), "raw escape in status:\n%s", r.out);
	cr_assert(strstr(r.out, "\\x1b]0;X\\x07\\x1b[2K(down)"), "%s", r.out);
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.5", NULL), 1, "%s", r.out);
	cr_assert(!strchr(r.out, '\033') && !strchr(r.out, '\a'), "raw escape in verify:\n%s", r.out);
	cr_assert(strstr(r.out, "\\x1b]0;X\\x07\\x1b[2K(down)"), "%s", r.out);
	cr_assert_eq(nl(&r, "compare", host("h1"), NULL), 0, "%s", r.err);
	cr_assert(!strchr(r.out, '\033') && !strstr(r.out, "\302\233") && !strstr(r.out, "\377"),
		  "raw bytes in compare:\n%s", r.out);
	cr_assert(strstr(r.out, "h\\x1b[2Kx\\xc2\\x9b"), "the column's 17 characters:\n%s", r.out);
	cr_assert_eq(nl(&r, "compare", host("h1"), "--json", NULL), 0, "%s", r.err);
	cr_assert(!strchr(r.out, '\033'), "%s", r.out);
	/* JSON has its own escaping, and keeps the name whole */
	cr_assert_eq(nl(&r, "verify", LAB, "-W", "0.5", "--json", NULL), 1);
	cr_assert(strstr(r.out, "\\u001b]0;X\\u0007\\u001b[2K(down)"), "%s", r.out);
	/* invalid UTF-8 stays valid JSON: the stray byte 0xff reads back as U+00FF */
	{
		struct json_tokener *tok = json_tokener_new();
		struct json_object *root, *checks, *ev;
		bool found = false;

		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		root = json_tokener_parse_ex(tok, r.out, (int)strlen(r.out));
		cr_assert_not_null(root, "invalid JSON (%s): %s",
				   json_tokener_error_desc(json_tokener_get_error(tok)), r.out);
		json_tokener_free(tok);
		cr_assert(json_object_object_get_ex(root, "checks", &checks));
		for (size_t i = 0; i < json_object_array_length(checks); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(checks, i), "evidence", &ev) &&
			    strstr(json_object_get_string(ev), "tv\xc3\xbf(down)"))
				found = true;
		cr_assert(found, "tv\\xff as U+00FF: %s", r.out);
		json_object_put(root);
	}
}

/* Issue 18: evidence is never cut: JSON carries all of it, and so does the table. */
Test(verify, verify_evidence_is_whole_in_json_and_text, .init = up3, .fini = down)
{
	char want[96] = "";

	cr_assert_eq(nl_sh(&r, LAB, "h1", "for i in 101 102 103 104 105 106 107 108; do "
			   "ip addr add \"$(ip -4 -br addr show eth0 | awk '{print $3}' | cut -d. -f1-3).$i/24\" "
			   "dev eth0; done"), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "exec", host("h1"), "--", "ip", "-6", "-br", "addr", "show", "eth0", "scope",
			"link", NULL), 0);
	cr_assert(sscanf(r.out, "%*s %*s %80s", want) == 1, "%s", r.out);
	cr_assert_eq(nl(&r, "verify", LAB, "--json", NULL), 0, "%s", r.out);
	/* the link-local address comes last, after 10 others: past any fixed cut */
	cr_assert(strstr(r.out, want), "%s missing (cut?) in:\n%s", want, r.out);
	cr_assert_eq(nl(&r, "verify", LAB, NULL), 0, "%s", r.out);
	cr_assert(strstr(r.out, want), "%s missing (cut?) in:\n%s", want, r.out);
}
