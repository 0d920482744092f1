// SPDX-License-Identifier: GPL-2.0
/* mg_mum() as compiled where the compiler has no 128-bit integers. */
#undef __SIZEOF_INT128__
#include "../../kmod/maglev.h"

u64 mg_mum_portable(u64 a, u64 b);

u64 mg_mum_portable(u64 a, u64 b)
{
	return mg_mum(a, b);
}
