// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: libcurl's loader (see curl.h).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "health/curl.h"

/*
 * libcurl is opened with dlopen() when the first HTTP, HTTPS or TLS probe
 * (or a DNS name) needs it, not linked: with the TLS, HTTP/2, LDAP, SSH
 * and Kerberos libraries it brings, it was 30 of ipvsctl's 37 shared
 * objects, and loading them at every start cost 3 ms natively and about
 * 90 ms under emulation, for every "ipvsctl list" of a shell script.
 * The soname is libcurl's ABI 4 (every libcurl since 7.16); the options
 * used need 7.87 (CURLOPT_QUICK_EXIT; CURLOPT_PROTOCOLS_STR is 7.85),
 * which debian/control requires and curl_load() checks: an older one
 * would refuse QUICK_EXIT, and a name still being looked up when its
 * probe ends would then be waited for, in the loop.
 */
#define CURL_SONAME "libcurl.so.4"
#define CURL_MIN_VERSION 0x075700	/* 7.87.0 */
#define CURL_MIN_TEXT "7.87.0"

struct curl_fns curl_fn;

int curl_load(char *why, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(f) { "curl_" #f, offsetof(typeof(curl_fn), f) }
		SYM(global_init), SYM(global_cleanup), SYM(easy_init), SYM(easy_setopt),
		SYM(easy_getinfo), SYM(easy_perform), SYM(easy_cleanup), SYM(easy_strerror),
		SYM(slist_append), SYM(slist_free_all), SYM(multi_init), SYM(multi_cleanup),
		SYM(multi_setopt), SYM(multi_add_handle), SYM(multi_remove_handle),
		SYM(multi_assign), SYM(multi_socket_action), SYM(multi_info_read),
		SYM(version_info),
#undef SYM
	};
	curl_version_info_data *v;
	size_t i;
	void *f;

	if (curl_fn.dl)
		return 0;
	curl_fn.dl = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!curl_fn.dl) {
		snprintf(why, len, "HTTP, HTTPS and TLS probes need libcurl: %s", dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		f = dlsym(curl_fn.dl, syms[i].name);
		if (!f) {
			snprintf(why, len, "%s has no %s: libcurl too old", CURL_SONAME,
				 syms[i].name);
			dlclose(curl_fn.dl);
			memset(&curl_fn, 0, sizeof(curl_fn));
			return -1;
		}
		memcpy((char *)&curl_fn + syms[i].off, &f, sizeof(f));
	}
	v = curl_version_info(CURLVERSION_NOW);
	if (!v || v->version_num < CURL_MIN_VERSION) {
		snprintf(why, len, "libcurl %s is too old: HTTP, HTTPS and TLS probes need "
			 CURL_MIN_TEXT " or later", v && v->version ? v->version : "?");
		dlclose(curl_fn.dl);
		memset(&curl_fn, 0, sizeof(curl_fn));
		return -1;
	}
	return 0;
}
