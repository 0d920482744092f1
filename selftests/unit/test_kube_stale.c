// SPDX-License-Identifier: GPL-2.0
/*
 * kube/stale.c: which UDP conntrack entries the agent deletes (kube-proxy's
 * rule): only those whose original destination is a UDP front end with a
 * real server, and whose reply source is none of its real servers; and
 * the digest that says when to look again.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "ktap.h"
#include "kube/stale.h"

static struct op svc(const char *vip, int port, int proto)
{
	struct op o;

	memset(&o, 0, sizeof(o));
	o.kind = OP_SVC_ADD;
	o.svc.af = AF_INET;
	o.svc.proto = proto;
	inet_pton(AF_INET, vip, o.svc.addr);
	o.svc.port = (uint16_t)port;
	return o;
}

static struct op dest(const struct op *s, const char *ip, int port)
{
	struct op o = *s;

	o.kind = OP_DEST_ADD;
	o.dest.af = AF_INET;
	inet_pton(AF_INET, ip, o.dest.addr);
	o.dest.port = (uint16_t)port;
	o.dest_port_given = true;
	return o;
}

static struct ct_entry ent(const char *dst, int dport, const char *rsrc, int rsport)
{
	struct ct_entry e;

	memset(&e, 0, sizeof(e));
	e.af = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", e.osrc);
	e.osport = 40000;
	inet_pton(AF_INET, dst, e.odst);
	e.odport = (uint16_t)dport;
	inet_pton(AF_INET, rsrc, e.rsrc);
	e.rsport = (uint16_t)rsport;
	return e;
}

int main(void)
{
	struct op ops[8];
	struct ct_entry v[7];
	bool del[7];
	size_t n = 0;
	long r;
	uint64_t d1, d2, d3;

	ktap_plan(11);
	ops[n++] = svc("10.96.0.10", 53, IPPROTO_UDP);
	ops[n] = dest(&ops[0], "10.244.1.2", 8053);
	n++;
	ops[n] = dest(&ops[0], "10.244.1.3", 8053);
	n++;
	ops[n++] = svc("10.96.0.11", 53, IPPROTO_UDP);	/* no real server */
	ops[n++] = svc("10.96.0.12", 80, IPPROTO_TCP);
	ops[n] = dest(&ops[4], "10.244.1.2", 8080);
	n++;

	v[0] = ent("10.96.0.10", 53, "10.244.1.2", 8053);	/* a real server: kept */
	v[1] = ent("10.96.0.10", 53, "10.244.1.9", 8053);	/* one that left: stale */
	v[2] = ent("10.96.0.10", 53, "10.96.0.10", 53);	/* made with none: stale */
	v[3] = ent("10.96.0.10", 53, "10.244.1.2", 9999);	/* right address, wrong port */
	v[4] = ent("10.96.0.11", 53, "10.96.0.11", 53);	/* no real server yet: kept */
	v[5] = ent("10.96.0.12", 80, "10.244.1.9", 8080);	/* TCP front end: not ours */
	v[6] = ent("10.96.0.99", 53, "10.244.1.9", 8053);	/* no front end: kept */
	r = kube_udp_stale(ops, n, v, 7, del);
	ktap_ok(r == 3, "three entries stale (got %ld)", r);
	ktap_ok(!del[0], "an entry to a current real server is kept");
	ktap_ok(del[1], "an entry to a real server that left is deleted");
	ktap_ok(del[2], "an entry made while the front end had no real server is deleted");
	ktap_ok(del[3], "an entry to the right address but another port is deleted");
	ktap_ok(!del[4], "a front end without a real server: its entries are kept (kube-proxy skips it)");
	ktap_ok(!del[5], "a TCP front end's entry is kept");
	ktap_ok(!del[6], "an entry to no front end of ours is kept");

	d1 = kube_udp_digest(ops, n);
	d2 = kube_udp_digest(ops, n);
	ops[2].dest.port = 8054;
	d3 = kube_udp_digest(ops, n);
	ktap_ok(d1 && d1 == d2, "the digest is the same for the same services");
	ktap_ok(d3 != d1, "and changes with a UDP real server");
	ops[2].dest.port = 8053;
	ops[5].dest.port = 8081;
	ktap_ok(kube_udp_digest(ops, n) == d1, "but not with a TCP one");
	return ktap_finish();
}
