// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: ipvsctl's config parser, as "restore", "apply" and
 * "daemon -f" run it on a file: lines split into words (quotes,
 * comments), each parsed in ipvsctl's grammar or as an ipvsadm line, then
 * the whole file checked and turned into a desired state by the planner
 * against an empty kernel. An input that starts with '{' or '[' is read as
 * apply reads it, as JSON (apply_json.c), and its ops go to the planner
 * the same way. Any crash, sanitizer report or leak fails.
 *
 * Built and run by selftests/fuzz/run.sh (clang -fsanitize=fuzzer,...).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include "config/json.h"
#include "config/grammar.h"
#include "kernel/ipvs.h"
#include "kernel/maglev.h"
#include "model/model.h"
#include "kernel/nl.h"
#include "state/plan.h"

#define MAX_OPS 512

/*
 * The planner links against the kernel codecs to run plans; the fuzzer only
 * builds them. These are never called: each says so if it is.
 */
void nlc_batch_begin(struct nl *nl) { (void)nl; abort(); }
size_t nlc_batch_pending(const struct nl *nl) { (void)nl; abort(); }
bool nlc_batch_full(const struct nl *nl) { (void)nl; abort(); }
int nlc_batch_flush(struct nl *nl, int *errs, struct nl_err *e)
{ (void)nl; (void)errs; (void)e; abort(); }
void nlc_batch_end(struct nl *nl) { (void)nl; abort(); }
int kipvs_svc_add(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		  struct nl_err *e)
{ (void)nl; (void)id; (void)c; (void)e; abort(); }
int kipvs_svc_edit(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		   struct nl_err *e)
{ (void)nl; (void)id; (void)c; (void)e; abort(); }
int kipvs_svc_del(struct nl *nl, const struct svc_id *id, struct nl_err *e)
{ (void)nl; (void)id; (void)e; abort(); }
int kipvs_dest_add(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   const struct dest_conf *c, struct nl_err *e)
{ (void)nl; (void)id; (void)ap; (void)c; (void)e; abort(); }
int kipvs_dest_edit(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		    const struct dest_conf *c, struct nl_err *e)
{ (void)nl; (void)id; (void)ap; (void)c; (void)e; abort(); }
int kipvs_dest_del(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   struct nl_err *e)
{ (void)nl; (void)id; (void)ap; (void)e; abort(); }
int kipvs_flush(struct nl *nl, struct nl_err *e) { (void)nl; (void)e; abort(); }
int kipvs_zero(struct nl *nl, const struct svc_id *id, struct nl_err *e)
{ (void)nl; (void)id; (void)e; abort(); }
int kipvs_set_timeouts(struct nl *nl, const struct timeouts *t, struct nl_err *e)
{ (void)nl; (void)t; (void)e; abort(); }
int kipvs_start_daemon(struct nl *nl, const struct daemon_conf *d, struct nl_err *e)
{ (void)nl; (void)d; (void)e; abort(); }
int kipvs_stop_daemon(struct nl *nl, uint32_t state, struct nl_err *e)
{ (void)nl; (void)state; (void)e; abort(); }
int kmaglev_set_svc(struct nl *nl, const struct svc_id *id, const struct mg_params *p,
		    struct nl_err *e)
{ (void)nl; (void)id; (void)p; (void)e; abort(); }
int kmaglev_set_backend(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
			const struct mg_be_set *set, struct nl_err *e)
{ (void)nl; (void)id; (void)ap; (void)set; (void)e; abort(); }

/* the ops as a desired state, planned against an empty kernel */
static void plan_state(const struct op *ops, size_t n)
{
	struct plan_env env;
	struct model cur, out;
	struct plan plan;
	char why[512];
	size_t bad;

	memset(&env, 0, sizeof(env));
	model_init(&cur);
	model_init(&out);
	env.cur = &cur;
	env.mg.ss_aggr = 1000;
	env.mg.ss_min_pct = 10;
	if (!plan_build_state(&plan, &env, ops, n, &bad, why, sizeof(why), &out))
		plan_free(&plan);
	model_free(&out);
	model_free(&cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *line, *save = NULL, *w[GRAMMAR_MAX_WORDS], why[512];
	struct op *ops;
	size_t n = 0;
	int nw, lineno = 0;

	if (size > 1 << 16)
		return 0;
	text = malloc(size + 1);
	ops = calloc(MAX_OPS, sizeof(*ops));
	if (!text || !ops) {
		free(text);
		free(ops);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = 0;
	if (text[strspn(text, " \t\r\n")] == '{' || text[strspn(text, " \t\r\n")] == '[') {
		struct scope sc = { 0 };
		struct jops j = { .scope = &sc };

		free(ops);
		if (!json_to_ops("fuzz", text, &j, why, sizeof(why)))
			plan_state(j.v, j.n);
		jops_free(&j);
		scope_free(&sc);
		free(text);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line && n < MAX_OPS;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		nw = split_words(line, w, GRAMMAR_MAX_WORDS);
		if (nw <= 0)
			continue;
		if ((w[0][0] == '-' ? grammar_parse_ipvsadm : grammar_parse)(nw, w, &ops[n], why,
									 sizeof(why))) {
			op_release(&ops[n]);
			memset(&ops[n], 0, sizeof(ops[n]));
			continue;
		}
		ops[n].file = "fuzz";
		ops[n].line = lineno;
		n++;
	}
	plan_state(ops, n);
	ops_free(ops, n);
	free(text);
	return 0;
}
