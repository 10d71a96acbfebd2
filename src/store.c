/* The /run/netlab store (lab.h): a root-only directory, one subdirectory per lab. flock on the top
 * directory serialises allocation (names, numbers, subnets); flock on a lab's directory is held by
 * whoever builds or tears that lab down. */
#include "lab_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static int check_private_dir(int fd, const char *path, struct lab_error **err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return lab_err(err, errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		return lab_err(err, 0, "refusing to use %s: not a root-owned directory with mode 0700 "
				       "(remove it and run netlab again)", path);
	return 0;
}

/* Open (creating if needed) /run/netlab, locked exclusively. Returns the fd. */
int run_dir_lock(bool create, struct lab_error **err)
{
	for (int tries = 0; tries < 100; tries++) {
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (create && mkdir(LAB_RUN_DIR, 0700) < 0 && errno != EEXIST)
			return lab_err(err, errno, "create %s", LAB_RUN_DIR);
		fd = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && !create)
				return -ENOENT;
			if (errno == ENOENT)
				continue;	/* removed between mkdir and open */
			return lab_err(err, errno, "open %s", LAB_RUN_DIR);
		}
		if (check_private_dir(fd, LAB_RUN_DIR, err) < 0)
			return -1;
		if (TEMP_FAILURE_RETRY(flock(fd, LOCK_EX)) < 0)
			return lab_err(err, errno, "lock %s", LAB_RUN_DIR);
		/* the last `down` may have removed it while we waited for the lock */
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return TAKE_FD(fd);
	}
	return lab_err(err, EAGAIN, "lock %s", LAB_RUN_DIR);
}

/* Remove /run/netlab and /run/netns if they are empty: leave the machine as it was. */
void remove_empty_dirs(void)
{
	_cleanup_close_ int fd = run_dir_lock(false, NULL);

	/* only when no other lab is up or being built, under the lock an `up` reserves under: a
	 * concurrent `up` may be between making /run/netns and its hosts' mount points there.
	 * rmdir fails with ENOTEMPTY while other labs are up; /run/netns goes only after it, and
	 * fails if not empty or if it is a mount point (iproute2's) */
	if (fd >= 0 && rmdir(LAB_RUN_DIR) == 0)
		rmdir(LAB_NETNS_DIR);
}

int open_lab_dir(int rundir, const char *name, struct lab_error **err)
{
	int fd = openat(rundir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		if (errno == ELOOP || errno == ENOTDIR)
			return lab_err(err, errno, "%s/%s is not a directory", LAB_RUN_DIR, name);
		return lab_err(err, errno, "open %s/%s", LAB_RUN_DIR, name);
	}
	return fd;
}

int read_state_at(int labfd, const char *name, struct lab *out, struct lab_error **err)
{
	char where[128];
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;
	int r;

	snprintf(where, sizeof(where), "%s/%s/state", LAB_RUN_DIR, name);
	if (check_private_dir(labfd, where, err) < 0)
		return -1;
	fd = openat(labfd, "state", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return lab_err(err, ELOOP, "%s is a symbolic link; refusing to read it", where);
		return lab_err(err, errno, "open %s", where);
	}
	if (fstat(fd, &st) < 0)
		return lab_err(err, errno, "stat %s", where);
	if (!S_ISREG(st.st_mode) || st.st_size > 1 << 20)
		return lab_err(err, 0, "%s is not a regular state file", where);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return lab_err(err, ENOMEM, "read %s", where);
	n = util_read_all(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return lab_err(err, errno, "read %s", where);
	buf[n] = '\0';
	r = state_parse(buf, where, out, err);
	if (r == 0 && strcmp(out->name, name)) {
		state_free(out);
		return lab_err(err, 0, "%s names lab '%s'", where, out->name);
	}
	return r;
}

int write_state_at(int labfd, const struct lab *lab, struct lab_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (state_format(lab, &text, &len, err) < 0)
		return -1;
	return util_write_atomic(labfd, "state", text, len, 0600, err);
}

int lab_load(const char *name, struct lab *out, struct lab_error **err)
{
	_cleanup_close_ int rundir = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int labfd = -1;

	if (rundir < 0) {
		if (errno == ENOENT)
			return lab_err(err, 0, "no lab '%s' is up", name), -ENOENT;
		return lab_err(err, errno, "open %s", LAB_RUN_DIR);
	}
	labfd = open_lab_dir(rundir, name, err);
	if (labfd == -ENOENT)
		return lab_err(err, 0, "no lab '%s' is up", name), -ENOENT;
	if (labfd < 0)
		return -1;
	return read_state_at(labfd, name, out, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lab_names(char ***out, size_t *out_count, struct lab_error **err)
{
	_cleanup_closedir_ DIR *d = opendir(LAB_RUN_DIR);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	*out = NULL;
	*out_count = 0;
	if (!d)
		return errno == ENOENT ? 0 : lab_err(err, errno, "open %s", LAB_RUN_DIR);
	while ((e = readdir(d))) {
		char **nv;

		if (e->d_type != DT_DIR || e->d_name[0] == '.' || names_check_lab(e->d_name, NULL) < 0)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(e->d_name))) {
			v = nv ? nv : v;
			lab_names_free(v, n);
			return lab_err(err, ENOMEM, "list labs");
		}
		v = nv;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*out_count = n;
	return 0;
}

void lab_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* The name of the only lab that is up, into out. host: what the user asked for, to name in the
 * message when several labs are up ("name the host as LAB/h1"); NULL: a command on a lab. */
static int only_lab(char out[LAB_NAME_MAX + 1], const char *host, struct lab_error **err)
{
	char **names = NULL;
	size_t count = 0;

	if (lab_names(&names, &count, err) < 0)
		return -1;
	if (count == 1)
		util_copy(out, LAB_NAME_MAX + 1, names[0]);
	lab_names_free(names, count);
	if (count == 0)
		return lab_err(err, 0, "no lab is up (start one with 'netlab up')");
	if (count > 1 && host)
		return lab_err(err, 0, "several labs are up: name the host as LAB/%s "
				       "(see 'netlab status')", host);
	if (count > 1)
		return lab_err(err, 0, "several labs are up: name one (see 'netlab status')");
	return 0;
}

int lab_load_default(const char *name, struct lab *out, struct lab_error **err)
{
	char only[LAB_NAME_MAX + 1] = "";

	if (name)
		return lab_load(name, out, err);
	if (only_lab(only, NULL, err) < 0)
		return -1;
	return lab_load(only, out, err);
}

int lab_resolve_host(const char *arg, const char *lab_name, struct lab *out_lab, size_t *out_index,
		     struct lab_error **err)
{
	char lab[LAB_NAME_MAX + 1], host[HOST_NAME_MAX_LEN + 1];
	int r;

	if (names_split_host(arg, lab, host, err) < 0)
		return -EINVAL;
	if (!lab[0] && lab_name)
		snprintf(lab, sizeof(lab), "%s", lab_name);
	if (!lab[0] && only_lab(lab, host, err) < 0)
		return -1;
	r = lab_load(lab, out_lab, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < out_lab->nhosts; i++) {
		if (!strcmp(out_lab->hosts[i].name, host)) {
			*out_index = i;
			return 0;
		}
	}
	/* "h1, h2, h3, e1"; past 8 names, the first 6, "...", the last */
	char names[8 * (HOST_NAME_MAX_LEN + 2) + 8] = "none";
	size_t n = 0, m = out_lab->nhosts;

	for (size_t i = 0; i < m; i++) {
		if (m > 8 && i == 6) {
			n += (size_t)snprintf(names + n, sizeof(names) - n, ", ...");
			i = m - 1;
		}
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
				      out_lab->hosts[i].name);
	}
	lab_err(err, 0, "lab '%s' has no host '%s' (it has %s)", lab, host, names);
	state_free(out_lab);
	return -ENOENT;
}
