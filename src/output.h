/* Text for the admin's terminal: host-made strings (interface names, hostname output, process
 * names, command output) made harmless before the CLI prints them. Root inside a host chooses
 * those bytes; raw, an escape sequence could retitle the terminal or repaint FAIL as PASS. */
#ifndef NETLAB_OUTPUT_H
#define NETLAB_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/* Copy s into dst (len bytes, always NUL-terminated) with every byte that is a control character
 * (0x00-0x1f, 0x7f), part of a C1 control (U+0080-U+009F), of a bidirectional override or
 * isolate (U+202A-U+202E, U+2066-U+2069), or of invalid UTF-8 written as \xHH (lower-case hex),
 * and a backslash as \\. Printable UTF-8 passes unchanged. Never cuts an escape or a character
 * in half: when dst is too small the output stops early. Returns the length it needed (without
 * the NUL), like snprintf. s == NULL is "". */
size_t out_escape(char *dst, size_t len, const char *s);

/* out_escape into a malloc'd string of the size it needs (NULL when out of memory). */
char *out_escape_dup(const char *s);

/* Length of the valid UTF-8 sequence of two to four bytes at p, or 0 (an ASCII byte, a stray
 * byte, an overlong form, a surrogate, beyond U+10FFFF). */
size_t out_utf8_len(const char *p);

/* Is s valid UTF-8 throughout? */
bool out_utf8_valid(const char *s);

/* A malloc'd copy of s that is valid UTF-8 (NULL when out of memory), for JSON, which is UTF-8:
 * each byte of invalid UTF-8 (a host-made name can hold any) becomes the character of the same
 * number, U+0080..U+00FF, as a \u00XX escape of it would. */
char *out_utf8_dup(const char *s);

/* out_escape into one of 8 static buffers of 1024 bytes, used in turn: for printf arguments,
 * up to 8 in one call. Not thread-safe (the CLI is single-threaded). */
const char *out_safe(const char *s);

#endif
