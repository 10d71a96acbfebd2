/* netlab doctor: is this machine ready for a class? Each check ok / warn / FAIL, with the fix. */
#ifndef NETLAB_DOCTOR_H
#define NETLAB_DOCTOR_H

#include <stddef.h>

#include "error.h"

enum doctor_level { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor_line {
	enum doctor_level level;
	char what[32];
	char detail[320];
};

/* Run every check. *out is malloc'd. FAIL lines are what would stop `netlab up`. */
int doctor_run(struct doctor_line **out, size_t *out_count, struct lab_error **err);

#endif
