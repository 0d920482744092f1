// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl daemon: the managed set on disk (see managed.h).
 *
 * A text file, one service a line as the grammar writes it, between a
 * header line and a trailer that counts them:
 *
 *   # ipvsctl daemon: the services it manages
 *   ipvsctl-managed 1
 *   owner netns 4026531840 config /etc/ipvsctl/lb.conf
 *   tcp/10.0.0.1:80
 *   fwmark/7
 *   end 2
 *
 * Anything else (no header, another version, a line that is not a
 * service, a count that does not match, no trailer, text after it) makes
 * the whole file refused: the set decides what is deleted, and a file cut
 * short or edited by hand must not delete services it no longer names.
 * The owner line says which daemon wrote it (its network namespace and
 * config file): a set another daemon wrote (a second daemon started by
 * hand on the same state file) is not this one's to act on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/atomicfile.h"
#include "model/addr.h"
#include "state/managed.h"

#define MANAGED_HEADER "ipvsctl-managed 1"

static int svc_id_qcmp(const void *x, const void *y)
{
	return svc_id_cmp(x, y);
}

void managed_sort(struct svc_id *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), svc_id_qcmp);
}

bool managed_has(const struct svc_id *v, size_t n, const struct svc_id *id)
{
	return n && bsearch(id, v, n, sizeof(*v), svc_id_qcmp);
}

int managed_write(const char *path, const char *owner, const struct svc_id *v, size_t n,
		  char *why, size_t whylen)
{
	char name[128], *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	int err;

	f = open_memstream(&buf, &len);
	if (!f) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	fputs("# ipvsctl daemon: the services it manages (see ipvsctl(8), daemon)\n"
	      MANAGED_HEADER "\n", f);
	fprintf(f, "owner %s\n", owner);
	for (i = 0; i < n; i++) {
		fmt_svc(&v[i], name, sizeof(name));
		fprintf(f, "%s\n", name);
	}
	fprintf(f, "end %zu\n", n);
	if (fclose(f)) {
		free(buf);
		snprintf(why, whylen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	err = atomic_write(path, buf, len, 0644, why, whylen);
	free(buf);
	return err;
}

int managed_read(const char *path, const char *owner, struct svc_id **out, size_t *nout,
		 char *why, size_t whylen)
{
	struct svc_id *v = NULL, *nv;
	size_t n = 0, cap = 0, lineno = 0, count;
	char *line = NULL, perr[160], tail;
	bool header = false, owned = false, end = false;
	size_t lcap = 0;
	ssize_t ll;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	while ((ll = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		if (ll && line[ll - 1] == '\n')
			line[--ll] = 0;
		if (!header) {
			if (line[0] == '#')
				continue;
			if (strcmp(line, MANAGED_HEADER)) {
				snprintf(why, whylen, "%s:%zu: not a managed-services file (no '%s')", path,
					 lineno, MANAGED_HEADER);
				goto bad;
			}
			header = true;
			continue;
		}
		if (!owned) {
			if (strncmp(line, "owner ", 6)) {
				snprintf(why, whylen, "%s:%zu: no owner line", path, lineno);
				goto bad;
			}
			if (strcmp(line + 6, owner)) {
				snprintf(why, whylen, "%s: written by another daemon (%s), not this one (%s)",
					 path, line + 6, owner);
				err = -ESTALE;
				goto out;
			}
			owned = true;
			continue;
		}
		if (end) {
			snprintf(why, whylen, "%s:%zu: text after the end", path, lineno);
			goto bad;
		}
		if (!strncmp(line, "end ", 4)) {
			if (sscanf(line + 4, "%zu%c", &count, &tail) != 1 || count != n) {
				snprintf(why, whylen, "%s:%zu: '%s', but %zu services were read", path,
					 lineno, line, n);
				goto bad;
			}
			end = true;
			continue;
		}
		nv = array_room(v, n, &cap, sizeof(*v), 64);
		if (!nv) {
			err = -ENOMEM;
			snprintf(why, whylen, "%s: %s", path, strerror(ENOMEM));
			goto out;
		}
		v = nv;
		if (parse_svc(line, &v[n], perr, sizeof(perr))) {
			snprintf(why, whylen, "%s:%zu: %s", path, lineno, perr);
			goto bad;
		}
		n++;
	}
	if (ferror(f)) {
		err = -EIO;
		snprintf(why, whylen, "%s: %s", path, strerror(EIO));
		goto out;
	}
	if (!end) {
		snprintf(why, whylen, "%s: cut short (no 'end' line)", path);
		goto bad;
	}
	managed_sort(v, n);
	*out = v;
	*nout = n;
	v = NULL;
	goto out;
bad:
	err = -EINVAL;
out:
	free(v);
	free(line);
	fclose(f);
	return err;
}
