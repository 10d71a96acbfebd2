/* What kathara.c (lab.conf, lab.dep) and kathara_dir.c (the directory) share. */
#ifndef NETLAB_KATHARA_INT_H
#define NETLAB_KATHARA_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Kathará's device-name rule ([a-z0-9_]{1,KATHARA_DEVICE_MAX}, not reserved) on s[0..n). */
bool kathara_is_device_name(const char *s, size_t n);

/* Append a strdup of s to the malloc'd list *list of *n strings. 0, or -1 out of memory. */
int kathara_str_push(char ***list, size_t *n, const char *s);

#endif
