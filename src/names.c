#include "names.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "state.h"

int names_check_lab(const char *name, struct lab_error **err)
{
	size_t len = strlen(name);

	if (len == 0)
		return lab_err_usage(err, "lab name is empty");
	if (len > LAB_NAME_MAX)
		return lab_err_usage(err, "lab name '%s' is %zu characters; at most %d", name, len,
				     LAB_NAME_MAX);
	if (!isalpha((unsigned char)name[0]))
		return lab_err_usage(err, "lab name '%s' must start with a letter", name);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return lab_err_usage(err, "lab name '%s' has '%c': use letters, digits and '_' "
					     "only", name, name[i]);
	return 0;
}

/* What inet_aton, and so ping and every resolver, reads as an IPv4 address without a dot: a
 * number in decimal, octal (0...) or hex (0x...). */
static bool reads_as_address(const char *s)
{
	size_t n = strlen(s);

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return strspn(s + 2, "0123456789abcdefABCDEF") == n - 2;
	return strspn(s, "0123456789") == n;
}

/* The shared part of host and segment names: 1 to max characters of letters (lowercase only
 * when lower), digits, '-' and '_', not starting with '-'. */
static int check_word(const char *name, const char *kind, size_t max, bool lower,
		      struct lab_error **err)
{
	size_t len = strlen(name);
	const char *allowed = lower ? "lowercase letters, digits, '-' and '_'"
				    : "letters, digits, '-' and '_'";

	if (len == 0)
		return lab_err_usage(err, "%s name is empty", kind);
	if (len > max)
		return lab_err_usage(err, "%s name \"%s\" is %zu characters; at most %zu", kind, name,
				     len, max);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '-' || c == '_' || isdigit(c) || islower(c) || (!lower && isupper(c)))
			continue;
		if (isupper(c))
			return lab_err_usage(err, "%s name \"%s\" has '%c': %s names are lowercase "
					     "(use %s)", kind, name, c, kind, allowed);
		if (isgraph(c))
			return lab_err_usage(err, "%s name \"%s\" has '%c': use %s", kind, name, c,
					     allowed);
		return lab_err_usage(err, "%s name \"%s\" has a blank or control character: use %s",
				     kind, name, allowed);
	}
	if (name[0] == '-')
		return lab_err_usage(err, "%s name \"%s\" starts with '-' (it would read as an "
				     "option)", kind, name);
	return 0;
}

int names_check_host(const char *name, struct lab_error **err)
{
	if (check_word(name, "host", HOST_NAME_MAX_LEN, true, err) < 0)
		return -1;
	if (reads_as_address(name))
		return lab_err_usage(err, "host name \"%s\" reads as an IPv4 address (ping %s would "
				     "not mean the host): add a letter", name, name);
	return 0;
}

int names_check_segment(const char *name, struct lab_error **err)
{
	return check_word(name, "segment", SEGMENT_NAME_MAX, false, err);
}

const char *names_shell_var(const struct lab *lab, const struct lab_host *h,
			    char out[NAMES_SHELL_VAR_LEN])
{
	char mine[NAMES_SHELL_VAR_LEN];

	snprintf(mine, sizeof(mine), "%s", h->name);
	if (!strchr(mine, '-'))
		return strcpy(out, mine);
	for (char *c = mine; *c; c++)
		*c = *c == '-' ? '_' : *c;
	/* "web-1" beside a host "web_1": a name no host has (host names have no capitals) */
	for (size_t i = 0; i < lab->nhosts; i++)
		if (&lab->hosts[i] != h && !strcmp(lab->hosts[i].name, mine)) {
			snprintf(out, NAMES_SHELL_VAR_LEN, "%.*s_H%zu", HOST_NAME_MAX_LEN, mine,
				 (size_t)(h - lab->hosts) + 1);
			return out;
		}
	return strcpy(out, mine);
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

int names_split_host(const char *arg, char out_lab[LAB_NAME_MAX + 1],
		     char out_host[HOST_NAME_MAX_LEN + 1], struct lab_error **err)
{
	const char *slash = strchr(arg, '/');
	char lab[64];

	if (!slash) {
		if (names_check_host(arg, err) < 0)
			return -1;
		out_lab[0] = '\0';
		memcpy(out_host, arg, strlen(arg) + 1);	/* checked: at most HOST_NAME_MAX_LEN */
		return 0;
	}
	if ((size_t)(slash - arg) >= sizeof(lab))
		return lab_err_usage(err, "'%s': lab name too long", arg);
	memcpy(lab, arg, (size_t)(slash - arg));
	lab[slash - arg] = '\0';
	if (names_check_lab(lab, err) < 0 || names_check_host(slash + 1, err) < 0)
		return -1;
	memcpy(out_lab, lab, strlen(lab) + 1);	/* checked: at most LAB_NAME_MAX */
	memcpy(out_host, slash + 1, strlen(slash + 1) + 1);
	return 0;
}
