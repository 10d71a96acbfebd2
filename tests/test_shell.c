/* `netlab shell`: an interactive shell on a terminal, inside its host. */
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

Test(shell, an_interactive_shell_on_a_terminal_has_the_host_in_its_prompt, .timeout = 60)
{
	char lab[16], cmd[128];

	lab_up_unique(lab, "tsh", "1", "0");
	/* script(1) gives the shell a real terminal; the commands come in on it */
	snprintf(cmd, sizeof(cmd), "printf 'echo MARK$((40+2)); hostname; exit\\n' | "
		 "script -qfec '%s shell %s/h1' /dev/null", netlab_bin(), lab);
	run(&r, "sh", "-c", cmd, NULL);
	lab_down_quiet(lab);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "root@h1:"), "no root@h1 prompt in:\n%s", r.out);
	cr_assert(strstr(r.out, "MARK42"), "%s", r.out);
	cr_assert(strstr(r.out, "\nh1\r\n") || strstr(r.out, "\nh1\n"), "hostname inside: %s", r.out);
}
