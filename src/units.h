/* Units a student types for link shaping: rates, times, percentages. Pure, unit tested. */
#ifndef NETLAB_UNITS_H
#define NETLAB_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "10mbit", "1.5gbit", "500kbit", "64000bit", "10M" (bits per second; K/M/G are kbit/mbit/gbit).
 * Between 8 kbit/s and 40 gbit/s. 0 or -1. */
int units_rate(const char *s, uint64_t *out_bps);
/* "10ms", "500us", "1s", "2.5ms": microseconds, at most 60 s. A unit is required. */
int units_time_us(const char *s, uint32_t *out_us);
/* "1%", "0.5", "100%": 0 to 100. */
int units_percent(const char *s, double *out);

/* A rate for people, the one format netlab prints everywhere: the largest unit of bit/s, kbit/s,
 * Mbit/s, Gbit/s that keeps the number at least 1, with at most three decimals and no trailing
 * zeros: "1 Gbit/s", "123.456 Mbit/s", "1.5 Gbit/s", "500 kbit/s", "0 bit/s". Returns buf. */
const char *units_rate_fmt(uint64_t bps, char *buf, size_t len);

#endif
