/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: an errno as an exit code (EXIT_*) and in words (errors.c).
 */
#ifndef IPVSCTL_BASE_ERRORS_H
#define IPVSCTL_BASE_ERRORS_H

/* an errno (either sign) as an exit code, EXIT_* */
int exit_code(int err);

/* What a failed request was about, for the words of a missing object. */
enum err_obj {
	ERR_NONE,
	ERR_SERVICE,		/* ENOENT/ESRCH: "no such service" */
	ERR_BACKEND,		/* "no such backend" */
	ERR_SERVICE_BACKEND,	/* either may be missing (the kernel's extack says which) */
};

/* @err (either sign) in words: strerror(), but for a missing @obj. */
const char *err_text(int err, enum err_obj obj);

#endif
