/* What the CLI shows: the text and the JSON of each command's result, from the same data. Text
 * made inside hosts is escaped (output.h); JSON is built with json-c, which escapes every string.
 * Only the CLI calls these (HACKING.md, "Layout"). */
#ifndef NETLAB_PRINT_H
#define NETLAB_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "doctor.h"
#include "lab.h"
#include "lesson.h"

/* --- text (print.c) --- */

/* `up`: the title, the segments and one line per host (quiet: the title alone), then "Next:".
 * info: what lab_host_info read of each host (lab->nhosts of them), for the roles of hosts that
 * configure themselves (lab_host_is_router); NULL: the plan's. */
void print_up(const struct lab *lab, const struct lab_host_info *info, const struct lab_timing *t,
	      bool quiet);

/* [kathara] `up DIR`: the lab's LAB_* lines and the plan's notes (what is ignored and why),
 * before it is built (quiet: the notes alone). */
struct kathara_lab;
struct kathara_plan;
struct hostsetup_failure;
void print_kathara_plan(const struct kathara_lab *lab, const struct kathara_plan *plan,
			const char *dir, bool quiet);
/* Why a Kathará lab is not built: its refusals, the packages missing on this machine. */
void print_kathara_refusal(const struct kathara_plan *plan, const char *const *missing,
			   size_t nmissing);
/* A failing startup of a Kathará lab, which is kept (nothing when none failed). */
void print_startup_failure(const struct hostsetup_failure *f, const char *lab);
/* `status`: a lab's about lines (hostsetup_about_read), as "  Kathara lab: DIR" and so on. */
void print_about(const char *about);

/* `status` of one lab: info has lab->nhosts entries (lab_host_info). */
void print_status(const struct lab *lab, const struct lab_host_info *info);

/* `link`: what was applied to interface iface of host h. */
void print_shape(const struct lab_host *h, size_t iface, const struct lab_shape *shape);

/* `pingall`: the summary, the matrix (up to 16 hosts) or the mismatches, the unconfirmed
 * replies. The note about the kernel's neighbour table, when it is too small, goes to stderr. */
void print_pingall(const struct lab *lab, const struct pingall_result *pr);
void print_neigh_note(const struct pingall_result *pr);

/* `verify`: one PASS/FAIL line per check, then "N passed, M failed". */
void print_verify(const struct check *checks, size_t n);

/* pingall and verify --wait SECS (wait_ms > 0): "converged after 7.2 s (8 tries)" or "not
 * converged within 60 s (61 tries, 60.4 s)"; nothing without --wait (wait_ms 0). */
void print_wait(const struct lesson_wait *w, int wait_ms);

/* `compare`: the exercises and the inodes of host against the machine and other ((size_t)-1:
 * none). */
void print_compare(const struct lab *lab, size_t host, size_t other, const struct compare_row *rows,
		   size_t nrows, const struct compare_row *inodes, size_t ninodes);
/* On stderr, each column of rows whose command did not answer in time. Returns true if any. */
bool print_no_answer(const struct lab *lab, size_t host, size_t other,
		     const struct compare_row *rows, size_t nrows);

/* `doctor`: one line per check, then the counts. Returns the number of FAIL lines. */
size_t print_doctor(const struct doctor_line *lines, size_t n);

/* Shared by the text and the JSON: */
/* Is every host of a built lab gone? (A lab being built has hosts still to come.) */
bool print_lab_dead(const struct lab *lab, const struct lab_host_info *info);
/* A segment's MTU: the one given, else the kernel's default. */
unsigned print_seg_mtu(const struct lab_segment *g);

/* --- JSON (print_json.c), with the schemas of the README; NULL when out of memory --- */

/* `status --json`: {"version":2,"labs":[]}, to which print_status_json_add appends each lab. */
struct json_object *print_status_json_start(void);
void print_status_json_add(struct json_object *doc, const struct lab *lab,
			   const struct lab_host_info *info);

struct json_object *print_pingall_json(const struct lab *lab, const struct pingall_result *pr);
struct json_object *print_verify_json(const struct lab *lab, const struct check *checks, size_t n);
/* Add "wait" to pingall's or verify's doc: {"limit":60,"converged":true,"seconds":7.2,"tries":8},
 * or null without --wait (wait_ms 0). */
void print_wait_json(struct json_object *doc, const struct lesson_wait *w, int wait_ms);
struct json_object *print_compare_json(const struct lab *lab, size_t host, size_t other,
				       const struct compare_row *rows, size_t nrows,
				       const struct compare_row *inodes, size_t ninodes);

/* Print doc as one line on stdout and put it (json_object_put). Returns EXIT_OK, or EXIT_FAIL
 * after saying "out of memory" when doc, or any part of it, could not be made. */
int print_json(struct json_object *doc);

/* A JSON string of s (NULL when out of memory). JSON is UTF-8: a byte of invalid UTF-8 in s (a
 * host-made name can hold any) becomes the character of the same number, U+0080..U+00FF, as a
 * \u00XX escape would; json-c escapes quotes, backslashes and control characters. */
struct json_object *print_json_string(const char *s);

/* Text a host wrote (its exec: log, a failing command's last lines), line by line after indent,
 * escaped for the terminal (output.h); tabs kept, NUL bytes shown as \x00. */
void print_host_text(FILE *f, const char *buf, size_t len, const char *indent);

/* After the error line of a failing exec: command of up: its last lines, and what became of the
 * lab (rolled back, or kept by --keep-on-error). Nothing when f->failed is false. */
struct hostsetup_failure;
void print_setup_failure(const struct hostsetup_failure *f, const char *lab);

#endif
