// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the kernel settings a director needs (see sysctl.h), read and
 * written through /proc/sys of the namespace ipvsctl runs in. The values
 * and the reasons are those kube-proxy's IPVS mode sets (pkg/proxy/ipvs:
 * conntrack, expire_nodest_conn, expire_quiescent_template;
 * arp_ignore/arp_announce for strictARP), and the IPVS documentation's
 * (Documentation/networking/ipvs-sysctl.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/sysctl.h"

static const struct director_sysctl all_sysctls[] = {
	{ "net.ipv4.vs.conntrack", 1, false,
	  "keep netfilter conntrack entries for IPVS connections, so NAT and "
	  "masquerade rules (iptables/nftables) see them" },
	{ "net.ipv4.vs.expire_nodest_conn", 1, false,
	  "drop the connections of a deleted backend at their next packet, "
	  "instead of silently dropping their packets until they time out" },
	{ "net.ipv4.vs.expire_quiescent_template", 1, false,
	  "persistence templates of a weight-0 backend expire, so persistent "
	  "clients leave a drained backend" },
	{ "net.ipv4.conf.all.arp_ignore", 1, true,
	  "direct routing: answer ARP only for addresses of the receiving "
	  "interface (not for VIPs held on lo or a dummy interface)" },
	{ "net.ipv4.conf.all.arp_announce", 2, true,
	  "direct routing: never announce a VIP as an ARP source address" },
};

const struct director_sysctl *director_sysctls(size_t *n)
{
	*n = sizeof(all_sysctls) / sizeof(all_sysctls[0]);
	return all_sysctls;
}

static void sysctl_path(const char *name, char *buf, size_t len)
{
	size_t i, o = (size_t)snprintf(buf, len, "/proc/sys/");

	for (i = 0; name[i] && o + 1 < len; i++)
		buf[o++] = name[i] == '.' ? '/' : name[i];
	buf[o] = 0;
}

int sysctl_read(const char *name, long *v)
{
	char path[128], buf[32], *end;
	ssize_t n;
	int fd;

	sysctl_path(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	errno = 0;
	*v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return -EIO;
	return 0;
}

int sysctl_write(const char *name, long v)
{
	char path[128], buf[32];
	ssize_t n;
	int fd, len;

	sysctl_path(name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	n = write(fd, buf, (size_t)len);
	if (n != len) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		return err;
	}
	return close(fd) ? -errno : 0;
}
