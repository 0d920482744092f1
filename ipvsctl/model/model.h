/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: IPVS state in memory. The same structures hold what the kernel
 * has (loaded by kernel/load.c) and what a file or command
 * asks for. Pure data: nothing here talks to the kernel, so the model and
 * its diff are tested on the host (selftests/unit).
 */
#ifndef IPVSCTL_MODEL_H
#define IPVSCTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/types.h"
#include "model/maglev.h"

#define SCHED_MAX 16	/* IP_VS_SCHEDNAME_MAXLEN */
#define PE_MAX 16	/* IP_VS_PENAME_MAXLEN */

/* Forwarding methods, as IPVS numbers them (IP_VS_CONN_F_*). */
enum fwd {
	FWD_NAT = 0,
	FWD_LOCAL = 1,
	FWD_TUN = 2,
	FWD_DR = 3,
};

struct stats {
	uint64_t conns, inpkts, outpkts, inbytes, outbytes;
	uint64_t cps, inpps, outpps, inbps, outbps;
};

/* Which fields of a conf were given (for edits and the diff). */
enum {
	SC_SCHED = 1 << 0,
	SC_FLAGS = 1 << 1,
	SC_PERSIST = 1 << 2,	/* timeout */
	SC_NETMASK = 1 << 3,
	SC_OPS = 1 << 4,
	SC_PE = 1 << 5,
	SC_MG_TABLE_SIZE = 1 << 6,
	SC_MG_HASH = 1 << 7,
	SC_SS_WINDOW = 1 << 8,
	SC_SS_AGGR = 1 << 9,
	SC_SS_MIN = 1 << 10,
	SC_PIN = 1 << 11,
	SC_PIN_MAX = 1 << 12,
};

/* IPVS's own parameters (one service request sets them all), and the
 * maglev module's (one MG_SET request)
 */
#define SC_IPVS_ALL (SC_SCHED | SC_FLAGS | SC_PERSIST | SC_NETMASK | SC_OPS | SC_PE)
#define SC_MG_ALL (SC_MG_TABLE_SIZE | SC_MG_HASH | SC_SS_WINDOW | SC_SS_AGGR | SC_SS_MIN | \
		   SC_PIN | SC_PIN_MAX)

struct svc_conf {
	unsigned int set;		/* SC_* given */
	char sched[SCHED_MAX];
	uint32_t flags;			/* IP_VS_SVC_F_*: PERSISTENT, ONEPACKET, SCHED1-3 */
	uint32_t timeout;		/* persistence, seconds */
	uint32_t netmask;		/* IPv4 mask (network order), or IPv6 prefix length */
	char pe[PE_MAX];
	uint32_t mg_table_size;		/* maglev: 0 = module default */
	uint8_t mg_hash;		/* maglev: enum ipvs_maglev_hash */
	uint32_t ss_window_ms;		/* maglev slow start: 0 = off */
	uint32_t ss_aggr;		/* thousandths */
	uint32_t ss_min_pct;
	uint8_t pin;			/* maglev flow pinning: enum ipvs_maglev_pin */
	uint32_t pin_max;		/* 0: only the namespace's cap */
};

/* The maglev module's defaults for new services (GET_INFO). */
struct mg_defaults {
	uint32_t ss_window_ms, ss_aggr, ss_min_pct;
};

enum {
	DC_WEIGHT = 1 << 0,
	DC_FWD = 1 << 1,
	DC_UTHRESH = 1 << 2,
	DC_LTHRESH = 1 << 3,
	DC_TUN_TYPE = 1 << 4,
	DC_TUN_PORT = 1 << 5,
	DC_TUN_FLAGS = 1 << 6,
};

#define DC_ALL (DC_WEIGHT | DC_FWD | DC_UTHRESH | DC_LTHRESH | DC_TUN_TYPE | DC_TUN_PORT | \
		DC_TUN_FLAGS)

struct dest_conf {
	unsigned int set;		/* DC_* given */
	uint32_t weight;
	uint32_t fwd;			/* enum fwd */
	uint32_t u_thresh, l_thresh;
	uint8_t tun_type;		/* IP_VS_CONN_F_TUNNEL_TYPE_* */
	uint16_t tun_port;		/* host order */
	uint16_t tun_flags;		/* IP_VS_TUNNEL_ENCAP_FLAG_* */
};

struct m_dest {
	struct addr_port ap;
	struct dest_conf c;
	/* observed, not configured */
	uint32_t active, inactive, persist;
	struct stats st;
	bool has_mg;
	/* the module's state of the backend (its address and weight
	 * repeat ap and c.weight); saved_weight and drain_deadline are the
	 * drain metadata
	 */
	struct mg_be_state mg;
};

/* A service's health check, from a config file (ipvsctl daemon). */
enum hc_type {
	HC_TCP,			/* connect */
	HC_HTTP,		/* GET, status range, optional body match */
	HC_HTTPS,
	HC_TLS,			/* handshake only */
	HC_UDP,			/* send, expect a reply */
	HC_EXEC,		/* a command; exit 0 is healthy */
};

enum hc_fail {
	HC_QUIESCE,		/* weight 0: no new flows; connections and flow
				 * pins continue
				 */
	HC_DOWN,		/* weight 0 and maglev "down": flow pins are
				 * dropped too (their flows move); otherwise as
				 * quiesce
				 */
	HC_REMOVE,		/* delete the backend */
};

struct health_spec {
	enum hc_type type;
	uint16_t port;			/* 0: the backend's */
	int addr_af;			/* 0: the backend's address */
	uint8_t addr[16];
	char addr_name[128];		/* or a DNS name, looked up per probe */
	char host[128];			/* HTTP Host header */
	char path[256];			/* HTTP path, default "/" */
	uint16_t status_lo, status_hi;	/* HTTP: healthy status range */
	char expect[128];		/* body or reply must contain it ("" any) */
	char send[128];			/* UDP payload */
	char command[512];		/* exec: run by /bin/sh -c */
	uint32_t interval_ms, timeout_ms;
	uint32_t rise, fall;
	bool initial_up;
	uint32_t jitter_pct;		/* each interval varies by up to this */
	enum hc_fail on_fail;
	bool tls_verify;
};

void health_spec_defaults(struct health_spec *h);
/* a health check's type and on-fail mode in words (addr.c) */
const char *hc_type_name(int type);
int hc_type_parse(const char *s, enum hc_type *type);
const char *hc_fail_name(int on_fail);
bool health_spec_eq(const struct health_spec *a, const struct health_spec *b);

struct m_svc {
	struct svc_id id;
	struct svc_conf c;
	struct health_spec *hc;		/* desired state only; owned */
	struct m_dest *dests;
	size_t ndests, cap;
	/* observed */
	struct stats st;
	bool loaded;			/* its backends (and maglev state) were read */
	bool has_mg;			/* maglev state below is valid */
	/* the module's state of the service (its id and parameters repeat
	 * id and c's maglev fields, which the model compares)
	 */
	struct mg_svc_state mg;
};

struct timeouts {
	uint32_t tcp, tcp_fin, udp;	/* seconds; 0 = leave as is */
};

struct daemon_conf {
	uint32_t state;			/* IP_VS_STATE_MASTER or _BACKUP */
	char ifname[16];
	uint32_t syncid;
	uint16_t maxlen;		/* 0: kernel default */
	int group_af;			/* 0: none */
	uint8_t group[16];
	uint16_t port;			/* 0: kernel default */
	uint8_t ttl;			/* 0: kernel default */
};

struct model {
	struct m_svc *svcs;
	size_t n, cap;
	/* open-addressing index of svcs by identity */
	size_t *idx;
	size_t idx_cap;
};

void model_init(struct model *m);
void model_free(struct model *m);
struct m_svc *model_find(struct model *m, const struct svc_id *id);
/* Append a service (must not exist); returns it, NULL on ENOMEM. */
struct m_svc *model_add(struct model *m, const struct svc_id *id);
void model_del(struct model *m, const struct svc_id *id);
struct m_dest *svc_find_dest(struct m_svc *s, const struct addr_port *ap);
struct m_dest *svc_add_dest(struct m_svc *s, const struct addr_port *ap);
void svc_del_dest(struct m_svc *s, const struct addr_port *ap);
int model_copy(struct model *dst, const struct model *src);
/* Sort services and backends into the order save and list print. */
void model_sort(struct model *m);

bool svc_id_eq(const struct svc_id *a, const struct svc_id *b);
/* the one order of service identities and of backends: the listings',
 * and every sorted array's (binary search)
 */
int svc_id_cmp(const struct svc_id *a, const struct svc_id *b);
int addr_port_cmp(const struct addr_port *a, const struct addr_port *b);
bool addr_port_eq(const struct addr_port *a, const struct addr_port *b);

/* Defaults the kernel applies, for a new service/backend. */
/*
 * Is a service with scheduler @sched served by ip_vs_maglev (its table,
 * parameters and backend state)? "maglev" always; "mh" when the module
 * was loaded with mh=1 (sched_set_mh_served(), from sysfs at start). The
 * one place that decides it.
 */
bool sched_is_maglev(const char *sched);
void sched_set_mh_served(bool served);
/* sched_is_maglev() of @c's scheduler */
bool svc_conf_is_maglev(const struct svc_conf *c);
/* read /sys/module/ip_vs_maglev/parameters/mh: true if it says Y */
bool sched_read_mh_served(void);

void svc_conf_defaults(struct svc_conf *c);
/* The maglev part of a conf back to the module's defaults. */
void svc_conf_mg_defaults(struct svc_conf *c, const struct mg_defaults *d);
/* Does the maglev part differ from the module's defaults? */
bool svc_conf_mg_nondefault(const struct svc_conf *c, const struct mg_defaults *d);
void dest_conf_defaults(struct dest_conf *c);
/* The maglev fields of @c as the module's parameters, and back (the
 * latter marks them given, SC_MG_ALL): the one mapping between the two.
 */
void svc_conf_to_mg(const struct svc_conf *c, struct mg_params *p);
void svc_conf_from_mg(struct svc_conf *c, const struct mg_params *p);
/* Fill @dst's unset fields from @base. */
void svc_conf_merge(struct svc_conf *dst, const struct svc_conf *base);
void dest_conf_merge(struct dest_conf *dst, const struct dest_conf *base);

/*
 * Which field groups of @mask (SC_*, DC_*) differ between @a and @b; 0
 * when they are the same configuration. The one definition of "the same"
 * for the planner (is an edit a change?), the diff (does a service need
 * an edit?) and save (what differs from the defaults?): a new field is
 * compared here, with its bit in SC_IPVS_ALL, SC_MG_ALL or DC_ALL, and
 * nowhere else. The set masks themselves are not compared.
 *
 * SC_FLAGS covers the flags word but for the two bits that have their own
 * words in the grammar: IP_VS_SVC_F_PERSISTENT is SC_PERSIST's (with the
 * timeout), IP_VS_SVC_F_ONEPACKET SC_OPS's. The tunnel fields of a
 * backend count only where both forward by tunnel: elsewhere the kernel
 * ignores them (and a change of method is DC_FWD).
 */
unsigned int svc_conf_cmp(const struct svc_conf *a, const struct svc_conf *b, unsigned int mask);
unsigned int dest_conf_cmp(const struct dest_conf *a, const struct dest_conf *b,
			   unsigned int mask);

#endif
