/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: replace a file atomically (the daemon's state files, the
 * metrics textfile).
 */
#ifndef IPVSCTL_ATOMICFILE_H
#define IPVSCTL_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace @path with @len bytes of @buf, mode @mode whatever the umask:
 * readers see the old file or the new one, whole, never a part, and the
 * new one is on disk before it replaces the old. 0, or -errno with @why
 * saying which step failed; the old file is then left as it was.
 */
int atomic_write(const char *path, const char *buf, size_t len, mode_t mode, char *why,
		 size_t whylen);

#endif
