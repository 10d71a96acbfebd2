/* A picture of a lab: hosts, routers, segments with their subnets, interfaces with their addresses,
 * shaped links marked. The text is Graphviz's DOT; Graphviz's own library lays it out and draws it. */
#ifndef NETLAB_GRAPH_H
#define NETLAB_GRAPH_H

#include "error.h"
#include "lab.h"

/* The DOT text of lab, into a malloc'd string *out (the caller frees it). info is NULL (draw the
 * plan: planned addresses) or lab->nhosts entries read from the running hosts (draw what is: live
 * addresses and shaping; a dead host is drawn dashed). Strings a host made (interface names) are
 * escaped, never trusted. Errors: ENOMEM only. */
int graph_dot(const struct lab *lab, const struct lab_host_info *info, char **out,
	      struct lab_error **err);

/* What a file name asks for, by its extension: "svg", "png", "dot" (.gv too), or NULL. */
const char *graph_format_of(const char *path);

/* Lay dot out (Graphviz's neato engine) and write it to path as format ("svg" or "png"). libgvc is
 * loaded at run time (dlopen), so no other command pays for loading Graphviz; when it is missing
 * the error names the Debian package (libgvc6). The file is written whole or not at all. */
int graph_render(const char *dot, const char *format, const char *path, struct lab_error **err);

#endif
