/* Topology files, the YAML under them: the file read (at most 1 MiB), libyaml's document, and
 * its values read as the grammar (topo.c) wants them, every mistake with its file and line. */
#include "topo_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "util.h"

#define TOPO_FILE_MAX (1 << 20)

int ty_load(struct parse *p, const char *text, size_t len)
{
	yaml_parser_t parser;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return lab_err(p->err, ENOMEM, "YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &p->doc))
		r = lab_err_usage(p->err, "%s:%zu: %s%s%s", p->where, parser.problem_mark.line + 1,
				  parser.problem ? parser.problem : "not valid YAML",
				  parser.context ? " " : "", parser.context ? parser.context : "");
	yaml_parser_delete(&parser);
	return r;
}

/* lines as an editor counts them: libyaml's are 0-based */
int ty_fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lab_err_usage(p->err, "%s:%zu: %s", p->where, n ? n->start_mark.line + 1 : 1, msg);
}

yaml_node_t *ty_node(struct parse *p, int i)
{
	return yaml_document_get_node(&p->doc, i);
}

const char *ty_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool ty_is_null(const yaml_node_t *n)
{
	const char *s = ty_scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

int ty_want_map(struct parse *p, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return ty_fail(p, n, "%s: expected a mapping (key: value lines)", what);
	for (yaml_node_pair_t *a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++)
		if (!ty_scalar(ty_node(p, a->key)))
			return ty_fail(p, ty_node(p, a->key), "%s: a key must be a plain name, not a "
				       "list or mapping", what);
	/* libyaml keeps duplicate keys; a second "h1:" is almost certainly a mistake */
	for (yaml_node_pair_t *a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++)
		for (yaml_node_pair_t *b = a + 1; b < n->data.mapping.pairs.top; b++) {
			const char *ka = ty_scalar(ty_node(p, a->key)), *kb = ty_scalar(ty_node(p, b->key));
			if (ka && kb && !strcmp(ka, kb))
				return ty_fail(p, ty_node(p, b->key), "%s: \"%s\" given twice", what, kb);
		}
	return 0;
}

int ty_want_scalar(struct parse *p, const yaml_node_t *n, const char *what, const char **out)
{
	if (!(*out = ty_scalar(n)) || ty_is_null(n))
		return ty_fail(p, n, "%s: expected a value", what);
	return 0;
}

int ty_want_bool(struct parse *p, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s = ty_scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")))
		return *out = true, 0;
	if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")))
		return *out = false, 0;
	return ty_fail(p, n, "%s: expected true or false", what);
}

int ty_want_name(struct parse *p, const yaml_node_t *n, bool host, const char **out)
{
	const char *s = ty_scalar(n);
	struct lab_error *why = NULL;
	int r;

	if ((host ? names_check_host : names_check_segment)(s ? s : "?", &why) == 0) {
		*out = s;
		return 0;
	}
	r = ty_fail(p, n, "%s", why->msg);
	lab_err_free(&why);
	return r;
}

int topo_load(const char *path, struct lab_topo *out, struct lab_error **err)
{
	char *text = NULL;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);	/* the user's own file: symlinks are fine */
	if (fd < 0)
		return lab_err(err, errno, "topology file %s", path);
	text = malloc(TOPO_FILE_MAX + 1);
	n = text ? util_read_all(fd, text, TOPO_FILE_MAX + 1) : -1;
	r = errno;
	close(fd);
	if (n < 0) {
		free(text);
		return lab_err(err, text ? r : ENOMEM, "read topology file %s", path);
	}
	if ((size_t)n > TOPO_FILE_MAX) {
		free(text);
		return lab_err(err, EFBIG, "topology file %s is larger than 1 MiB", path);
	}
	r = topo_parse(text, (size_t)n, path, out, err);
	free(text);
	return r;
}
