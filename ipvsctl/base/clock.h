/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the clocks, for the probe loop, deadlines and timings.
 */
#ifndef IPVSCTL_BASE_CLOCK_H
#define IPVSCTL_BASE_CLOCK_H

#include <stdint.h>

uint64_t now_ms(void);		/* CLOCK_MONOTONIC */
uint64_t now_us(void);		/* CLOCK_MONOTONIC, microseconds */
uint64_t wall_ms(void);		/* CLOCK_REALTIME */

#endif
