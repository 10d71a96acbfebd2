#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

/* A non-negative decimal number followed by a unit from the table (case-insensitive). */
static int number_unit(const char *s, const char *const units[], const double scale[], size_t n,
		       double *out)
{
	char *end;
	double v;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(end, units[i])) {
			*out = v * scale[i];
			return 0;
		}
	return -1;
}

int units_rate(const char *s, uint64_t *out_bps)
{
	static const char *const u[] = { "bit", "kbit", "mbit", "gbit", "k", "m", "g" };
	static const double f[] = { 1, 1e3, 1e6, 1e9, 1e3, 1e6, 1e9 };
	double v;

	if (number_unit(s, u, f, sizeof(u) / sizeof(u[0]), &v) < 0 || v < 8e3 || v > 40e9)
		return -1;
	*out_bps = (uint64_t)v;
	return 0;
}

int units_time_us(const char *s, uint32_t *out_us)
{
	static const char *const u[] = { "us", "ms", "s" };
	static const double f[] = { 1, 1e3, 1e6 };
	double v;

	if (number_unit(s, u, f, 3, &v) < 0 || v > 60e6)
		return -1;
	*out_us = (uint32_t)llround(v);
	return 0;
}

int units_percent(const char *s, double *out)
{
	static const char *const u[] = { "%", "" };
	static const double f[] = { 1, 1 };
	double v;

	if (number_unit(s, u, f, 2, &v) < 0 || v > 100)
		return -1;
	*out = v;
	return 0;
}
