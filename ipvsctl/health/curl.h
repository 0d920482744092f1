/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: libcurl, opened with dlopen() on first use (curl.c says why).
 * The probe loop calls curl_easy_init() and the rest as usual: the names
 * below lead to the functions curl_load() found.
 */
#ifndef IPVSCTL_HEALTH_CURL_H
#define IPVSCTL_HEALTH_CURL_H

#include <stddef.h>

/* the calls go through curl_fn below, not the header's type-checking macros */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

struct curl_fns {
	void *dl;
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	curl_version_info_data *(*version_info)(CURLversion);
};
extern struct curl_fns curl_fn;

/* curl.h's own pass-through macros for these three */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init	curl_fn.global_init
#define curl_global_cleanup	curl_fn.global_cleanup
#define curl_easy_init		curl_fn.easy_init
#define curl_easy_setopt	curl_fn.easy_setopt
#define curl_easy_getinfo	curl_fn.easy_getinfo
#define curl_easy_perform	curl_fn.easy_perform
#define curl_easy_cleanup	curl_fn.easy_cleanup
#define curl_easy_strerror	curl_fn.easy_strerror
#define curl_slist_append	curl_fn.slist_append
#define curl_slist_free_all	curl_fn.slist_free_all
#define curl_multi_init		curl_fn.multi_init
#define curl_multi_cleanup	curl_fn.multi_cleanup
#define curl_multi_setopt	curl_fn.multi_setopt
#define curl_multi_add_handle	curl_fn.multi_add_handle
#define curl_multi_remove_handle curl_fn.multi_remove_handle
#define curl_multi_assign	curl_fn.multi_assign
#define curl_multi_socket_action curl_fn.multi_socket_action
#define curl_multi_info_read	curl_fn.multi_info_read
#define curl_version_info	curl_fn.version_info

/* Open libcurl once. 0, or -1 with @why saying what is missing. */
int curl_load(char *why, size_t len);

#endif
