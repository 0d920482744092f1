// SPDX-License-Identifier: GPL-2.0
/*
 * out_close(), the check main() makes on stdout after every command (save
 * and --json output included): any failed write to the stream, not only
 * the last flush, must come back as an error, and a stream written in
 * full as 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ipvsctl/output.h"
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

int main(void)
{
	char path[] = "/tmp/test_output.XXXXXX";
	FILE *f;
	int fd, err;

	ktap_plan(4);

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
