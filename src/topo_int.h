/* What topo.c (the grammar of topology files) and topo_yaml.c (the YAML under it) share. Not for
 * other modules: topo.h is the interface. */
#ifndef NETLAB_TOPO_INT_H
#define NETLAB_TOPO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "topo.h"

/* One topology file being read: its YAML document, its name for errors ("lab.yaml"), what it
 * fills, where errors go. */
struct parse {
	yaml_document_t doc;
	const char *where;
	struct lab_topo *t;
	struct lab_error **err;
	size_t hosts_total;	/* the file's hosts: entries of t->setup */
};

/* Load text (len bytes) into p->doc (yaml_document_delete it), or fail with "lab.yaml:3: ..."
 * (a usage error: the file is not YAML). */
int ty_load(struct parse *p, const char *text, size_t len);

/* Every ty_ function that fails fills *p->err with a usage error "lab.yaml:12: " + the message,
 * the line being node n's (as an editor counts), and returns -1. */
int ty_fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The node of index i; a scalar's text (NULL: not a scalar); a plain empty, ~ or null. */
yaml_node_t *ty_node(struct parse *p, int i);
const char *ty_scalar(const yaml_node_t *n);
bool ty_is_null(const yaml_node_t *n);

/* A mapping whose keys are plain names, none given twice; a value; true/yes/on or
 * false/no/off; a host's (host) or a segment's name by its rule (names.h). `what` begins the
 * message ("host h1"). */
int ty_want_map(struct parse *p, const yaml_node_t *n, const char *what);
int ty_want_scalar(struct parse *p, const yaml_node_t *n, const char *what, const char **out);
int ty_want_bool(struct parse *p, const yaml_node_t *n, const char *what, bool *out);
int ty_want_name(struct parse *p, const yaml_node_t *n, bool host, const char **out);

#endif
