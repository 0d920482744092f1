/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the units of the grammar's values, parsed and printed; shared
 * by the grammar, the printer and the listings.
 */
#ifndef IPVSCTL_CONFIG_UNITS_H
#define IPVSCTL_CONFIG_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ip_vs.h>

const char *fwd_name(uint32_t fwd);
void fmt_netmask(int af, uint32_t netmask, char *buf, size_t len);
void fmt_sched_flags(uint32_t flags, char *buf, size_t len);
void fmt_duration_ms(uint32_t ms, char *buf, size_t len);
void fmt_milli(uint32_t v, char *buf, size_t len);
/* Every duration, in a file or on the command line: "250ms", "10s", "5m",
 * "1h", at most @max_ms. The unit is required (a bare "300" meant as
 * seconds must not become 0.3 s), but for 0 alone. Messages say
 * DURATION_HINT.
 */
int parse_duration_ms(const char *s, uint32_t max_ms, uint32_t *ms);
#define DURATION_HINT "a duration with its unit, like 500ms, 20s, 5m"
/* parse_duration_ms() up to a week: drain and apply timeouts */
int parse_timeout_ms(const char *s, uint32_t *ms);
/* the scheduler's own flag bits */
#define SCHED_FLAGS (IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3)

/* "flag-1,flag-2" (IP_VS_SVC_F_SCHED1..3, or by ipvsadm's names), or "none" */
int parse_sched_flags(const char *s, uint32_t *flags);
/* IPv4: a dotted mask or a prefix length; IPv6: a prefix length, 1 to 128 */
int parse_netmask(int af, const char *s, uint32_t *mask);
/* ipip, gue or gre (IP_VS_CONN_F_TUNNEL_TYPE_*) */
int parse_tun_type(const char *s, uint8_t *type);
/* "1", "1.5", "0.25" as thousandths, from @min to @max */
int parse_milli(const char *s, uint32_t min, uint32_t max, uint32_t *v);

#endif
