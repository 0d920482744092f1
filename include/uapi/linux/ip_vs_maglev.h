/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ip_vs_maglev: the "maglev" IPVS scheduler's generic netlink interface.
 *
 * Family name: IPVS_MAGLEV_GENL_NAME ("IPVS_MAGLEV"), version 1.
 *
 * The kernel's own "IPVS" family creates services and backends; this family
 * reads and sets what only the maglev scheduler has: per-service table
 * parameters, the table's state and, per backend, the weight actually in the
 * table and the slots it owns. A service is visible here from the moment it
 * uses the maglev scheduler until it is deleted or switches scheduler;
 * parameters set here live as long as that binding.
 *
 * All state is per network namespace: every command acts on the namespace of
 * the requesting socket. Every command requires CAP_NET_ADMIN in the user
 * namespace that owns that network namespace (GENL_UNS_ADMIN_PERM).
 * Attribute policies are strict: an unknown attribute, a wrong type or a
 * wrong length is rejected, with an extended ACK message naming the problem,
 * and nothing is changed.
 *
 * Byte order: ports are in network byte order (as in the IPVS family);
 * every other integer is in host order. Addresses are 4 (AF_INET) or 16
 * (AF_INET6) bytes, network order; for AF_INET, 16 bytes are accepted too
 * (the first 4 count), as the IPVS family sends union nf_inet_addr.
 *
 * Commands
 * --------
 * IPVS_MAGLEV_CMD_GET_INFO (do)
 *   Request: no attributes.
 *   Reply:   IPVS_MAGLEV_A_INFO (nested ipvs_maglev_info_attr)
 *
 * IPVS_MAGLEV_CMD_GET_SERVICE (do, dump)
 *   do request:   IPVS_MAGLEV_A_SERVICE with the service identity (below)
 *   dump request: no attributes; one message per maglev service in the
 *                 namespace, resumable across recv() calls. If a service
 *                 was added or deleted between two parts of a dump, the
 *                 later messages carry NLM_F_DUMP_INTR: the dump may
 *                 have skipped or repeated one, and should be redone.
 *   Reply:        IPVS_MAGLEV_A_SERVICE (nested ipvs_maglev_svc_attr) with
 *                 the identity, the parameters and the state attributes.
 *
 * IPVS_MAGLEV_CMD_SET_SERVICE (do)
 *   Request: IPVS_MAGLEV_A_SERVICE with the identity and one or more
 *            parameters. All are validated before any is applied; a table
 *            whose parameters changed is rebuilt before the reply.
 *
 * IPVS_MAGLEV_CMD_GET_BACKEND (dump)
 *   Request: IPVS_MAGLEV_A_SERVICE with the identity (required).
 *   Reply:   one message per backend: IPVS_MAGLEV_A_SERVICE (identity only)
 *            and IPVS_MAGLEV_A_BACKEND (nested ipvs_maglev_be_attr).
 *            NLM_F_DUMP_INTR as for services, when the service's backend
 *            list changed between two parts of the dump.
 *
 * IPVS_MAGLEV_CMD_SET_BACKEND (do)
 *   Request: IPVS_MAGLEV_A_SERVICE (identity) and IPVS_MAGLEV_A_BACKEND
 *            with AF, ADDR, PORT and one or more of:
 *            IPVS_MAGLEV_BE_A_DOWN (u8 1 or 0): a backend marked down (by
 *              health checks) owns no slot and its flow pins are dropped
 *              (no flow is sent to it by a pin from the moment it is
 *              marked); marked up again it ramps if slow start is on. The
 *              new table is built before the reply; if it cannot be
 *              (out of memory), the mark is not changed and the error
 *              says so.
 *            IPVS_MAGLEV_BE_A_SAVED_WEIGHT, IPVS_MAGLEV_BE_A_DRAIN_DEADLINE:
 *              drain metadata, kept for tools (ipvsctl drain, apply) so
 *              that a drain outlives the process that started it. The
 *              module only stores them, reports them in dumps, and clears
 *              both when the backend's IPVS weight is raised above 0.
 *            All are validated before any is applied.
 *
 * IPVS_MAGLEV_CMD_SET_SERVICE applies all of its parameters or none: if the
 * table they need cannot be built, nothing is changed (pinning included)
 * and the error says so.
 *
 * IPVS_MAGLEV_CMD_FLUSH_PINS (do)
 *   Request: IPVS_MAGLEV_A_SERVICE (identity) to drop that service's flow
 *            pins, or nothing to drop every pin in the namespace.
 *
 * IPVS_MAGLEV_CMD_LOOKUP (do)
 *   Which backend would the table give this flow? Reads the live table;
 *   changes nothing (no connection is created). Lets two directors be
 *   compared flow by flow, and an operator answer "where does X go".
 *   Request: IPVS_MAGLEV_A_SERVICE (identity) and IPVS_MAGLEV_A_FLOW.
 *   Reply:   IPVS_MAGLEV_A_BACKEND with identity, IPVS_MAGLEV_BE_A_INDEX
 *            (its index in the live table), IPVS_MAGLEV_BE_A_SLOT (the
 *            first-choice slot) and IPVS_MAGLEV_BE_A_FALLBACK set if the
 *            first choice was unusable. ENOENT if no backend is usable.
 *
 * Flow pinning
 * ------------
 * With pinning on, the scheduler remembers which backend each flow (the
 * full 5-tuple) was given and gives it that backend again, before the
 * table, for as long as the flow keeps coming (idle timeout: module
 * parameter pin_timeout_ms). This keeps flows in place across table
 * changes where IPVS has no connection entry: OPS services, sloppy_tcp,
 * conn_reuse_mode. A pin to a drained backend (weight 0) keeps working;
 * pins to a deleted or down backend are dropped. Memory is bounded by the
 * namespace's cap (module parameter pin_max) and a service's own
 * (IPVS_MAGLEV_SVC_A_PIN_MAX); beyond them the least recently used are
 * evicted. Two more caps bound all namespaces together (module
 * parameters): pin_max_host counts every namespace's pins, and
 * pin_max_userns (lower) those of namespaces owned by a user namespace
 * other than the initial one, so that unprivileged users cannot take the
 * host's share; beyond them a namespace evicts among its own pins only.
 * IPVS_MAGLEV_SVC_A_PIN: AUTO follows "ipvsadm -b flag-2".
 *
 * Seed
 * ----
 * The module parameter hash_seed keys every hash: whoever knows it can
 * choose flows that all reach one backend. Network namespaces owned by a
 * user namespace other than the initial one (which unprivileged users can
 * create) hash with a random seed of their own instead, so that nobody
 * can copy a host service there and ask LOOKUP where its flows go. The
 * seed a namespace uses is reported (INFO_A_SEED, SVC_A_SEED) only to
 * callers with CAP_NET_ADMIN over the initial user namespace. Every
 * caller gets its fingerprint (INFO_A_SEED_FP, SVC_A_SEED_FP):
 * SipHash-2-4 keyed with (seed, 0x6d61676c65766670) of the 64-bit message
 * 0, which is equal on directors with equal seeds and does not reveal a
 * random seed. (Before these, INFO_A_SEED and SVC_A_SEED were always
 * sent; a tool must treat them as optional.)
 *
 * Slow start
 * ----------
 * A backend added to a service that is serving, or whose weight goes from
 * 0 to more (or that is marked up) while it is, enters slow start. A
 * service is serving once its table has scheduled new flows for at least
 * the module's rebuild_holdoff_ms (IPVS_MAGLEV_SVC_A_SERVING_MS), with
 * another backend owning slots and able to take flows. So the backends of
 * a new service, added before it carries traffic, all start at full
 * weight. For SS_WINDOW_MS the backend's share of the table is that of
 * the weight
 *	w * max(SS_MIN_PCT / 100, f ^ (1000 / SS_AGGRESSION))
 * where w is its IPVS weight and f the elapsed fraction of the window,
 * at 1/65536 resolution whatever w is (weight 1 included): the factor is
 * reported as IPVS_MAGLEV_BE_A_RAMP_PPM, and EFF_WEIGHT is the weight
 * above rounded to an integer, at least 1. A weight change during the
 * ramp retargets it (same start, new w); weight 0 ends it, as does the
 * window's end, the backend's deletion or its being marked down. During
 * ramps, tables are rebuilt at most every max(window / 20, 250 ms) (and
 * no sooner than rebuild_holdoff_ms after the last build). A service
 * starts with the module's slow_start_ms, slow_start_aggression and
 * slow_start_min_pct.
 *
 * Service identity (inside IPVS_MAGLEV_A_SERVICE), as in the IPVS family:
 *   either IPVS_MAGLEV_SVC_A_FWMARK (+ IPVS_MAGLEV_SVC_A_AF),
 *   or IPVS_MAGLEV_SVC_A_AF + _PROTOCOL + _ADDR + _PORT.
 */
#ifndef _UAPI_LINUX_IP_VS_MAGLEV_H
#define _UAPI_LINUX_IP_VS_MAGLEV_H

#define IPVS_MAGLEV_GENL_NAME		"IPVS_MAGLEV"
#define IPVS_MAGLEV_GENL_VERSION	1

enum ipvs_maglev_cmd {
	IPVS_MAGLEV_CMD_UNSPEC,
	IPVS_MAGLEV_CMD_GET_INFO,
	IPVS_MAGLEV_CMD_GET_SERVICE,
	IPVS_MAGLEV_CMD_SET_SERVICE,
	IPVS_MAGLEV_CMD_GET_BACKEND,
	IPVS_MAGLEV_CMD_LOOKUP,
	IPVS_MAGLEV_CMD_SET_BACKEND,
	IPVS_MAGLEV_CMD_FLUSH_PINS,
	__IPVS_MAGLEV_CMD_MAX
};

#define IPVS_MAGLEV_CMD_MAX (__IPVS_MAGLEV_CMD_MAX - 1)

enum ipvs_maglev_attr {
	IPVS_MAGLEV_A_UNSPEC,
	IPVS_MAGLEV_A_INFO,		/* nested ipvs_maglev_info_attr */
	IPVS_MAGLEV_A_SERVICE,		/* nested ipvs_maglev_svc_attr */
	IPVS_MAGLEV_A_BACKEND,		/* nested ipvs_maglev_be_attr */
	IPVS_MAGLEV_A_FLOW,		/* nested ipvs_maglev_flow_attr */
	__IPVS_MAGLEV_A_LAST
};

#define IPVS_MAGLEV_A_MAX (__IPVS_MAGLEV_A_LAST - 1)

/* Flow pinning, per service. */
enum ipvs_maglev_pin {
	IPVS_MAGLEV_PIN_AUTO,		/* on if IP_VS_SVC_F_SCHED2 ("flag-2"),
					 * under the name maglev only (mh: off)
					 */
	IPVS_MAGLEV_PIN_ON,
	IPVS_MAGLEV_PIN_OFF,
	__IPVS_MAGLEV_PIN_MAX
};

#define IPVS_MAGLEV_PIN_MAX (__IPVS_MAGLEV_PIN_MAX - 1)

/* Module-wide facts (read-only). */
enum ipvs_maglev_info_attr {
	IPVS_MAGLEV_INFO_A_UNSPEC,
	IPVS_MAGLEV_INFO_A_VERSION,	/* string: module version */
	IPVS_MAGLEV_INFO_A_SEED,	/* u64: hash_seed module parameter;
					 * only to callers with CAP_NET_ADMIN
					 * over the initial user namespace
					 */
	IPVS_MAGLEV_INFO_A_TABLE_SIZE,	/* u32: default table size */
	IPVS_MAGLEV_INFO_A_SERVICES,	/* u32: maglev services in this netns */
	IPVS_MAGLEV_INFO_A_PAD,
	IPVS_MAGLEV_INFO_A_SS_WINDOW_MS, /* u32: slow_start_ms */
	IPVS_MAGLEV_INFO_A_SS_AGGRESSION, /* u32: slow_start_aggression, 1/1000 */
	IPVS_MAGLEV_INFO_A_SS_MIN_PCT,	/* u32: slow_start_min_pct */
	IPVS_MAGLEV_INFO_A_PIN_MAX,	/* u32: pin_max */
	IPVS_MAGLEV_INFO_A_PIN_TIMEOUT_MS, /* u32: pin_timeout_ms */
	IPVS_MAGLEV_INFO_A_PIN_ENTRIES,	/* u32: pins in this netns */
	IPVS_MAGLEV_INFO_A_PIN_BYTES4,	/* u32: bytes an IPv4 pin costs */
	IPVS_MAGLEV_INFO_A_PIN_BYTES6,	/* u32: bytes an IPv6 pin costs */
	IPVS_MAGLEV_INFO_A_SEED_FP,	/* u64: fingerprint of the seed, to
					 * compare directors without reading
					 * it (see "Seed" above)
					 */
	IPVS_MAGLEV_INFO_A_PIN_MAX_HOST, /* u32: pin_max_host */
	IPVS_MAGLEV_INFO_A_PIN_MAX_USERNS, /* u32: pin_max_userns */
	IPVS_MAGLEV_INFO_A_PIN_ENTRIES_HOST, /* u32: pins of every netns;
					      * like SEED, privileged only
					      */
	IPVS_MAGLEV_INFO_A_PIN_ENTRIES_USERNS, /* u32: pins of the netns owned
						* by other user namespaces;
						* privileged only
						*/
	__IPVS_MAGLEV_INFO_A_LAST
};

#define IPVS_MAGLEV_INFO_A_MAX (__IPVS_MAGLEV_INFO_A_LAST - 1)

/* What the flow hash reads. */
enum ipvs_maglev_hash {
	/* Follow the service's scheduler flags. Under the name "maglev":
	 * IP_VS_SVC_F_SCHED1 ("ipvsadm -b flag-1") selects SRC_ADDR,
	 * otherwise FIVE_TUPLE. Under the name "mh" (the module's mh=1
	 * mode), as stock mh: IP_VS_SVC_F_SCHED2 ("-b mh-port") selects
	 * SRC_ADDR_PORT, otherwise SRC_ADDR.
	 */
	IPVS_MAGLEV_HASH_AUTO,
	/* protocol, source and destination address and port (default) */
	IPVS_MAGLEV_HASH_FIVE_TUPLE,
	/* source address only: every flow of a client to one backend */
	IPVS_MAGLEV_HASH_SRC_ADDR,
	/* source address and port: the "mh" name's mh-port (flag-2) */
	IPVS_MAGLEV_HASH_SRC_ADDR_PORT,
	__IPVS_MAGLEV_HASH_MAX
};

#define IPVS_MAGLEV_HASH_MAX (__IPVS_MAGLEV_HASH_MAX - 1)

enum ipvs_maglev_svc_attr {
	IPVS_MAGLEV_SVC_A_UNSPEC,
	/* identity */
	IPVS_MAGLEV_SVC_A_AF,		/* u16: AF_INET or AF_INET6 */
	IPVS_MAGLEV_SVC_A_PROTOCOL,	/* u16: IPPROTO_TCP, _UDP or _SCTP */
	IPVS_MAGLEV_SVC_A_ADDR,		/* binary: 4 or 16 bytes */
	IPVS_MAGLEV_SVC_A_PORT,		/* u16, network byte order */
	IPVS_MAGLEV_SVC_A_FWMARK,	/* u32 */
	/* parameters: get and set */
	IPVS_MAGLEV_SVC_A_TABLE_SIZE,	/* u32: prime in [251, 1048573];
					 * 0 on set: back to the module default
					 */
	IPVS_MAGLEV_SVC_A_HASH,		/* u8: enum ipvs_maglev_hash */
	/* state: get only */
	IPVS_MAGLEV_SVC_A_HASH_ACTIVE,	/* u8: hash in use (never AUTO) */
	IPVS_MAGLEV_SVC_A_TABLE_SIZE_ACTIVE, /* u32: size of the live table;
					      * this and DIGEST, TABLE_BYTES:
					      * absent while there is none
					      */
	IPVS_MAGLEV_SVC_A_SEED,		/* u64: the seed the table was built
					 * with; privileged callers only, as
					 * INFO_A_SEED
					 */
	IPVS_MAGLEV_SVC_A_BACKENDS,	/* u32: backends known to the scheduler */
	IPVS_MAGLEV_SVC_A_OWNERS,	/* u32: backends owning slots */
	IPVS_MAGLEV_SVC_A_REBUILDS,	/* u64: tables built and published */
	IPVS_MAGLEV_SVC_A_REBUILD_FAILS, /* u64: builds that failed; the
					  * previous table stayed in use
					  */
	IPVS_MAGLEV_SVC_A_LAST_ERROR,	/* u32: errno of the last failure, 0 */
	IPVS_MAGLEV_SVC_A_LAST_REBUILD_AGE_MS, /* u64: ms since last publish */
	IPVS_MAGLEV_SVC_A_BUILD_NS,	/* u64: duration of the last build */
	IPVS_MAGLEV_SVC_A_DIGEST,	/* u64: digest of the live table: equal
					 * on directors with equal tables
					 */
	IPVS_MAGLEV_SVC_A_TABLE_BYTES,	/* u64: memory of the live table */
	IPVS_MAGLEV_SVC_A_STATE_BYTES,	/* u64: all scheduler memory of the
					 * service, table included
					 */
	IPVS_MAGLEV_SVC_A_PENDING,	/* flag: a change awaits a rebuild */
	IPVS_MAGLEV_SVC_A_PAD,
	/* slow start, get and set: see "Slow start" above */
	IPVS_MAGLEV_SVC_A_SS_WINDOW_MS,	/* u32: 0 (off) .. 3600000 */
	IPVS_MAGLEV_SVC_A_SS_AGGRESSION, /* u32: thousandths, 100 .. 10000 */
	IPVS_MAGLEV_SVC_A_SS_MIN_PCT,	/* u32: 0 .. 100 */
	/* slow start state, get only */
	IPVS_MAGLEV_SVC_A_RAMPING,	/* u32: backends in slow start */
	IPVS_MAGLEV_SVC_A_RAMP_BUILDS,	/* u64: tables built by ramp steps */
	IPVS_MAGLEV_SVC_A_RAMP_SKIPS,	/* u64: ramp steps that changed no
					 * weight, so built nothing
					 */
	/* flow pinning, get and set */
	IPVS_MAGLEV_SVC_A_PIN,		/* u8: enum ipvs_maglev_pin */
	IPVS_MAGLEV_SVC_A_PIN_MAX,	/* u32: the service's cap; 0: only the
					 * namespace's
					 */
	/* flow pinning state, get only */
	IPVS_MAGLEV_SVC_A_PIN_ACTIVE,	/* flag: pinning is on */
	IPVS_MAGLEV_SVC_A_PIN_ENTRIES,	/* u32 */
	IPVS_MAGLEV_SVC_A_PIN_HITS,	/* u64: flows given their pinned backend */
	IPVS_MAGLEV_SVC_A_PIN_MISSES,	/* u64: flows not pinned yet */
	IPVS_MAGLEV_SVC_A_PIN_INSERTS,	/* u64 */
	IPVS_MAGLEV_SVC_A_PIN_INSERT_FAILS, /* u64: full, or no memory */
	IPVS_MAGLEV_SVC_A_PIN_EVICTIONS, /* u64: least recently used, dropped */
	IPVS_MAGLEV_SVC_A_PIN_EXPIRIES,	/* u64: idle, dropped */
	IPVS_MAGLEV_SVC_A_PIN_DROPPED,	/* u64: backend deleted or down, dropped */
	IPVS_MAGLEV_SVC_A_SERVING_MS,	/* u64: ms since the live table first
					 * scheduled a flow; absent if it has
					 * not (see "Slow start")
					 */
	IPVS_MAGLEV_SVC_A_SEED_FP,	/* u64: fingerprint of the seed */
	IPVS_MAGLEV_SVC_A_AS_MH,	/* flag: the service's scheduler name
					 * is "mh" (the module's mh=1 mode),
					 * with mh's flag meanings
					 */
	__IPVS_MAGLEV_SVC_A_LAST
};

#define IPVS_MAGLEV_SVC_A_MAX (__IPVS_MAGLEV_SVC_A_LAST - 1)

enum ipvs_maglev_be_attr {
	IPVS_MAGLEV_BE_A_UNSPEC,
	IPVS_MAGLEV_BE_A_AF,		/* u16 */
	IPVS_MAGLEV_BE_A_ADDR,		/* binary: 4 or 16 bytes */
	IPVS_MAGLEV_BE_A_PORT,		/* u16, network byte order */
	IPVS_MAGLEV_BE_A_WEIGHT,	/* u32: configured IPVS weight */
	IPVS_MAGLEV_BE_A_EFF_WEIGHT,	/* u32: weight in the live table */
	IPVS_MAGLEV_BE_A_SLOTS,		/* u32: slots owned in the live table */
	IPVS_MAGLEV_BE_A_SHARE_PPM,	/* u32: slots / table size, per million */
	IPVS_MAGLEV_BE_A_INDEX,		/* u32: index in the live table; absent
					 * if the backend owns no slot
					 */
	IPVS_MAGLEV_BE_A_AVAILABLE,	/* flag: may be chosen right now */
	IPVS_MAGLEV_BE_A_SLOT,		/* u32: LOOKUP only: first-choice slot */
	IPVS_MAGLEV_BE_A_FALLBACK,	/* flag: LOOKUP only: not the first choice */
	IPVS_MAGLEV_BE_A_RAMP_LEFT_MS,	/* u32: ms left in its slow start;
					 * absent when not ramping
					 */
	IPVS_MAGLEV_BE_A_DOWN,		/* u8 1 or 0: SET_BACKEND; in dumps,
					 * u8 1 when down, absent otherwise
					 */
	IPVS_MAGLEV_BE_A_PINS,		/* u32: flows pinned to it (dumps) */
	IPVS_MAGLEV_BE_A_SAVED_WEIGHT,	/* u32: drain metadata: the weight to
					 * restore; 0 (or absent): not draining
					 */
	IPVS_MAGLEV_BE_A_DRAIN_DEADLINE, /* u64: drain metadata: when to give
					  * up waiting, in seconds since the
					  * epoch; 0 (or absent): none
					  */
	IPVS_MAGLEV_BE_A_PAD,
	IPVS_MAGLEV_BE_A_RAMP_PPM,	/* u32: slow-start factor in the live
					 * table, per million (1000000: full
					 * weight); absent if not in the table
					 */
	__IPVS_MAGLEV_BE_A_LAST
};

#define IPVS_MAGLEV_BE_A_MAX (__IPVS_MAGLEV_BE_A_LAST - 1)

/* A flow, as the client sends it to the service. */
enum ipvs_maglev_flow_attr {
	IPVS_MAGLEV_FLOW_A_UNSPEC,
	IPVS_MAGLEV_FLOW_A_PROTOCOL,	/* u16: IPPROTO_* (default: service's) */
	IPVS_MAGLEV_FLOW_A_SADDR,	/* binary: client address (required) */
	IPVS_MAGLEV_FLOW_A_DADDR,	/* binary (default: service address) */
	IPVS_MAGLEV_FLOW_A_SPORT,	/* u16, network order (default 0) */
	IPVS_MAGLEV_FLOW_A_DPORT,	/* u16, network order (default: service
					 * port)
					 */
	__IPVS_MAGLEV_FLOW_A_LAST
};

#define IPVS_MAGLEV_FLOW_A_MAX (__IPVS_MAGLEV_FLOW_A_LAST - 1)

#endif /* _UAPI_LINUX_IP_VS_MAGLEV_H */
