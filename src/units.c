#include "units.h"

#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
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

const char *units_rate_fmt(uint64_t bps, char *buf, size_t len)
{
	static const char *const name[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s" };
	uint64_t unit = 1, milli;
	int u = 0;
	char frac[8];

	while (u < 3 && bps >= unit * 1000) {
		unit *= 1000;
		u++;
	}
	/* thousandths of the unit, rounded half up, in integers: no %g exponent, no float error */
	milli = unit == 1 ? bps * 1000 : (bps / unit) * 1000 + ((bps % unit) * 1000 + unit / 2) / unit;
	if (milli >= 1000000 && u < 3) {	/* 999.9996 Mbit/s rounds to 1 Gbit/s */
		milli /= 1000;
		u++;
	}
	snprintf(frac, sizeof(frac), ".%03" PRIu64, milli % 1000);
	for (size_t n = strlen(frac); n > 0 && (frac[n - 1] == '0' || frac[n - 1] == '.'); n--) {
		bool dot = frac[n - 1] == '.';

		frac[n - 1] = '\0';
		if (dot)
			break;
	}
	snprintf(buf, len, "%" PRIu64 "%s %s", milli / 1000, frac, name[u]);
	return buf;
}
