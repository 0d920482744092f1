// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: replace a file atomically (see atomicfile.h).
 *
 * PATH.tmp.<pid> in the same directory (rename does not cross file
 * systems), written, synced, renamed over. O_EXCL with O_NOFOLLOW: in a
 * directory others can write to, a link planted under the temporary name
 * is not followed, so root never truncates the file it points to; a
 * leftover of an earlier run with the same pid is removed (unlink removes
 * a link, not its target) and the create tried once more.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomicfile.h"

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int atomic_write(const char *path, const char *buf, size_t len, mode_t mode, char *why,
		 size_t whylen)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	char *tmp;
	int fd, err;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	fd = open(tmp, flags, mode);
	if (fd < 0 && errno == EEXIST && !unlink(tmp))
		fd = open(tmp, flags, mode);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot create %s: %s", tmp, strerror(-err));
		goto err_free;
	}
	/* the mode asked for, whatever our umask */
	err = fchmod(fd, mode) ? -errno : write_all(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (err) {
		snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(-err));
		goto err_unlink;
	}
	if (rename(tmp, path)) {
		err = -errno;
		snprintf(why, whylen, "cannot rename %s to %s: %s", tmp, path, strerror(-err));
		goto err_unlink;
	}
	free(tmp);
	return 0;

err_unlink:
	unlink(tmp);
err_free:
	free(tmp);
	return err;
}
