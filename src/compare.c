/* netlab compare: one host beside the machine and an empty netns, namespace by namespace, as
 * rows (lesson.h); the CLI prints them. */
#include "lesson.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

#include "ipv4.h"
#include "ipv6.h"
#include "lab.h"
#include "ns.h"
#include "ping.h"
#include "reach.h"
#include "util.h"

/* ------------------------------------------------------------------------------------ compare */

/* First line of s, without its newline. */
static void first_line(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%.*s", (int)strcspn(s, "\n"), s);
}

/* `ip -6 -br addr`: the first address that is neither loopback nor link-local, else what there
 * is ("link-local only", "lo only"). */
static void summarize_ipv6(const char *raw, char *dst, size_t len)
{
	char line[256], name[32], addr[64];
	bool ll = false;

	for (const char *p = raw; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0)) {
		int off = 0;

		first_line(line, sizeof(line), p);
		if (sscanf(line, "%31s %*s %n", name, &off) < 1 || !strncmp(name, "lo", 2))
			continue;
		for (const char *a = line + off; sscanf(a, "%63s", addr) == 1; a += strspn(a, " ") + strlen(addr)) {
			if (!strncmp(addr, "fe80:", 5)) {
				ll = true;
				continue;
			}
			snprintf(dst, len, "%.*s", (int)strcspn(addr, "/"), addr);
			return;
		}
	}
	snprintf(dst, len, "%s", ll ? "link-local only" : "lo only");
}

static void summarize(const char *ns, const char *raw, char *dst, size_t len)
{
	if (!strcmp(ns, "net6")) {
		summarize_ipv6(raw, dst, len);
	} else if (!strcmp(ns, "uts")) {
		first_line(dst, len, raw);
	} else if (!strcmp(ns, "ipc")) {
		int q = 0;
		for (const char *p = raw; (p = strstr(p, "\n0x")); p++)
			q++;
		snprintf(dst, len, "%d queue%s", q, q == 1 ? "" : "s");
	} else if (!strcmp(ns, "pid")) {
		int me = 0, procs = 0;
		sscanf(raw, "%d %d", &me, &procs);
		snprintf(dst, len, "$$=%d %d procs", me, procs);
	} else if (!strcmp(ns, "mnt")) {
		int mounts = 0;
		char init[32] = "?";
		sscanf(raw, "%d %31s", &mounts, init);
		snprintf(dst, len, "%d, %s /proc", mounts, strcmp(init, "netlab-init") ? "real" : "own");
	} else if (!strcmp(ns, "root")) {
		char type[32] = "?", opts[16] = "";
		sscanf(raw, "%31s %15[a-z]", type, opts);
		snprintf(dst, len, "%s", !strcmp(type, "overlay") ? "own root"
					 : strcmp(opts, "ro") ? "machine's root" : "machine's (ro)");
	} else if (!strcmp(ns, "user")) {
		int uid = -1;
		unsigned in = 0, outside = 0, count = 0;
		sscanf(raw, "%d %u %u %u", &uid, &in, &outside, &count);
		snprintf(dst, len, "%d -> %u", uid, outside + ((unsigned)uid - in));
	} else {	/* net: interfaces, with the IPv4 address of the first that is not lo */
		char line[128], name[32], addr[48], shown[48] = "";
		int count = 0;

		for (const char *p = raw; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0)) {
			first_line(line, sizeof(line), p);
			addr[0] = '\0';
			if (sscanf(line, "%31s %*s %47s", name, addr) < 1)
				continue;
			name[strcspn(name, "@")] = '\0';
			count++;
			if (!shown[0] && strcmp(name, "lo") && strchr(addr, '.'))
				snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(addr, "/"), addr);
		}
		snprintf(dst, len, "%d if, %s", count, shown[0] ? shown : "lo only");
	}
}

static const struct {
	const char *ns;
	const char *shown;	/* what a student would type */
	const char *const argv[6];
	const char *summary;	/* how to read the output, when not as ns */
} exercises[] = {
	{ "uts", "hostname", { "hostname", NULL }, NULL },
	{ "ipc", "ipcs -q", { "ipcs", "-q", NULL }, NULL },
	{ "pid", "echo $$; ps -e", { "sh", "-c", "echo $$; ps -e --no-headers | wc -l", NULL }, NULL },
	{ "mnt", "mount; /proc/1", { "sh", "-c", "wc -l < /proc/self/mounts; cat /proc/1/comm", NULL }, NULL },
	/* the root filesystem: the host's own (an overlay), or the machine's */
	{ "mnt", "findmnt /", { "findmnt", "-n", "-o", "FSTYPE,OPTIONS", "/", NULL }, "root" },
	{ "user", "id -u; uid_map", { "sh", "-c", "id -u; cat /proc/self/uid_map", NULL }, NULL },
	{ "net", "ip -br addr", { "ip", "-br", "addr", NULL }, NULL },
	{ "net", "ip -6 -br addr", { "ip", "-6", "-br", "addr", NULL }, "net6" },
};

int lesson_compare(const struct lab *lab, size_t host, size_t other, struct compare_row **rows,
		   size_t *nrows, struct compare_row **inodes, size_t *ninodes, struct lab_error **err)
{
	const size_t nex = sizeof(exercises) / sizeof(exercises[0]);
	struct compare_row *v = calloc(nex, sizeof(*v)), *in = calloc(NS_KINDS_ALL, sizeof(*in));
	const struct lab_host *where[3] = { NULL, &lab->hosts[host],
					    other == (size_t)-1 ? NULL : &lab->hosts[other] };
	pid_t pids[3] = { getpid(), lab->hosts[host].pid, where[2] ? where[2]->pid : 0 };
	char raw[8192];
	bool silent[3] = { false, false, false };	/* a column that timed out once */
	int probe, status;

	if (!v || !in) {
		free(v);
		free(in);
		return lab_err(err, ENOMEM, "compare");
	}
	/* a message queue on the real machine, so that the IPC row has something to (not) see */
	probe = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	for (size_t e = 0; e < nex; e++) {
		/* the verdict is the kernel's: does the host's namespace differ from the machine's? */
		unsigned long mine = ns_inode(pids[1], exercises[e].ns);

		snprintf(v[e].ns, sizeof(v[e].ns), "%s", exercises[e].ns);
		snprintf(v[e].exercise, sizeof(v[e].exercise), "%s", exercises[e].shown);
		for (int w = 0; w < 3; w++) {
			if (w == 2 && !where[2]) {
				snprintf(v[e].value[w], sizeof(v[e].value[w]), "-");
				continue;
			}
			if (!silent[w]) {
				int r = lab_capture_timed(lab, where[w], (char *const *)exercises[e].argv, raw,
							  sizeof(raw), LESSON_CMD_TIMEOUT_MS, &status, err);

				if (r == -ETIMEDOUT) {
					lab_err_free(err);	/* the report says it, per cell */
					silent[w] = true;
				} else if (r < 0) {
					goto fail;
				}
			}
			if (silent[w]) {
				v[e].no_answer[w] = true;
				snprintf(v[e].value[w], sizeof(v[e].value[w]), "no answer");
				continue;
			}
			summarize(exercises[e].summary ? exercises[e].summary : exercises[e].ns, raw,
				  v[e].value[w], sizeof(v[e].value[w]));
		}
		v[e].isolated = mine && mine != ns_inode(pids[0], exercises[e].ns);
		if (exercises[e].summary && !strcmp(exercises[e].summary, "root")) {
			snprintf(v[e].value[0], sizeof(v[e].value[0]), "machine's root");
			v[e].isolated = !strncmp(v[e].value[1], "own root", 8);
		}
		snprintf(v[e].verdict, sizeof(v[e].verdict), "%s", v[e].isolated ? "isolated" : "SHARED");
	}
	for (int k = 0; k < NS_KINDS_ALL; k++) {
		struct compare_row *r = &in[k];
		unsigned long ino[3];

		snprintf(r->ns, sizeof(r->ns), "%s", ns_kinds[k].name);
		snprintf(r->exercise, sizeof(r->exercise), "ns/%s", ns_kinds[k].name);
		for (int w = 0; w < 3; w++) {
			ino[w] = pids[w] ? ns_inode(pids[w], ns_kinds[k].name) : 0;
			snprintf(r->value[w], sizeof(r->value[w]), ino[w] ? "%lu" : "-", ino[w]);
		}
		r->isolated = ino[1] && ino[1] != ino[0];
		snprintf(r->verdict, sizeof(r->verdict), "%s",
			 r->isolated ? "isolated" : k < NS_KINDS ? "SHARED" : "shared (not requested)");
	}
	if (probe >= 0)
		msgctl(probe, IPC_RMID, NULL);
	*rows = v;
	*nrows = nex;
	*inodes = in;
	*ninodes = NS_KINDS_ALL;
	return 0;
fail:
	if (probe >= 0)
		msgctl(probe, IPC_RMID, NULL);
	free(v);
	free(in);
	return -1;
}
