/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl daemon: the set of services it manages, kept on disk so that a
 * service removed from its file while it was stopped (or restarting after
 * a crash) is still deleted when it starts.
 */
#ifndef IPVSCTL_MANAGED_H
#define IPVSCTL_MANAGED_H

#include <stddef.h>

#include "base/types.h"
#include "model/model.h"

/*
 * Replace @path (atomically) with the @n services of @v, written by
 * @owner (one line of text: which daemon, see cmd/daemon.c). 0, or
 * -errno with @why set.
 */
int managed_write(const char *path, const char *owner, const struct svc_id *v, size_t n,
		  char *why, size_t whylen);

/*
 * Read @path into a new sorted array (*@v, *@n; free() it). -ENOENT if
 * there is no file; -EINVAL (with @why) if it is not one managed_write()
 * wrote whole, -ESTALE if another @owner wrote it: the caller must then
 * trust none of it.
 */
int managed_read(const char *path, const char *owner, struct svc_id **v, size_t *n, char *why,
		 size_t whylen);

/* Whether @id is in @v (sorted by managed_read() or managed_sort()). */
bool managed_has(const struct svc_id *v, size_t n, const struct svc_id *id);
void managed_sort(struct svc_id *v, size_t n);

#endif
