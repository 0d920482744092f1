// SPDX-License-Identifier: GPL-2.0
/*
 * ip_vs_maglev: Maglev consistent-hashing scheduler for IPVS.
 *
 * Module init and exit, module parameters and per-netns state. The
 * scheduler is in sched.c, the generic netlink family in netlink.c, the
 * Maglev algorithm in maglev.c.
 *
 * IPVS loads this module by name ("ip_vs_" + scheduler name) the first
 * time a service asks for the "maglev" scheduler, and holds a reference
 * on it while any service uses it.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/wait_bit.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "ip_vs_maglev.h"

static struct mg_keys ip_vs_maglev_keys __read_mostly;

/*
 * Whoever knows the seed can choose flows that all reach one backend, so it
 * is a secret the directors of a fleet share: readable by root only, and
 * reported over netlink only to callers privileged over the initial user
 * namespace (netlink.c); everyone else, and the kernel log, get its
 * fingerprint. Hiding it is not enough: anyone who can make a service
 * with the same keys can ask which slot a flow takes (LOOKUP), or watch
 * where flows go. So namespaces owned by other user namespaces, which
 * unprivileged users can create, hash with random keys of their own
 * (ip_vs_maglev_net_init()).
 */
static unsigned long long hash_seed = MG_SEED_DEFAULT;
module_param(hash_seed, ullong, 0400);
MODULE_PARM_DESC(hash_seed,
		 "Seed of every Maglev hash: any 64-bit value, fixed at load time (default 0x6d61676c65763031, public: set a secret one). Directors that must build equal tables need equal seeds. Readable by root only; others see its fingerprint.");

static u64 hash_seed_fp __read_mostly;

/*
 * Also serve the scheduler name "mh", with mh's flag meanings, for the
 * tools that accept only IPVS's own scheduler names (ip_vs_maglev(4)).
 * Load time only: a name cannot be taken from services that use it.
 */
static bool mh;
module_param(mh, bool, 0444);
MODULE_PARM_DESC(mh,
		 "Also register as the IPVS scheduler \"mh\" (Maglev tables with mh's flag meanings: source-address hashing, mh-port adds the source port). Fails if ip_vs_mh is loaded. Default off; load time only.");

static unsigned int table_size = MG_SIZE_DEFAULT;
static unsigned int rebuild_holdoff_ms = 100;

static int ip_vs_maglev_set_table_size(const char *val,
				       const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v < MG_SIZE_MIN || v > MG_SIZE_MAX || !mg_is_prime(v))
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ip_vs_maglev_table_size_ops = {
	.set = ip_vs_maglev_set_table_size,
	.get = param_get_uint,
};
module_param_cb(table_size, &ip_vs_maglev_table_size_ops, &table_size, 0644);
MODULE_PARM_DESC(table_size,
		 "Table size, in slots, of services that do not set their own: a prime in [251, 1048573] (default 65521). Takes effect at a service's next rebuild.");

static int ip_vs_maglev_set_holdoff(const char *val,
				    const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v > 60000)
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ip_vs_maglev_holdoff_ops = {
	.set = ip_vs_maglev_set_holdoff,
	.get = param_get_uint,
};
module_param_cb(rebuild_holdoff_ms, &ip_vs_maglev_holdoff_ops,
		&rebuild_holdoff_ms, 0644);
MODULE_PARM_DESC(rebuild_holdoff_ms,
		 "Minimum time between two table builds of a service, 0..60000 ms (default 100). A change builds at once unless a build happened within this time; then one build covers every change made meanwhile.");

/* Slow start defaults, copied into each service when it starts using the
 * scheduler; IPVS_MAGLEV_CMD_SET_SERVICE changes a service's own.
 */
static unsigned int slow_start_ms;
static unsigned int slow_start_aggression = MG_SS_AGGR_ONE;
static unsigned int slow_start_min_pct = 10;

static int ip_vs_maglev_set_ss_ms(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v > MG_SS_WINDOW_MAX_MS)
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ip_vs_maglev_ss_ms_ops = {
	.set = ip_vs_maglev_set_ss_ms,
	.get = param_get_uint,
};
module_param_cb(slow_start_ms, &ip_vs_maglev_ss_ms_ops, &slow_start_ms, 0644);
MODULE_PARM_DESC(slow_start_ms,
		 "Default slow-start window of new services, 0..3600000 ms (default 0: off). A backend added to a service that has an available backend, or whose weight goes from 0 to more, ramps up over this window.");

/* "1", "1.5", "0.25": thousandths, within [0.1, 10] */
static int ip_vs_maglev_set_aggr(const char *val, const struct kernel_param *kp)
{
	unsigned int ip = 0, frac = 0, scale = 1000, digits = 0;
	const char *p = val;

	if (!isdigit(*p))
		return -EINVAL;
	while (isdigit(*p)) {
		ip = ip * 10 + (*p++ - '0');
		if (ip > 10)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		while (isdigit(*p)) {
			if (++digits <= 3) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
			p++;
		}
	}
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	ip = ip * 1000 + frac;
	if (ip < MG_SS_AGGR_MIN || ip > MG_SS_AGGR_MAX)
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, ip);
	return 0;
}

static int ip_vs_maglev_get_aggr(char *buf, const struct kernel_param *kp)
{
	unsigned int v = READ_ONCE(*(unsigned int *)kp->arg);

	return scnprintf(buf, PAGE_SIZE, "%u.%03u\n", v / 1000, v % 1000);
}

static const struct kernel_param_ops ip_vs_maglev_aggr_ops = {
	.set = ip_vs_maglev_set_aggr,
	.get = ip_vs_maglev_get_aggr,
};
module_param_cb(slow_start_aggression, &ip_vs_maglev_aggr_ops, &slow_start_aggression, 0644);
MODULE_PARM_DESC(slow_start_aggression,
		 "Default slow-start curve of new services, 0.1..10 with up to 3 decimals (default 1.0: linear). The effective weight is w * max(min_pct/100, f^(1/aggression)) at elapsed fraction f of the window; above 1 ramps faster early.");

static int ip_vs_maglev_set_pct(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v > 100)
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ip_vs_maglev_pct_ops = {
	.set = ip_vs_maglev_set_pct,
	.get = param_get_uint,
};
module_param_cb(slow_start_min_pct, &ip_vs_maglev_pct_ops, &slow_start_min_pct, 0644);
MODULE_PARM_DESC(slow_start_min_pct,
		 "Default slow-start floor of new services, 0..100 percent of the configured weight (default 10).");

void ip_vs_maglev_ss_defaults(u32 *window_ms, u32 *aggression, u32 *min_pct)
{
	*window_ms = READ_ONCE(slow_start_ms);
	*aggression = READ_ONCE(slow_start_aggression);
	*min_pct = READ_ONCE(slow_start_min_pct);
}

/* Flow pins: the namespace's budget, the host's and unprivileged users',
 * and the idle timeout. The default timeout outlives IPVS's TCP
 * established timeout (900 s).
 */
static unsigned int pin_max = 262144;
static unsigned int pin_max_host = 1048576;
static unsigned int pin_max_userns = 262144;
static unsigned int pin_timeout_ms = 960000;

static int ip_vs_maglev_set_pin_max(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v < 1 || v > (1u << 24))
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static int ip_vs_maglev_set_pin_max_all(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v < 1 || v > (1u << 26))
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ip_vs_maglev_pin_max_all_ops = {
	.set = ip_vs_maglev_set_pin_max_all,
	.get = param_get_uint,
};
module_param_cb(pin_max_host, &ip_vs_maglev_pin_max_all_ops, &pin_max_host, 0644);
MODULE_PARM_DESC(pin_max_host,
		 "Flow pins all network namespaces together may hold, 1..67108864 (default 1048576): the bound on the host's pin memory. Beyond it a namespace evicts among its own pins.");
module_param_cb(pin_max_userns, &ip_vs_maglev_pin_max_all_ops, &pin_max_userns, 0644);
MODULE_PARM_DESC(pin_max_userns,
		 "Flow pins the network namespaces owned by user namespaces other than the initial one (unprivileged users' namespaces) may hold together, 1..67108864 (default 262144). Keeps them from taking the host's share of pin_max_host.");

static const struct kernel_param_ops ip_vs_maglev_pin_max_ops = {
	.set = ip_vs_maglev_set_pin_max,
	.get = param_get_uint,
};
module_param_cb(pin_max, &ip_vs_maglev_pin_max_ops, &pin_max, 0644);
MODULE_PARM_DESC(pin_max,
		 "Flow pins a network namespace may hold, 1..16777216 (default 262144); the least recently used are evicted beyond it. Changes apply at once; a namespace's pin table is sized from it when first needed.");

static int ip_vs_maglev_set_pin_timeout(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v < 1000 || v > 86400000)
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ip_vs_maglev_pin_timeout_ops = {
	.set = ip_vs_maglev_set_pin_timeout,
	.get = param_get_uint,
};
module_param_cb(pin_timeout_ms, &ip_vs_maglev_pin_timeout_ops, &pin_timeout_ms, 0644);
MODULE_PARM_DESC(pin_timeout_ms,
		 "A flow pin unused this long is dropped, 1000..86400000 ms (default 960000, beyond IPVS's 900 s TCP timeout).");

u32 ip_vs_maglev_pin_max(void)
{
	return READ_ONCE(pin_max);
}

u32 ip_vs_maglev_pin_max_host(void)
{
	return READ_ONCE(pin_max_host);
}

u32 ip_vs_maglev_pin_max_userns(void)
{
	return READ_ONCE(pin_max_userns);
}

u32 ip_vs_maglev_pin_timeout_jiffies(void)
{
	return msecs_to_jiffies(READ_ONCE(pin_timeout_ms));
}

/*
 * The seed's fingerprint: SipHash-2-4 (Aumasson and Bernstein, "SipHash: a
 * fast short-input PRF", 2012; the kernel's lib/siphash.c) of the message 0
 * keyed with (seed, "maglevfp"). Equal seeds give equal fingerprints, and
 * finding a seed from one is a search of the whole 64-bit space. The
 * formula is in the UAPI header, so tools may compute it.
 */
static u64 ip_vs_maglev_make_seed_fp(u64 seed)
{
	const siphash_key_t key = { { seed, 0x6d61676c65766670ULL } };

	return siphash_1u64(0, &key);
}

u32 ip_vs_maglev_default_table_size(void)
{
	return READ_ONCE(table_size);
}

unsigned int ip_vs_maglev_holdoff_jiffies(void)
{
	return msecs_to_jiffies(READ_ONCE(rebuild_holdoff_ms));
}

/* ---- per network namespace ----------------------------------------------- */

/*
 * Generations of the service and backend lists, for dumps (netlink.c): one
 * counter for the module, so a service deleted and made again between two
 * parts of a dump never shows its old generation. Never 0, which netlink
 * takes as "not tracked".
 */
static atomic_t ip_vs_maglev_gen = ATOMIC_INIT(0);

u32 ip_vs_maglev_next_gen(void)
{
	u32 g = (u32)atomic_inc_return(&ip_vs_maglev_gen);

	return g ? g : (u32)atomic_inc_return(&ip_vs_maglev_gen);
}

static unsigned int ip_vs_maglev_net_id __read_mostly;

struct ip_vs_maglev_net *ip_vs_maglev_net(struct net *net)
{
	return net_generic(net, ip_vs_maglev_net_id);
}

static int __net_init ip_vs_maglev_net_init(struct net *net)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(net);

	mutex_init(&mn->lock);
	atomic_set(&mn->reaping, 0);
	mn->gen = ip_vs_maglev_next_gen();
	mn->userns = net->user_ns != &init_user_ns;
	if (mn->userns) {
		mn->seed = get_random_u64();
		mn->seed_fp = ip_vs_maglev_make_seed_fp(mn->seed);
		mg_keys_init(&mn->own_keys, mn->seed);
		mn->keys = &mn->own_keys;
	} else {
		mn->seed = hash_seed;
		mn->seed_fp = hash_seed_fp;
		mn->keys = &ip_vs_maglev_keys;
	}
	INIT_LIST_HEAD(&mn->services);
	hash_init(mn->hash);
	INIT_WORK(&mn->pins_work, ip_vs_maglev_pins_create_work);
	return 0;
}

/*
 * The order a dying namespace is torn down in (net/core/net_namespace.c,
 * net/netfilter/ipvs/ip_vs_core.c):
 *  1. IPVS's pernet device exit unregisters its hooks: no packet reaches
 *     schedule() in this namespace any more;
 *  2. this exit (subsystems exit in the reverse order of registration,
 *     and this module registers after ip_vs);
 *  3. IPVS's subsystem exit flushes the services, calling our
 *     done_service for each maglev one, and then frees its dests without
 *     looking at their refcounts (ip_vs_trash_cleanup());
 *  4. the namespace's generic storage (our mn) is freed.
 * So the maglev services still exist here. This exit waits for the reap
 * of services deleted earlier (they hold dest references through pins),
 * then drops every pin and the pin table; done_service, from 3, sees
 * mn->dying and frees its service without a reap. Every reference this
 * module holds on a dest is dropped before IPVS frees them.
 */
static void __net_exit ip_vs_maglev_net_exit(struct net *net)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(net);

	mutex_lock(&mn->lock);
	mn->dying = true;
	mutex_unlock(&mn->lock);
	wait_var_event(&mn->reaping, !atomic_read(&mn->reaping));
	cancel_work_sync(&mn->pins_work);
	ip_vs_maglev_pins_destroy(mn);
	mem_cgroup_put(mn->memcg);
	mn->memcg = NULL;
}

static struct pernet_operations ip_vs_maglev_net_ops = {
	.init = ip_vs_maglev_net_init,
	.exit = ip_vs_maglev_net_exit,
	.id = &ip_vs_maglev_net_id,
	.size = sizeof(struct ip_vs_maglev_net),
};

static int __init ip_vs_maglev_init(void)
{
	int err;

	mg_keys_init(&ip_vs_maglev_keys, hash_seed);
	hash_seed_fp = ip_vs_maglev_make_seed_fp(hash_seed);

	err = ip_vs_maglev_pin_init();
	if (err)
		return err;
	/*
	 * An inherited hazard, not ours to fix: IPVS loads this module with
	 * request_module() while it holds its config mutex (global before
	 * 7.x), and register_pernet_subsys() below takes pernet_ops_rwsem for
	 * writing. A namespace being cleaned up at that moment holds that
	 * rwsem for reading and waits for IPVS's mutex in IPVS's own exit: the
	 * load hangs until the ipvsadm that asked for it is killed. ip_vs_lblc
	 * and ip_vs_lblcr register pernet ops the same way. Loading the module
	 * beforehand (modprobe, or modules-load.d) avoids it.
	 */
	err = register_pernet_subsys(&ip_vs_maglev_net_ops);
	if (err)
		goto err_pin;
	err = ip_vs_maglev_sched_init(mh);
	if (err)
		goto err_pernet;
	err = ip_vs_maglev_genl_init();
	if (err)
		goto err_sched;
	pr_info("version %s, table size %u, seed fingerprint %016llx%s\n",
		IP_VS_MAGLEV_VERSION, table_size, hash_seed_fp,
		hash_seed == MG_SEED_DEFAULT ? " (the public default seed)" : "");
	return 0;

err_sched:
	ip_vs_maglev_sched_exit();
err_pernet:
	unregister_pernet_subsys(&ip_vs_maglev_net_ops);
err_pin:
	ip_vs_maglev_pin_exit();
	return err;
}

static void __exit ip_vs_maglev_exit(void)
{
	ip_vs_maglev_genl_exit();
	ip_vs_maglev_sched_exit();
	unregister_pernet_subsys(&ip_vs_maglev_net_ops);
	ip_vs_maglev_pin_exit();
}

module_init(ip_vs_maglev_init);
module_exit(ip_vs_maglev_exit);
MODULE_DESCRIPTION("IPVS Maglev consistent-hashing scheduler with slow start and flow pinning");
MODULE_LICENSE("GPL");
MODULE_VERSION(IP_VS_MAGLEV_VERSION);
MODULE_ALIAS_GENL_FAMILY(IPVS_MAGLEV_GENL_NAME);
