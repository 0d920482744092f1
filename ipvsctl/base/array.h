/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the one growable array helper.
 */
#ifndef IPVSCTL_BASE_ARRAY_H
#define IPVSCTL_BASE_ARRAY_H

#include <stddef.h>

/*
 * Room for one more element in @v, which holds @n elements of @size
 * bytes in room for *@cap: when full, the room doubles (starting at
 * @first). Returns the array, perhaps moved, with *@cap updated; or NULL
 * when out of memory or when the size would overflow, with @v and *@cap
 * as they were (the caller still owns @v).
 */
void *array_room(void *v, size_t n, size_t *cap, size_t size, size_t first);

#endif
