// SPDX-License-Identifier: GPL-2.0
/*
 * exit_code() (ipvsctl/base/errors.c): every errno ipvsctl can meet maps to the
 * exit status ipvsctl(8) documents. Our own failures (memory, I/O, an
 * unreadable reply) are 1, never 6: 6 says the kernel refused the request.
 * And err_text(): a missing service is "no such service".
 */
#include <errno.h>
#include <string.h>

#include "base/errors.h"
#include "base/types.h"
#include "ktap.h"

static const struct {
	int err, rc;
} cases[] = {
	{ 0, EXIT_OK },
	{ -EPERM, EXIT_PERM },
	{ -EACCES, EXIT_PERM },
	{ -ENOENT, EXIT_NOTFOUND },
	{ -ESRCH, EXIT_NOTFOUND },
	{ -EEXIST, EXIT_EXISTS },
	{ -EPROTONOSUPPORT, EXIT_UNAVAIL },
	{ -EAFNOSUPPORT, EXIT_UNAVAIL },
	{ -ENOPROTOOPT, EXIT_UNAVAIL },
	/* the kernel's refusals */
	{ -EINVAL, EXIT_KERNEL },
	{ -EBUSY, EXIT_KERNEL },
	{ -ERANGE, EXIT_KERNEL },
	{ -EOPNOTSUPP, EXIT_KERNEL },
	{ -E2BIG, EXIT_KERNEL },
	/* ours, or the exchange's: failures, not refusals */
	{ -ENOMEM, EXIT_FAIL },
	{ -ENOBUFS, EXIT_FAIL },
	{ -EIO, EXIT_FAIL },
	{ -EPROTO, EXIT_FAIL },
	{ -EMSGSIZE, EXIT_FAIL },
	{ -ETIMEDOUT, EXIT_FAIL },
	{ -EAGAIN, EXIT_FAIL },
	/* either sign */
	{ ENOMEM, EXIT_FAIL },
	{ ENOENT, EXIT_NOTFOUND },
};

/* the words of a missing object (review K4): not ENOENT's strerror() */
static const struct {
	int err;
	enum err_obj obj;
	const char *text;
} texts[] = {
	{ -ENOENT, ERR_SERVICE, "no such service" },
	{ -ESRCH, ERR_SERVICE, "no such service" },
	{ -ENOENT, ERR_BACKEND, "no such backend" },
	{ ENOENT, ERR_SERVICE_BACKEND, "no such service or backend" },
	{ -EINVAL, ERR_SERVICE, "Invalid argument" },
	{ -ENOENT, ERR_NONE, "No such file or directory" },
};

int main(void)
{
	size_t i, n = sizeof(cases) / sizeof(cases[0]), nt = sizeof(texts) / sizeof(texts[0]);
	const char *t;
	int rc;

	/* the documented numbers themselves: scripts depend on them */
	ktap_plan((unsigned int)(n + nt) + 1);
	ktap_ok(EXIT_FAIL == 1 && EXIT_USAGE == 2 && EXIT_PERM == 3 && EXIT_NOTFOUND == 4 &&
		EXIT_EXISTS == 5 && EXIT_KERNEL == 6 && EXIT_UNAVAIL == 7 &&
		EXIT_DRAIN_TIMEOUT == 8 && EXIT_DIFFERS == 9 && EXIT_INTERRUPTED == 130 &&
		EXIT_TERMINATED == 143, "the exit codes are ipvsctl(8)'s");
	for (i = 0; i < n; i++) {
		rc = exit_code(cases[i].err);
		if (!ktap_ok(rc == cases[i].rc, "exit_code(%d) is %d: %s", cases[i].err,
			     cases[i].rc, strerror(cases[i].err < 0 ? -cases[i].err : cases[i].err)))
			ktap_diag("got %d", rc);
	}
	for (i = 0; i < nt; i++) {
		t = err_text(texts[i].err, texts[i].obj);
		if (!ktap_ok(!strcmp(t, texts[i].text), "err_text(%d, %d) is '%s'", texts[i].err,
			     texts[i].obj, texts[i].text))
			ktap_diag("got '%s'", t);
	}
	return ktap_finish();
}
