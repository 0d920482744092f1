// SPDX-License-Identifier: GPL-2.0
/*
 * out_close(), the check main() makes on stdout after every command (save
 * and --json output included): any failed write to the stream, not only
 * the last flush, must come back as an error, and a stream written in
 * full as 0. And the assembly of a dry run's --json document: its steps
 * inside the one document (out_lines_json(), out_dry_run_json()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/json.h"
#include "ktap.h"

/* A stream whose first write fails with ENOSPC, and every later one
 * succeeds: a disk that was full for a moment, or an NFS server that
 * answered late. Only the stream's error flag remembers the lost bytes.
 */
static int cookie_writes;

static ssize_t flaky_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	if (cookie_writes++ == 0) {
		errno = ENOSPC;
		return -1;
	}
	return (ssize_t)size;
}

static FILE *flaky_stream(void)
{
	cookie_io_functions_t io = { .write = flaky_write };
	FILE *f;

	cookie_writes = 0;
	f = fopencookie(NULL, "w", io);
	if (f)
		setvbuf(f, NULL, _IOFBF, 4096);
	return f;
}

/* @n bytes of save-like lines to @f */
static void fill(FILE *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 40)
		fputs("backend add tcp/10.0.0.1:80 10.0.1.1:80\n", f);
}

/* @o, printed as out_json() prints it on a tty, parses back as one document */
static json_object *reparse(json_object *o, int *docs_end)
{
	const char *str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	json_tokener *tok = json_tokener_new();
	json_object *back;
	size_t end;

	back = json_tokener_parse_ex(tok, str, (int)strlen(str));
	end = json_tokener_get_parse_end(tok);
	/* nothing but blanks after the document */
	*docs_end = back && str[end + strspn(str + end, " \t\n")] == 0;
	json_tokener_free(tok);
	return back;
}

static void test_dry_run_json(void)
{
	static const char steps[] =
		"service add tcp/10.0.0.1:80 scheduler maglev\n"
		"backend add tcp/10.0.0.1:80 10.0.1.1:80 weight 1\n"
		"\n"
		"service del \"tcp/10.0.0.2:80\"";	/* no newline at the end */
	json_object *a, *o, *back, *v;
	int one;

	a = out_lines_json(steps, strlen(steps));
	ktap_ok(a && json_object_array_length(a) == 3 &&
		!strcmp(json_object_get_string(json_object_array_get_idx(a, 0)),
			"service add tcp/10.0.0.1:80 scheduler maglev") &&
		!strcmp(json_object_get_string(json_object_array_get_idx(a, 2)),
			"service del \"tcp/10.0.0.2:80\""),
		"out_lines_json: a string per line, empty lines left out, the last line without its newline");
	json_object_put(a);
	a = out_lines_json(NULL, 0);
	ktap_ok(a && json_object_array_length(a) == 0, "out_lines_json: no steps, []");
	json_object_put(a);

	o = out_dry_run_json(3, steps, strlen(steps));
	back = reparse(o, &one);
	ktap_ok(back && one && json_object_object_get_ex(back, "plan", &v) &&
		json_object_is_type(v, json_type_array) && json_object_array_length(v) == 3 &&
		json_object_object_get_ex(back, "changes", &v) && json_object_get_int(v) == 3 &&
		json_object_object_get_ex(back, "dry_run", &v) && json_object_get_boolean(v),
		"out_dry_run_json: one JSON document, {changes, dry_run, plan: [3 steps]}");
	json_object_put(back);
	json_object_put(o);
}

int main(void)
{
	char path[] = "/tmp/test_output.XXXXXX";
	FILE *f;
	int fd, err;

	ktap_plan(7);
	test_dry_run_json();

	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f) {
		fill(f, 100000);
		err = out_close(f);
	} else {
		err = -errno;
	}
	ktap_ok(err == 0, "a file written in full: 0 (got %d)", err);
	if (fd >= 0)
		unlink(path);

	f = fopen("/dev/full", "w");
	err = f ? (fill(f, 100), out_close(f)) : 0;
	ktap_ok(err == -ENOSPC, "a short write to /dev/full, caught at the last flush: -ENOSPC "
		"(got %d)", err);

	f = fopen("/dev/full", "w");
	err = f ? (fill(f, 100000), out_close(f)) : 0;
	ktap_ok(err == -ENOSPC || err == -EIO, "/dev/full, failing at every buffer: an error "
		"(got %d)", err);

	/* the first buffer is lost, the rest goes out: fflush() returns 0 */
	f = flaky_stream();
	err = f ? (fill(f, 10000), out_close(f)) : 0;
	ktap_ok(err == -ENOSPC || err == -EIO, "a write that failed before the last flush: an "
		"error, though the last flush succeeds (got %d, %d writes)", err, cookie_writes);

	return ktap_finish();
}
