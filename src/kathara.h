/* Kathará lab directories, read as they are: lab.conf (devices, collision domains, options) and
 * lab.dep (startup order). The formats are Kathará's own (its manual pages kathara-lab.conf(5) and
 * kathara-lab.dep(5), and its parser, which this one follows line for line in what it accepts).
 * Parsing only: nothing here creates anything; turning a lab into hosts is the lab layer's job. */
#ifndef NETLAB_KATHARA_H
#define NETLAB_KATHARA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Kathará's own limits: a device name is [a-z0-9_]{1,30}; a collision domain name is \w+ (we bound
 * it, Kathará does not); interfaces are numbered eth0.. without gaps. */
#define KATHARA_DEVICE_MAX 30
#define KATHARA_DOMAIN_MAX 64
#define KATHARA_IFACES_MAX 64
#define KATHARA_DEVICES_MAX 1000
#define KATHARA_FILE_MAX (1 << 20)

struct kathara_iface {
	char domain[KATHARA_DOMAIN_MAX + 1];	/* the collision domain ethN is on */
	bool has_mac;
	uint8_t mac[6];
	unsigned line;				/* where lab.conf says so */
};

/* One key=value a device was given more than once keeps the last value, as Kathará does. */
struct kathara_kv {
	char *key;
	char *value;
};

struct kathara_device {
	char name[KATHARA_DEVICE_MAX + 1];
	unsigned line;				/* first line that names it; 0: only a directory or
						 * a .startup file names it */
	size_t nifaces;				/* eth0..eth(nifaces-1), no gaps (checked) */
	struct kathara_iface *ifaces;
	char *image;				/* [image], NULL when not given */
	char *mem, *cpus, *shell;		/* [mem], [cpus], [shell] as written, or NULL */
	int ipv6;				/* [ipv6]: -1 not given, 0 false, 1 true */
	bool bridged;				/* [bridged]=true: never honoured (traffic stays in) */
	size_t nports;				/* [port] lines: never honoured either */
	size_t nsysctls;			/* [sysctl]="net.x.y=v", net. only, last one wins */
	struct kathara_kv *sysctls;
	size_t nenvs;				/* [env]="NAME=value" */
	struct kathara_kv *envs;
	size_t nexecs;				/* [exec]="command", in file order */
	char **execs;
	size_t nunknown;			/* options we accept and do not use (num_terms, ...) */
	char **unknown;
	/* what kathara_load_dir found in the lab's directory for it */
	bool has_dir;				/* DIR/NAME/: laid over its root */
	bool has_startup, has_shutdown;		/* DIR/NAME.startup, DIR/NAME.shutdown */
};

struct kathara_lab {
	char *description, *version, *author, *email, *web;	/* LAB_* metadata, or NULL */
	size_t ndevices;
	struct kathara_device *devices;		/* in the order lab.conf first names them */
	size_t *order;				/* startup order (lab.dep), ndevices indexes; NULL
						 * when there is no lab.dep: any order */
	size_t ndeps;				/* lab.dep: deps[i] (i < ndeps) lists the devices */
	size_t **deps;				/* device i waits for (indexes, (size_t)-1 after the
						 * last), or is NULL; deps NULL without lab.dep */
	/* what kathara_load_dir found in the lab's directory (all false after kathara_parse_conf) */
	bool has_shared;			/* DIR/shared/: /shared in every device */
	bool has_shared_startup, has_shared_shutdown;	/* DIR/shared.startup, .shutdown */
	size_t nstrays;				/* DIR/X/ and DIR/X.startup or .shutdown where X is no
						 * device of lab.conf: Kathará ignores them (e.g. a
						 * P4 lab's images/), and so does netlab; sorted */
	char **strays;
};

/* Parse lab.conf text (need not be NUL-terminated). `where` names the file in errors, which read
 * "DIR/lab.conf:12: ..." and are all the user's to fix (usage errors, exit 2). On success *out owns its
 * memory (kathara_lab_free). On failure *out is left empty. */
int kathara_parse_conf(const char *text, size_t len, const char *where, struct kathara_lab *out,
		       struct lab_error **err);

/* Parse lab.dep text ("dev: dep1 dep2" lines) against a parsed lab, set lab->deps to what each
 * device waits for and lab->order to an order in which every device starts after those it depends
 * on (devices lab.dep does not name keep their lab.conf order). A name lab.dep uses that is no device, a syntax error, or a loop is an error
 * "lab.dep:3: ..." (a usage error). */
int kathara_parse_dep(const char *text, size_t len, const char *where, struct kathara_lab *lab,
		      struct lab_error **err);

/* Add a device that only the directory names (DIR/NAME/ or DIR/NAME.startup), if lab.conf did not:
 * what Kathará does for a directory without lab.conf (its --force-lab). Returns 1 when added, 0
 * when already there, < 0 for a name Kathará would not accept. */
int kathara_add_device(struct kathara_lab *lab, const char *name, struct lab_error **err);

/* Read DIR/lab.conf (required) and DIR/lab.dep (optional), and note which of the devices' files
 * the directory has (has_dir, has_startup, ...). As in Kathará, the devices are those lab.conf
 * names: a directory or .startup file of another name is no device (listed in strays).
 * Refuses DIR/lab.ext (physical interfaces: lab traffic never leaves the machine). Errors as above;
 * a file that cannot be read sets errnum. */
int kathara_load_dir(const char *dir, struct kathara_lab *out, struct lab_error **err);

/* The device called name, or NULL. */
struct kathara_device *kathara_device_find(const struct kathara_lab *lab, const char *name);

/* What an image implies on this machine: the Debian packages that give its software
 * (space-separated, "" for a plain image), or NULL with *why set when Debian 12 ships no such
 * software (e.g. Quagga, P4's bmv2, POX). Unknown images give "" (nothing known to check). */
const char *kathara_image_packages(const char *image, const char **why);

void kathara_lab_free(struct kathara_lab *lab);

#endif
