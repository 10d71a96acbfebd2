/* Kathará lab directories on disk: lab.conf, lab.dep and the devices' directories and files read
 * together (kathara_load_dir), and what an image implies on this machine. */
#include "kathara.h"
#include "kathara_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* Read a whole small file; -ENOENT quietly when it does not exist and may_miss. */
static int slurp(const char *path, bool may_miss, char **out, size_t *out_len,
		 struct lab_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return may_miss && errno == ENOENT ? -ENOENT : lab_err(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0)
		return lab_err(err, errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return lab_err(err, 0, "%s: not a regular file", path);
	if (st.st_size > KATHARA_FILE_MAX)
		return lab_err(err, 0, "%s: larger than %d bytes", path, KATHARA_FILE_MAX);
	if (!(buf = malloc((size_t)st.st_size + 1)))
		return lab_err(err, ENOMEM, "read %s", path);
	if ((n = util_read_all(fd, buf, (size_t)st.st_size)) < 0)
		return lab_err(err, errno, "read %s", path);
	buf[n] = '\0';
	*out_len = (size_t)n;
	*out = TAKE_PTR(buf);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file or directory of the lab's directory: shared/, shared.startup, NAME/, NAME.startup... */
static int note_entry(struct kathara_lab *lab, const char *entry, bool is_dir,
		      struct lab_error **err)
{
	static const char *const kinds[] = { ".startup", ".shutdown" };
	size_t len = strlen(entry), n = len;
	int kind = -1;	/* -1: a directory; 0, 1: kinds[] */
	struct kathara_device *d;
	char name[KATHARA_DEVICE_MAX + 1];

	for (size_t k = 0; !is_dir && k < sizeof(kinds) / sizeof(*kinds); k++) {
		size_t kl = strlen(kinds[k]);

		if (len > kl && !strcmp(entry + len - kl, kinds[k])) {
			kind = (int)k;
			n = len - kl;
		}
	}
	if (!is_dir && kind < 0)
		return 0;
	if (!kathara_is_device_name(entry, n))
		return 0;	/* not a name Kathará would take for a device either */
	memcpy(name, entry, n);
	name[n] = '\0';
	if (!strcmp(name, "shared")) {
		if (kind < 0)
			lab->has_shared = true;
		else if (kind == 0)
			lab->has_shared_startup = true;
		else
			lab->has_shared_shutdown = true;
		return 0;
	}
	if (!(d = kathara_device_find(lab, name))) {
		for (size_t i = 0; i < lab->nstrays; i++)
			if (!strcmp(lab->strays[i], name))
				return 0;
		return kathara_str_push(&lab->strays, &lab->nstrays, name) < 0
			       ? lab_err(err, ENOMEM, "note %s", entry) : 0;
	}
	if (kind < 0)
		d->has_dir = true;
	else if (kind == 0)
		d->has_startup = true;
	else
		d->has_shutdown = true;
	return 0;
}

static int scan_dir(const char *dir, struct kathara_lab *lab, struct lab_error **err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (!d)
		return lab_err(err, errno, "open directory %s", dir);
	while (r >= 0 && (e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		/* a symbolic link is followed, as Kathará's glob and isfile do */
		if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
		    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			continue;
		r = note_entry(lab, e->d_name, S_ISDIR(st.st_mode), err);
	}
	closedir(d);
	/* readdir's order is the filesystem's: sort, so the same lab says the same */
	if (lab->nstrays)
		qsort(lab->strays, lab->nstrays, sizeof(*lab->strays), str_cmp);
	return r < 0 ? r : 0;
}

int kathara_load_dir(const char *dir, struct kathara_lab *out, struct lab_error **err)
{
	char path[4096];
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct stat st;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/lab.ext", dir);
	if (stat(path, &st) == 0)
		return lab_err(err, 0, "%s: lab.ext connects collision domains to the machine's "
				"physical interfaces; netlab keeps lab traffic inside the lab, so it "
				"does not run such labs", path);
	snprintf(path, sizeof(path), "%s/lab.conf", dir);
	if ((r = slurp(path, false, &text, &len, err)) < 0)
		return r;
	if (kathara_parse_conf(text, len, path, out, err) < 0)
		return -1;
	if (scan_dir(dir, out, err) < 0)
		goto fail;
	free(TAKE_PTR(text));
	snprintf(path, sizeof(path), "%s/lab.dep", dir);
	r = slurp(path, true, &text, &len, err);
	if (r < 0 && r != -ENOENT)
		goto fail;
	if (r == 0 && kathara_parse_dep(text, len, path, out, err) < 0)
		goto fail;
	return 0;
fail:
	kathara_lab_free(out);
	return -1;
}

/* Images of Kathará's own (hub.docker.com/u/kathara) and what gives their software on Debian 12. */
static const struct {
	const char *image;
	const char *packages;	/* NULL: Debian 12 has no such software */
	const char *why;
} images[] = {
	{ "kathara/base", "", NULL },
	{ "kathara/frr", "frr", NULL },
	{ "kathara/bird", "bird2", NULL },
	{ "kathara/bind", "bind9", NULL },
	{ "kathara/openbgpd", "openbgpd", NULL },
	{ "kathara/quagga", NULL, "Quagga is not in Debian 12 (FRR replaced it): run the FRR "
				  "version of the lab (image kathara/frr)" },
	{ "kathara/sdn", "openvswitch-switch", NULL },
	{ "kathara/p4", NULL, "P4's software switch (bmv2 simple_switch) is not in Debian 12" },
	{ "kathara/pox", NULL, "the POX SDN controller is not in Debian 12" },
};

const char *kathara_image_packages(const char *image, const char **why)
{
	size_t n = strcspn(image, ":@");	/* no tag or digest */

	*why = NULL;
	for (size_t i = 0; i < sizeof(images) / sizeof(*images); i++)
		if (strlen(images[i].image) == n && !strncmp(images[i].image, image, n)) {
			*why = images[i].why;
			return images[i].packages;
		}
	return "";
}
