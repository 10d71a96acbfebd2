#include "json.h"

#include "output.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20) {
				fprintf(f, "\\u%04x", *p);
			} else if (*p < 0x80) {
				fputc(*p, f);
			} else {
				/* JSON is UTF-8: valid sequences pass; a byte of invalid UTF-8 (a
				 * host-made name can hold any) is written as the code point of the same
				 * number, \u0080..\u00ff, so the document stays valid */
				size_t n = out_utf8_len((const char *)p);

				if (n) {
					fwrite(p, 1, n, f);
					p += n - 1;
				} else {
					fprintf(f, "\\u%04x", *p);
				}
			}
		}
	}
	fputc('"', f);
}
