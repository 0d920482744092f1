// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the growable array helper (see array.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/array.h"

void *array_room(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t c;

	if (n < *cap)
		return v;
	c = *cap ? *cap : (first ? first : 1);
	if (*cap) {
		if (c > SIZE_MAX / 2)
			return NULL;
		c *= 2;
	}
	if (size && c > SIZE_MAX / size)
		return NULL;
	v = realloc(v, c * size);
	if (v)
		*cap = c;
	return v;
}
