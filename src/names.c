#include "names.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int names_check_lab(const char *name, struct lab_error **err)
{
	size_t len = strlen(name);

	if (len == 0)
		return lab_err_usage(err, "lab name is empty");
	if (len > LAB_NAME_MAX)
		return lab_err_usage(err,
			       "lab name '%s' is %zu characters; at most %d fit in interface names "
			       "(the kernel allows 15)", name, len, LAB_NAME_MAX);
	if (!isalpha((unsigned char)name[0]))
		return lab_err_usage(err, "lab name '%s' must start with a letter", name);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return lab_err_usage(err,
				       "lab name '%s' has '%c': use letters, digits and '_' only",
				       name, name[i]);
	return 0;
}

int names_check_host(const char *name, const char *what, struct lab_error **err)
{
	size_t len = strlen(name);
	bool ok = len >= 1 && len <= HOST_NAME_MAX_LEN && islower((unsigned char)name[0]);

	for (size_t i = 1; ok && i < len; i++)
		ok = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]);
	if (!ok)
		return lab_err_usage(err, "%s name \"%s\": use 1 to %d lowercase letters and digits, "
				       "starting with a letter", what, name, HOST_NAME_MAX_LEN);
	return 0;
}

int names_check_ifname(const char *name, struct lab_error **err)
{
	size_t len = strnlen(name, IFNAMSIZ);

	if (len == 0)
		return lab_err(err, 0, "empty interface name");
	if (len >= IFNAMSIZ)
		return lab_err(err, 0, "interface name '%s' is longer than %d characters", name,
			       IFNAMSIZ - 1);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return lab_err(err, 0, "interface name '%s' is not allowed", name);
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]))
			return lab_err(err, 0, "interface name '%s' has a forbidden character", name);
	return 0;
}

int names_ifname(char out[IFNAMSIZ], struct lab_error **err, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= IFNAMSIZ)
		return lab_err(err, 0, "interface name '%s' would be %d characters; the kernel allows %d",
			       buf, n, IFNAMSIZ - 1);
	if (names_check_ifname(buf, err) < 0)
		return -1;
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

static int check_host(const char *host, const char *arg, struct lab_error **err)
{
	if (names_check_host(host, "host", NULL) < 0)
		return lab_err_usage(err, "'%s' is not a host name (hosts are h1, h2, ..., e1, ...)", arg);
	return 0;
}

int names_split_host(const char *arg, char out_lab[LAB_NAME_MAX + 1],
		     char out_host[HOST_NAME_MAX_LEN + 1], struct lab_error **err)
{
	const char *slash = strchr(arg, '/');
	char lab[64];

	if (!slash) {
		if (check_host(arg, arg, err) < 0)
			return -1;
		out_lab[0] = '\0';
		memcpy(out_host, arg, strlen(arg) + 1);
		return 0;
	}
	if ((size_t)(slash - arg) >= sizeof(lab))
		return lab_err_usage(err, "'%s': lab name too long", arg);
	memcpy(lab, arg, (size_t)(slash - arg));
	lab[slash - arg] = '\0';
	if (names_check_lab(lab, err) < 0 || check_host(slash + 1, arg, err) < 0)
		return -1;
	memcpy(out_lab, lab, strlen(lab) + 1);	/* checked: at most LAB_NAME_MAX */
	memcpy(out_host, slash + 1, strlen(slash + 1) + 1);
	return 0;
}
