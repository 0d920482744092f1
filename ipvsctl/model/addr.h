/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the words of an address, a service and a number, parsed and
 * printed (addr.c); shared by the grammar, JSON input and every listing.
 */
#ifndef IPVSCTL_MODEL_ADDR_H
#define IPVSCTL_MODEL_ADDR_H

#include <stddef.h>

#include "base/types.h"

int parse_svc(const char *s, struct svc_id *id, char *why, size_t whylen);
int parse_addr_port(const char *s, int af_hint, struct addr_port *ap,
		    bool need_port, char *why, size_t whylen);
/* a decimal number from @min to @max: no blank, sign, octal or hex */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v);
/* a firewall mark, 1 to 4294967295: decimal, or hex as 0x... */
int parse_fwmark(const char *s, uint32_t *mark);
#define FWMARK_HINT "a firewall mark is a number from 1 to 4294967295 (decimal, or hex as 0x10)"
void fmt_svc(const struct svc_id *id, char *buf, size_t len);
void fmt_addr_port(int af, const uint8_t *addr, uint16_t port, char *buf,
		   size_t len);
const char *proto_name(int proto);
const char *mg_hash_name(uint8_t hash);		/* enum ipvs_maglev_hash */
int mg_hash_parse(const char *s, uint8_t *hash);
const char *mg_pin_name(uint8_t pin);			/* enum ipvs_maglev_pin */
int mg_pin_parse(const char *s, uint8_t *pin);

#endif
