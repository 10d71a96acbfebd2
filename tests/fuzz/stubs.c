/* The fuzz target links the topology parser, which needs hostsetup.c (hostsetup_free,
 * hostsetup_sysctl_path) for files:, sysctls: and exec:. hostsetup.c also runs commands inside
 * hosts, which no parser does: those calls end here, and end the run if a parser ever made one. */
#include <stdlib.h>

#include "../../src/lab.h"
#include "../../src/ns.h"

int lab_exec(const struct lab *lab, const struct lab_host *h, char *const argv[],
	     const char *const env[], int *out_status, struct lab_error **err)
{
	(void)lab, (void)h, (void)argv, (void)env, (void)out_status, (void)err;
	abort();
}

void lab_exec_deadline_waiter(void)
{
	abort();
}

int ns_enter(int pidfd, int extra_flags, struct lab_error **err)
{
	(void)pidfd, (void)extra_flags, (void)err;
	abort();
}

int ns_become_root(struct lab_error **err)
{
	(void)err;
	abort();
}

int lab_capture_timed(const struct lab *lab, const struct lab_host *h, char *const argv[], char *out,
		      size_t len, int timeout_ms, int *out_status, struct lab_error **err)
{
	(void)lab, (void)h, (void)argv, (void)out, (void)len, (void)timeout_ms, (void)out_status;
	(void)err;
	abort();
}
