/* Just enough JSON output for `--json`: strings are escaped per RFC 8259. */
#ifndef NETLAB_JSON_H
#define NETLAB_JSON_H

#include <stdio.h>

void json_str(FILE *f, const char *s);

#endif
