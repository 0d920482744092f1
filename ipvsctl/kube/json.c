// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: the JSON readers of the object parsers (internal.h), and
 * addresses and CIDRs in Kubernetes' text (object.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "kube/internal.h"

/* ---- small readers ------------------------------------------------------------ */

/* a member of an object, or NULL if @o is not an object or has none (or null) */
json_object *kj_member(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

int kj_bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * @s as a log line may show it: at most 64 characters, anything but
 * printable ASCII as '?', so that no input can forge a line of its own.
 */
const char *kj_show(const char *s, char *buf)
{
	size_t i;

	for (i = 0; s && s[i] && i < KJ_SHOW_MAX - 1; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = 0;
	return buf;
}

/* valid, but not an object a service proxy serves */
int kj_ignored(char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s", what);
	return KUBE_IGNORED;
}

/* a string member: NULL if absent or null, -EINVAL if another type */
int kj_str(json_object *o, const char *key, const char *path, const char **out,
	   char *why, size_t len)
{
	json_object *v = kj_member(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return kj_bad(why, len, "%s: not a string", path);
	/* "\u0000" inside: refused, not cut short (one object must not
	 * pass for another by its name)
	 */
	if ((size_t)json_object_get_string_len(v) != strlen(json_object_get_string(v)))
		return kj_bad(why, len, "%s: a NUL character inside", path);
	*out = json_object_get_string(v);
	return 0;
}

/* an integer member from @min to @max; @dflt if absent or null */
int kj_int(json_object *o, const char *key, const char *path, int64_t min,
	   int64_t max, int64_t dflt, int64_t *out, char *why, size_t len)
{
	json_object *v = kj_member(o, key);
	int64_t n;

	*out = dflt;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return kj_bad(why, len, "%s: not an integer", path);
	errno = 0;
	n = json_object_get_int64(v);
	if (errno || n < min || n > max)
		return kj_bad(why, len, "%s: %s is out of range (%lld to %lld)", path,
			   json_object_to_json_string(v), (long long)min, (long long)max);
	*out = n;
	return 0;
}

/* an array member: NULL if absent or null, -EINVAL if another type */
int kj_array(json_object *o, const char *key, const char *path, json_object **out,
	     char *why, size_t len)
{
	json_object *v = kj_member(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return kj_bad(why, len, "%s: not a list", path);
	*out = v;
	return 0;
}

/*
 * A name made of the characters Kubernetes allows (DNS labels and
 * subdomains: lowercase letters, digits, '-', and '.' for subdomains),
 * starting and ending with a letter or digit, shorter than @max. These
 * names end up in log lines and in nftables comments: nothing else may
 * pass.
 */
bool kj_name_ok(const char *s, size_t max, bool dots)
{
	size_t n = strlen(s), i;

	if (!n || n >= max)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if ((c == '-' || (dots && c == '.')) && i && i + 1 < n)
			continue;
		return false;
	}
	return true;
}

int kj_copy_name(const char *s, char *dst, size_t max, bool dots, const char *path,
		 char *why, size_t len)
{
	char show[KJ_SHOW_MAX];

	if (!s)
		return kj_bad(why, len, "%s: missing", path);
	if (!kj_name_ok(s, max, dots))
		return kj_bad(why, len, "%s: '%s' is not a valid name", path, kj_show(s, show));
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* ---- addresses ---------------------------------------------------------------- */

/*
 * IPv4 with leading zeros ("010.096.000.010"): API servers before 1.20
 * admitted them, and Kubernetes reads them as decimal (netutils'
 * ParseIPSloppy), never as octal. inet_pton() refuses them.
 */
static int ipv4_sloppy(const char *s, uint8_t *a)
{
	unsigned int i, v, digits;

	for (i = 0; i < 4; i++) {
		for (v = 0, digits = 0; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned int)(*s - '0');
		if (!digits || digits > 3 || v > 255 || *s != (i < 3 ? '.' : 0))
			return -EINVAL;
		a[i] = (uint8_t)v;
		s++;
	}
	return 0;
}

int kube_ip_parse(const char *s, struct kube_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, ip->a) == 1 || !ipv4_sloppy(s, ip->a)) {
		ip->af = AF_INET;
		return 0;
	}
	/* no zone (fe80::1%eth0): inet_pton refuses it too */
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->af = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int kube_cidr_parse(const char *s, struct kube_cidr *c)
{
	char buf[64], *slash, *end;
	unsigned long n;
	unsigned int i, max;

	memset(c, 0, sizeof(*c));
	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	/* kube-proxy trims blanks around each range (serviceport.go) */
	while (*s == ' ')
		s++;
	snprintf(buf, sizeof(buf), "%s", s);
	for (i = strlen(buf); i && buf[i - 1] == ' '; i--)
		buf[i - 1] = 0;
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	if (kube_ip_parse(buf, &c->ip))
		return -EINVAL;
	max = c->ip.af == AF_INET ? 32 : 128;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (errno || *end || n > max || (slash[1] == '0' && slash[2]))
		return -EINVAL;
	c->len = (uint8_t)n;
	/* host bits cleared, as Go's net.ParseCIDR gives the network */
	for (i = c->len; i < max; i++)
		c->ip.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

bool kube_cidr_has(const struct kube_cidr *c, const struct kube_ip *ip)
{
	unsigned int i;

	if (c->ip.af != ip->af)
		return false;
	for (i = 0; i < c->len; i++) {
		uint8_t bit = 0x80u >> (i % 8);

		if ((c->ip.a[i / 8] & bit) != (ip->a[i / 8] & bit))
			return false;
	}
	return true;
}

/* an array of address strings into a new array of kube_ip */
int kj_ip_list(json_object *arr, const char *path, struct kube_ip **out, size_t *n,
	       char *why, size_t len)
{
	size_t i, cnt = arr ? json_object_array_length(arr) : 0;
	char show[KJ_SHOW_MAX];
	struct kube_ip *v;

	*out = NULL;
	*n = 0;
	if (!cnt)
		return 0;
	if (cnt > KUBE_SVC_LIST_MAX)
		return kj_bad(why, len, "%s: more than %d", path, KUBE_SVC_LIST_MAX);
	v = calloc(cnt, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(e, json_type_string) ||
		    kube_ip_parse(json_object_get_string(e), &v[i])) {
			free(v);
			return kj_bad(why, len, "%s[%zu]: '%s' is not an IP address", path, i,
				      kj_show(json_object_is_type(e, json_type_string) ?
					      json_object_get_string(e) : json_object_to_json_string(e),
					      show));
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- common metadata ---------------------------------------------------------- */

void kube_object_name(json_object *o, char *buf, size_t len)
{
	json_object *md = kj_member(o, "metadata");
	json_object *ns = kj_member(md, "namespace"), *name = kj_member(md, "name");

	if (json_object_is_type(ns, json_type_string) && json_object_is_type(name, json_type_string) &&
	    kj_name_ok(json_object_get_string(ns), KUBE_NS_MAX, false) &&
	    kj_name_ok(json_object_get_string(name), KUBE_NAME_MAX, true))
		snprintf(buf, len, "%s/%s", json_object_get_string(ns), json_object_get_string(name));
	else
		snprintf(buf, len, "?");
}

int kj_metadata(json_object *o, char *ns, char *name, json_object **labels, char *why,
		size_t len)
{
	json_object *md = kj_member(o, "metadata");
	const char *s;
	int err;

	if (!md || !json_object_is_type(md, json_type_object))
		return kj_bad(why, len, "metadata: missing");
	err = kj_str(md, "namespace", "metadata.namespace", &s, why, len);
	if (!err)
		err = kj_copy_name(s, ns, KUBE_NS_MAX, false, "metadata.namespace", why, len);
	if (!err)
		err = kj_str(md, "name", "metadata.name", &s, why, len);
	if (!err)
		err = kj_copy_name(s, name, KUBE_NAME_MAX, true, "metadata.name", why, len);
	if (err)
		return err;
	*labels = kj_member(md, "labels");
	if (*labels && !json_object_is_type(*labels, json_type_object))
		return kj_bad(why, len, "metadata.labels: not an object");
	return 0;
}

int kj_proto(const char *s, const char *path, int *proto, char *why, size_t len)
{
	char show[KJ_SHOW_MAX];

	if (!s || !strcmp(s, "TCP"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "UDP"))
		*proto = IPPROTO_UDP;
	else if (!strcmp(s, "SCTP"))
		*proto = IPPROTO_SCTP;
	else
		return kj_bad(why, len, "%s: '%s' is not TCP, UDP or SCTP", path, kj_show(s, show));
	return 0;
}

int kj_port_name(json_object *p, const char *path, char *dst, char *why, size_t len)
{
	const char *s;
	int err = kj_str(p, "name", path, &s, why, len);

	if (err)
		return err;
	dst[0] = 0;
	if (!s || !*s)
		return 0;
	return kj_copy_name(s, dst, KUBE_PORT_NAME_MAX, false, path, why, len);
}

int kj_port_entry(json_object *p, const char *list, size_t i, char *name, int *proto,
		  uint16_t *port, bool required, char *why, size_t len)
{
	const char *pr;
	char path[64];
	int64_t v;
	int err;

	if (!json_object_is_type(p, json_type_object))
		return kj_bad(why, len, "%s[%zu]: not an object", list, i);
	snprintf(path, sizeof(path), "%s[%zu].name", list, i);
	err = kj_port_name(p, path, name, why, len);
	snprintf(path, sizeof(path), "%s[%zu].protocol", list, i);
	if (!err)
		err = kj_str(p, "protocol", path, &pr, why, len);
	if (!err)
		err = kj_proto(pr, path, proto, why, len);
	snprintf(path, sizeof(path), "%s[%zu].port", list, i);
	if (!err)
		err = kj_int(p, "port", path, required ? 1 : 0, 65535, required ? -1 : 0, &v,
			     why, len);
	if (!err && v < 0)
		err = kj_bad(why, len, "%s: missing", path);
	if (!err)
		*port = (uint16_t)v;
	return err;
}
