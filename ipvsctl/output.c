// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: JSON output helpers (see output.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>

#include "output.h"

void out_json(json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (isatty(STDOUT_FILENO))
		flags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
	puts(json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}

void out_addr_json(json_object *o, int af, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(af, addr, a, sizeof(a));
	json_object_object_add(o, "family", json_object_new_string(af == AF_INET6 ? "inet6" : "inet"));
	json_object_object_add(o, "address", json_object_new_string(a));
	json_object_object_add(o, "port", json_object_new_int(port));
}

void out_svc_json(json_object *o, const struct svc_id *id)
{
	char buf[96];

	fmt_svc(id, buf, sizeof(buf));
	json_object_object_add(o, "service", json_object_new_string(buf));
	if (id->fwmark) {
		json_object_object_add(o, "family",
				       json_object_new_string(id->af == AF_INET6 ? "inet6" : "inet"));
		json_object_object_add(o, "fwmark", json_object_new_int64(id->fwmark));
		return;
	}
	json_object_object_add(o, "protocol", json_object_new_string(proto_name(id->proto)));
	out_addr_json(o, id->af, id->addr, id->port);
}
