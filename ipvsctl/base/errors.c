// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the one place an errno becomes an exit code, and the words a
 * message uses for an errno (err_text()). Kept apart from ipvsctl.c (main) so the host
 * unit tests can link it.
 */
#include <errno.h>
#include <string.h>

#include "base/errors.h"
#include "base/types.h"

int exit_code(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:			return EXIT_OK;
	case EPERM:
	case EACCES:		return EXIT_PERM;
	case ENOENT:
	case ESRCH:		return EXIT_NOTFOUND;
	case EEXIST:		return EXIT_EXISTS;
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
	case ENOPROTOOPT:	return EXIT_UNAVAIL;
	/*
	 * Failures of ours or of the exchange, not a refusal of the
	 * request: no memory or buffer space, a reply we could not read or
	 * parse (nl.c's -EIO, -EPROTO, -EMSGSIZE), an answer that never
	 * came, a dump interrupted too often. A script that retries on 6
	 * ("fix the request") must not see these as 6.
	 */
	case ENOMEM:
	case ENOBUFS:
	case ENOSPC:
	case EIO:
	case EPROTO:
	case EBADMSG:
	case EMSGSIZE:
	case ETIMEDOUT:
	case EAGAIN:
	case EINTR:
	case EPIPE:
	case ECONNREFUSED:
	case ECONNRESET:	return EXIT_FAIL;
	default:		return EXIT_KERNEL;
	}
}

const char *err_text(int err, enum err_obj obj)
{
	err = err < 0 ? -err : err;
	/* IPVS says ESRCH for a missing service, and kernel/ipvs.c makes that
	 * ENOENT: strerror() would say "No such file or directory"
	 */
	if (err == ENOENT || err == ESRCH) {
		switch (obj) {
		case ERR_SERVICE:		return "no such service";
		case ERR_BACKEND:		return "no such backend";
		case ERR_SERVICE_BACKEND:	return "no such service or backend";
		default:			break;
		}
	}
	return strerror(err);
}
