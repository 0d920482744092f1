// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: the text of table inet ipvsctl (nft.h says what it does).
 *
 * Where each hook sits against IPVS (net/netfilter/ipvs/ip_vs_core.c,
 * ip_vs_ops4/ip_vs_ops6): IPVS schedules at LOCAL_IN (priority
 * NF_IP_PRI_NAT_SRC - 2) and, for the node's own connections, at
 * LOCAL_OUT (NF_IP_PRI_NAT_DST + 1). So:
 *  - the filter chains at priority -110 (prerouting, output) drop what
 *    source ranges refuse before conntrack's NAT and IPVS see it;
 *  - the nat chains at prerouting and output (dstnat, -100) run before
 *    IPVS: they only mark (or, for the in-cluster shortcut, rewrite the
 *    destination to the cluster IP, which IPVS then serves);
 *  - the nat chain at postrouting (srcnat) runs after IPVS has rewritten
 *    the destination to the pod (IPVS NAT sends through LOCAL_OUT and
 *    POSTROUTING when it keeps conntrack, net.ipv4.vs.conntrack=1, which
 *    kube-proxy sets too): it masquerades marked connections and hairpins.
 * nat chains see the first packet of a connection only, so replacing the
 * table does not disturb established flows.
 *
 * The rules follow kube-proxy's IPVS mode (pkg/proxy/ipvs/proxier.go:
 * KUBE-SERVICES, KUBE-NODE-PORT, KUBE-POSTROUTING, KUBE-LOOP-BACK,
 * KUBE-SOURCE-RANGES-FIREWALL; facts only, gathered in the project's
 * notes), and its nftables mode for the Local policies' in-cluster
 * shortcut (pkg/proxy/nftables/proxier.go).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/nft.h"

const char kube_nft_cleanup[] =
	"table inet " KUBE_NFT_TABLE "\n"
	"delete table inet " KUBE_NFT_TABLE "\n";

static const char *proto_name(int p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "sctp";
	}
}

static void put_ip(FILE *f, const struct kube_ip *ip)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(ip->af, ip->a, s, sizeof(s)))
		strcpy(s, "::");
	fputs(s, f);
}

static bool is_zero(const struct kube_ip *ip)
{
	static const uint8_t z[16];

	return !memcmp(ip->a, z, sizeof(z));
}

/* per family: the suffix of names, the payload keyword, the address type */
struct fam {
	int af;
	const char *sfx, *kw, *type;
};

static const struct fam fams[] = {
	{ AF_INET, "4", "ip", "ipv4_addr" },
	{ AF_INET6, "6", "ip6", "ipv6_addr" },
};

/* elements and their keys */
enum shape {
	SH_IP,		/* ADDR . proto . port */
	SH_PORT,	/* proto . port */
	SH_HAIRPIN,	/* ADDR . proto . port . ADDR */
	SH_SC,		/* ADDR . proto . port : ADDR . port */
	SH_SC_NP,	/* proto . port : ADDR . port */
	SH_SC_KEY,	/* ADDR . proto . port */
	SH_SC_NP_KEY,	/* proto . port */
};

static bool wanted(const struct kube_nft_elem *e, enum kube_nft_kind kind, enum shape sh, int af)
{
	if (e->kind != kind || e->ip.af != af)
		return false;
	switch (sh) {
	case SH_SC:
	case SH_SC_KEY:
		return !is_zero(&e->ip);
	case SH_SC_NP:
	case SH_SC_NP_KEY:
		return is_zero(&e->ip);
	default:
		return true;
	}
}

static void put_elem(FILE *f, const struct kube_nft_elem *e, enum shape sh)
{
	if (sh != SH_PORT && sh != SH_SC_NP && sh != SH_SC_NP_KEY) {
		put_ip(f, &e->ip);
		fputs(" . ", f);
	}
	fprintf(f, "%s . %u", proto_name(e->proto), e->port);
	if (sh == SH_HAIRPIN) {
		fputs(" . ", f);
		put_ip(f, &e->ip);
	} else if (sh == SH_SC || sh == SH_SC_NP) {
		fputs(" : ", f);
		put_ip(f, &e->to);
		fprintf(f, " . %u", e->to_port);
	}
}

/* the sets (and maps) whose elements follow the Services, in the order
 * the table declares them for each family
 */
static const struct eset_spec {
	const char *name;
	enum kube_nft_kind kind;
	enum shape sh;
} esets[] = {
	{ "cluster", KN_CLUSTER, SH_IP },
	{ "external", KN_EXTERNAL, SH_IP },
	{ "external-local", KN_EXTERNAL_LOCAL, SH_IP },
	{ "nodeport", KN_NODEPORT, SH_PORT },
	{ "nodeport-local", KN_NODEPORT_LOCAL, SH_PORT },
	{ "hairpin", KN_HAIRPIN, SH_HAIRPIN },
	{ "shortcut", KN_SHORTCUT, SH_SC },
	{ "shortcut-key", KN_SHORTCUT, SH_SC_KEY },
	{ "shortcut-np", KN_SHORTCUT, SH_SC_NP },
	{ "shortcut-np-key", KN_SHORTCUT, SH_SC_NP_KEY },
};

_Static_assert(2 * sizeof(esets) / sizeof(esets[0]) == KUBE_NFT_ESETS, "KUBE_NFT_ESETS");

/* "set NAME { type ...; elements = { ... } }" or a map's, with only the
 * elements of @kind and @fm's family (none: no elements clause, which nft
 * refuses empty)
 */
static void put_set(FILE *f, const struct kube_out *out, const char *name, const struct fam *fm,
		    enum kube_nft_kind kind, enum shape sh, bool elems)
{
	const char *ps = "inet_proto . inet_service";
	size_t i, n = 0;

	fprintf(f, "\t%s %s%s {\n\t\ttype ", sh == SH_SC || sh == SH_SC_NP ? "map" : "set", name,
		fm->sfx);
	switch (sh) {
	case SH_IP:
	case SH_SC_KEY:
		fprintf(f, "%s . %s", fm->type, ps);
		break;
	case SH_PORT:
	case SH_SC_NP_KEY:
		fputs(ps, f);
		break;
	case SH_HAIRPIN:
		fprintf(f, "%s . %s . %s", fm->type, ps, fm->type);
		break;
	case SH_SC:
		fprintf(f, "%s . %s : %s . inet_service", fm->type, ps, fm->type);
		break;
	case SH_SC_NP:
		fprintf(f, "%s : %s . inet_service", ps, fm->type);
		break;
	}
	fputs("\n", f);
	for (i = 0; elems && i < out->nnft; i++) {
		if (!wanted(&out->nft[i], kind, sh, fm->af))
			continue;
		fputs(n++ ? ",\n\t\t\t" : "\t\telements = {\n\t\t\t", f);
		put_elem(f, &out->nft[i], sh);
	}
	fputs(n ? "\n\t\t}\n\t}\n" : "\t}\n", f);
}

/* "{ a, b }" of the CIDRs of @af; false if there are none */
static bool put_cidrs(FILE *f, const struct kube_cidr *c, size_t n, int af, bool dry)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (c[i].ip.af != af)
			continue;
		if (!dry) {
			fputs(k ? ", " : "{ ", f);
			put_ip(f, &c[i].ip);
			fprintf(f, "/%u", c[i].len);
		}
		k++;
	}
	if (k && !dry)
		fputs(" }", f);
	return k;
}

static bool have_cidr(const struct kube_nft_conf *c, int af)
{
	return put_cidrs(NULL, c->pod_cidrs, c->npod_cidrs, af, true);
}

static void put_node_ips(FILE *f, const struct kube_nft_conf *c, const struct fam *fm)
{
	size_t i, n = 0;

	fprintf(f, "\tset nodeips%s {\n\t\ttype %s\n", fm->sfx, fm->type);
	for (i = 0; i < c->nnode_ips; i++) {
		if (c->node_ips[i].af != fm->af)
			continue;
		fputs(n++ ? ", " : "\t\telements = { ", f);
		put_ip(f, &c->node_ips[i]);
	}
	fputs(n ? " }\n\t}\n" : "\t}\n", f);
}

/*
 * A source-range chain for each load-balancer front end that has ranges
 * of its family: the ranges pass, and so does the front end's own
 * address as source (the node reaching its own load-balancer IP, which
 * is local on kube-ipvs0) when a range holds one of the node's addresses,
 * as kube-proxy allows; the rest is dropped.
 */
static void put_firewalls(FILE *f, const struct kube_nft_conf *c, const struct kube_out *out,
			  const struct kube_service *svcs, size_t nsvcs)
{
	size_t i, j, k, n;

	for (i = 0, n = 0; i < out->nnft; i++) {
		const struct kube_nft_elem *e = &out->nft[i];
		const struct kube_service *s;
		bool node = false;

		if (e->kind != KN_FIREWALL)
			continue;
		/* numbered among the firewall elements alone: another kind's
		 * element coming or going renames no chain
		 */
		n++;
		if (e->svc >= nsvcs)
			continue;
		s = &svcs[e->svc];
		fprintf(f, "\tchain fw-%zu {\n\t\t%s saddr ", n - 1, e->ip.af == AF_INET ? "ip" : "ip6");
		put_cidrs(f, s->source_ranges, s->nranges, e->ip.af, false);
		fputs(" return\n", f);
		for (j = 0; j < s->nranges; j++)
			for (k = 0; k < c->nnode_ips; k++)
				node |= kube_cidr_has(&s->source_ranges[j], &c->node_ips[k]);
		if (node) {
			fprintf(f, "\t\t%s saddr ", e->ip.af == AF_INET ? "ip" : "ip6");
			put_ip(f, &e->ip);
			fputs(" return\n", f);
		}
		fprintf(f, "\t\tdrop comment \"%s/%s\"\n\t}\n", s->ns, s->name);
	}
}

static void put_fw_map(FILE *f, const struct kube_out *out, const struct fam *fm)
{
	size_t i, n = 0, k = 0;

	fprintf(f, "\tmap firewall%s {\n\t\ttype %s . inet_proto . inet_service : verdict\n",
		fm->sfx, fm->type);
	for (i = 0; i < out->nnft; i++) {
		const struct kube_nft_elem *e = &out->nft[i];

		if (e->kind != KN_FIREWALL)
			continue;
		k++;	/* put_firewalls' numbering */
		if (e->ip.af != fm->af)
			continue;
		fputs(n++ ? ",\n\t\t\t" : "\t\telements = {\n\t\t\t", f);
		put_elem(f, e, SH_IP);
		fprintf(f, " : goto fw-%zu", k - 1);
	}
	fputs(n ? "\n\t\t}\n\t}\n" : "\t}\n", f);
}

/* the rules of chain services for one family (nft.h: in this order) */
static void put_services(FILE *f, const struct kube_nft_conf *c, const struct fam *fm)
{
	const char *kw = fm->kw, *x = fm->sfx;
	const char *key = fm->af == AF_INET ? "ip daddr . meta l4proto . th dport"
					    : "ip6 daddr . meta l4proto . th dport";
	bool pods = have_cidr(c, fm->af);

	/* the in-cluster shortcut of Local policies: from a pod or the node */
	if (pods) {
		fprintf(f, "\t\t%s saddr ", kw);
		put_cidrs(f, c->pod_cidrs, c->npod_cidrs, fm->af, false);
		fprintf(f, " dnat %s to %s map @shortcut%s\n", kw, key, x);
		fprintf(f, "\t\t%s daddr @nodeips%s %s saddr ", kw, x, kw);
		put_cidrs(f, c->pod_cidrs, c->npod_cidrs, fm->af, false);
		fprintf(f, " dnat %s to meta l4proto . th dport map @shortcut-np%s\n", kw, x);
	}
	fprintf(f, "\t\tfib saddr type local dnat %s to %s map @shortcut%s\n", kw, key, x);
	fprintf(f, "\t\t%s daddr @nodeips%s fib saddr type local dnat %s to meta l4proto . "
		"th dport map @shortcut-np%s\n", kw, x, kw, x);
	/* cluster IPs: masqueraded unless from a pod (kube-proxy's local
	 * detector, --cluster-cidr); without pod CIDRs, only the node's own
	 */
	fprintf(f, "\t\t%s @cluster%s ", key, x);
	if (c->masquerade_all) {
		fputs("goto mark-masq\n", f);
	} else if (pods) {
		fprintf(f, "%s saddr != ", kw);
		put_cidrs(f, c->pod_cidrs, c->npod_cidrs, fm->af, false);
		fputs(" goto mark-masq\n", f);
	} else {
		fputs("fib saddr type local goto mark-masq\n", f);
	}
	/* a front end's traffic is settled here: no node-port rule below
	 * may take a cluster or external IP's port for its own
	 */
	fprintf(f, "\t\t%s @cluster%s return\n", key, x);
	fprintf(f, "\t\t%s @external%s goto mark-masq\n", key, x);
	fprintf(f, "\t\t%s @external-local%s return\n", key, x);
	fprintf(f, "\t\t%s daddr @nodeips%s meta l4proto . th dport @nodeport-local%s return\n",
		kw, x, x);
	fprintf(f, "\t\t%s daddr @nodeips%s meta l4proto . th dport @nodeport%s goto mark-masq\n",
		kw, x, x);
}

int kube_nft_render_ex(FILE *f, const struct kube_nft_conf *c, const struct kube_out *out,
		       const struct kube_service *svcs, size_t nsvcs, bool elems)
{
	unsigned int mark = 1u << (c->masq_bit & 31);
	size_t i, j;

	fputs(kube_nft_cleanup, f);
	fputs("table inet " KUBE_NFT_TABLE " {\n", f);
	for (i = 0; i < 2; i++) {
		const struct fam *fm = &fams[i];

		for (j = 0; j < sizeof(esets) / sizeof(esets[0]); j++)
			put_set(f, out, esets[j].name, fm, esets[j].kind, esets[j].sh, elems);
		put_node_ips(f, c, fm);
		put_fw_map(f, out, fm);
	}
	put_firewalls(f, c, out, svcs, nsvcs);
	/* source ranges, before conntrack's NAT and IPVS */
	fputs("\tchain filter-prerouting {\n"
	      "\t\ttype filter hook prerouting priority -110; policy accept;\n"
	      "\t\tct state new ip daddr . meta l4proto . th dport vmap @firewall4\n"
	      "\t\tct state new ip6 daddr . meta l4proto . th dport vmap @firewall6\n"
	      "\t}\n"
	      "\tchain filter-output {\n"
	      "\t\ttype filter hook output priority -110; policy accept;\n"
	      "\t\tct state new ip daddr . meta l4proto . th dport vmap @firewall4\n"
	      "\t\tct state new ip6 daddr . meta l4proto . th dport vmap @firewall6\n"
	      "\t}\n", f);
	fprintf(f, "\tchain mark-masq {\n\t\tmeta mark set meta mark | 0x%x\n\t}\n", mark);
	fputs("\tchain services {\n"
	      "\t\tip saddr 127.0.0.0/8 return\n"
	      "\t\tip6 saddr ::1 return\n", f);
	put_services(f, c, &fams[0]);
	put_services(f, c, &fams[1]);
	fputs("\t}\n", f);
	fputs("\tchain nat-prerouting {\n"
	      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
	      "\t\tjump services\n"
	      "\t}\n", f);
	/* the node's own connections through the shortcut leave with a
	 * source of the node's (the front end's own address, if local):
	 * masqueraded, so that a pod on another node can answer
	 */
	fprintf(f, "\tchain nat-output {\n"
		"\t\ttype nat hook output priority -100; policy accept;\n"
		"\t\tip daddr . meta l4proto . th dport @shortcut-key4 meta mark set meta mark | 0x%x\n"
		"\t\tip6 daddr . meta l4proto . th dport @shortcut-key6 meta mark set meta mark | 0x%x\n"
		"\t\tip daddr @nodeips4 meta l4proto . th dport @shortcut-np-key4 "
		"meta mark set meta mark | 0x%x\n"
		"\t\tip6 daddr @nodeips6 meta l4proto . th dport @shortcut-np-key6 "
		"meta mark set meta mark | 0x%x\n"
		"\t\tjump services\n"
		"\t}\n", mark, mark, mark, mark);
	fprintf(f, "\tchain nat-postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\tip daddr . meta l4proto . th dport . ip saddr @hairpin4 masquerade\n"
		"\t\tip6 daddr . meta l4proto . th dport . ip6 saddr @hairpin6 masquerade\n"
		"\t\tmeta mark & 0x%x == 0 return\n"
		"\t\tmeta mark set meta mark ^ 0x%x\n"
		"\t\tmasquerade fully-random\n"
		"\t}\n"
		"}\n", mark, mark);
	return ferror(f) ? -EIO : 0;
}

int kube_nft_render(FILE *f, const struct kube_nft_conf *c, const struct kube_out *out,
		    const struct kube_service *svcs, size_t nsvcs)
{
	return kube_nft_render_ex(f, c, out, svcs, nsvcs, true);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void kube_nft_esets_free(struct kube_nft_eset *sets)
{
	size_t i, j;

	for (i = 0; i < KUBE_NFT_ESETS; i++) {
		for (j = 0; j < sets[i].n; j++)
			free(sets[i].v[j]);
		free(sets[i].v);
	}
	memset(sets, 0, KUBE_NFT_ESETS * sizeof(*sets));
}

int kube_nft_esets(const struct kube_out *out, struct kube_nft_eset *sets)
{
	const size_t ns = sizeof(esets) / sizeof(esets[0]);
	size_t i, k;

	memset(sets, 0, KUBE_NFT_ESETS * sizeof(*sets));
	for (k = 0; k < KUBE_NFT_ESETS; k++) {
		const struct eset_spec *sp = &esets[k % ns];
		const struct fam *fm = &fams[k / ns];
		struct kube_nft_eset *st = &sets[k];
		size_t cap = 0, w;

		snprintf(st->name, sizeof(st->name), "%s%s", sp->name, fm->sfx);
		for (i = 0; i < out->nnft; i++)
			cap += wanted(&out->nft[i], sp->kind, sp->sh, fm->af);
		if (!cap)
			continue;
		st->v = calloc(cap, sizeof(*st->v));
		if (!st->v)
			goto nomem;
		for (i = 0; i < out->nnft; i++) {
			size_t len = 0;
			FILE *f;

			if (!wanted(&out->nft[i], sp->kind, sp->sh, fm->af))
				continue;
			f = open_memstream(&st->v[st->n], &len);
			if (!f)
				goto nomem;
			put_elem(f, &out->nft[i], sp->sh);
			if (fclose(f)) {
				free(st->v[st->n]);
				st->v[st->n] = NULL;
				goto nomem;
			}
			st->n++;
		}
		/* sorted, each once (two Services' front ends may render alike) */
		qsort(st->v, st->n, sizeof(*st->v), str_cmp);
		for (i = 0, w = 0; i < st->n; i++) {
			if (w && !strcmp(st->v[w - 1], st->v[i])) {
				free(st->v[i]);
				continue;
			}
			st->v[w++] = st->v[i];
		}
		st->n = w;
	}
	return 0;
nomem:
	kube_nft_esets_free(sets);
	return -ENOMEM;
}
