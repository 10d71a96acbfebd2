#include "output.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (2..4), or 0. Overlong forms, surrogates and code
 * points above U+10FFFF are invalid (RFC 3629). *cp gets the code point. */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static bool unsafe_cp(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

size_t out_escape(char *dst, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t need = 0, used = 0;
	bool full = false;

	while (*p) {
		char piece[16];
		size_t n = 0, take = 1;
		uint32_t cp = 0;

		if (*p == '\\') {
			piece[n++] = '\\';
			piece[n++] = '\\';
		} else if (*p >= 0x20 && *p < 0x7f) {
			piece[n++] = (char)*p;
		} else if (*p >= 0x80 && (take = utf8_seq(p, &cp)) && !unsafe_cp(cp)) {
			memcpy(piece, p, take);
			n = take;
		} else {
			/* a control byte, an unsafe character (all its bytes), or one invalid byte */
			take = take ? take : 1;
			for (size_t i = 0; i < take; i++) {
				piece[n++] = '\\';
				piece[n++] = 'x';
				piece[n++] = hex[p[i] >> 4];
				piece[n++] = hex[p[i] & 0xf];
			}
		}
		p += take;
		need += n;
		if (!full && len && used + n < len) {
			memcpy(dst + used, piece, n);
			used += n;
		} else {
			full = true;
		}
	}
	if (len)
		dst[used] = '\0';
	return need;
}

const char *out_safe(const char *s)
{
	static char buf[8][1024];
	static unsigned next;
	char *b = buf[next++ % 8];

	out_escape(b, sizeof(buf[0]), s);
	return b;
}

char *out_escape_dup(const char *s)
{
	size_t need = out_escape(NULL, 0, s) + 1;
	char *d = malloc(need);

	if (d)
		out_escape(d, need, s);
	return d;
}

size_t out_utf8_len(const char *p)
{
	uint32_t cp;

	return utf8_seq((const unsigned char *)p, &cp);
}

bool out_utf8_valid(const char *s)
{
	for (const char *p = s; *p; p++) {
		size_t k = (unsigned char)*p < 0x80 ? 1 : out_utf8_len(p);

		if (!k)
			return false;
		p += k - 1;
	}
	return true;
}

char *out_utf8_dup(const char *s)
{
	char *copy = malloc(2 * strlen(s) + 1), *w = copy;

	if (!copy)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t k = *p < 0x80 ? 1 : out_utf8_len((const char *)p);

		if (k) {
			memcpy(w, p, k);
			w += k;
			p += k - 1;
		} else {
			*w++ = (char)(0xc0 | *p >> 6);
			*w++ = (char)(0x80 | (*p & 0x3f));
		}
	}
	*w = '\0';
	return copy;
}
