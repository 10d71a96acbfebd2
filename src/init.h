/* The PID 1 of every host: reaps orphans, ends on SIGTERM/SIGINT (modelled on tini). */
#ifndef NETLAB_INIT_H
#define NETLAB_INIT_H

/* Never returns: exits 0 on SIGTERM/SIGINT (the kernel then kills the rest of the namespace). */
__attribute__((noreturn)) void init_run(void);

#endif
