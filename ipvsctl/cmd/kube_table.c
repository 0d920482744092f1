// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube sync: its nftables step (kube_sync.c has the others and
 * their order). The table inet ipvsctl is replaced whole in one
 * transaction; in a partial sync of the agent's (kube.h, struct
 * kube_incr), only the elements that changed are, when nothing else did.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/kube.h"
#include "kube/nft.h"
#include "kube/nftlib.h"

/* FNV-1a, 64 bits: the table's text, to know it unchanged */
static uint64_t text_hash(const char *t)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *t; t++)
		h = (h ^ (uint8_t)*t) * 0x100000001b3ULL;
	return h ? h : 1;	/* 0 is "unknown" */
}

/* "a, b" of @v's elements that @w lacks (both sorted), for a map's
 * deletion its keys alone; the count
 */
static size_t put_missing(FILE *f, const char *verb, char **v, size_t n, char **w, size_t m)
{
	size_t i = 0, j = 0, k = 0;

	while (i < n) {
		int d = j < m ? strcmp(v[i], w[j]) : -1;

		if (d > 0) {
			j++;
			continue;
		}
		if (d < 0) {
			const char *map = strstr(v[i], " : ");
			int len = map && *verb == 'd' ? (int)(map - v[i]) : (int)strlen(v[i]);

			fprintf(f, "%s%.*s", k++ ? ", " : "", len, v[i]);
		} else {
			j++;
		}
		i++;
	}
	return k;
}

/* the text that takes the table's elements from @old to @now: deletions
 * first, then additions, in one transaction; *n the elements changed
 */
static char *elems_text(struct kube_nft_eset *old, struct kube_nft_eset *now, size_t *n)
{
	char *text = NULL;
	size_t len = 0, k, pass;
	FILE *f = open_memstream(&text, &len);

	*n = 0;
	if (!f)
		return NULL;
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < KUBE_NFT_ESETS; k++) {
			struct kube_nft_eset *a = pass ? &now[k] : &old[k], *b = pass ? &old[k] : &now[k];
			const char *verb = pass ? "add" : "delete";
			size_t c;
			long at;

			/* a header, then the elements; taken back if there were none */
			at = ftell(f);
			fprintf(f, "%s element inet " KUBE_NFT_TABLE " %s { ", verb, a->name);
			c = put_missing(f, verb, a->v, a->n, b->v, b->n);
			if (c) {
				fputs(" }\n", f);
				*n += c;
			} else {
				fseek(f, at, SEEK_SET);
			}
		}
	fputc(0, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static int nft_send(const char *text, bool check, char *why, size_t whylen)
{
	struct nftlib *lib = NULL;
	int err = nftlib_open(&lib, why, whylen);

	if (!err)
		err = nftlib_run(lib, text, check, why, whylen);
	nftlib_close(lib);
	return err;
}

/*
 * The ruleset's generation after our commit, in *after, if ours was the
 * only commit since @before was read (each commit moves it on by one,
 * skipping 0: nf_tables_commit()); false if someone else's may have come
 * in between, or it could not be read (then the table is not trusted to
 * be as written, and the next sync replaces it)
 */
bool kube_nft_gen_after(uint32_t before, uint32_t *after)
{
	char why[256];

	return !nftlib_gen(after, why, sizeof(why)) && *after == (before + 1 ? before + 1 : 1);
}

/*
 * A partial sync's table: nothing if neither the table's shape (its text
 * without the elements) nor the ruleset's generation changed and no
 * element did; the elements that changed if only they did. 1 if the
 * table must be replaced whole instead, 0 done, -errno.
 */
static int nft_partial(const struct kube_sync_opts *o, const struct kube_out *out,
		       const struct kube_table *t, struct kube_sync_res *res, char *why,
		       size_t whylen)
{
	struct kube_incr *in = o->incr;
	struct kube_nft_eset now[KUBE_NFT_ESETS];
	uint32_t gen;
	char *text;
	int err;

	if (!in || in->full || !in->have_prev || !in->nft_shape || o->dry_run ||
	    t->shape != in->nft_shape || nftlib_gen(&gen, why, whylen) || gen != in->nft_gen)
		return 1;
	if (kube_nft_esets(out, now))
		return 1;
	text = elems_text(in->nft_sets, now, &res->nft_elems);
	if (!text) {
		kube_nft_esets_free(now);
		return 1;
	}
	err = res->nft_elems ? nft_send(text, false, why, whylen) : 0;
	free(text);
	if (err) {
		kube_nft_esets_free(now);
		return 1;	/* replaced whole: the elements were not as kept */
	}
	res->nft_skipped = !res->nft_elems;
	kube_nft_esets_free(in->nft_sets);
	memcpy(in->nft_sets, now, sizeof(now));
	if (res->nft_elems && !kube_nft_gen_after(gen, &in->nft_gen))
		in->nft_shape = 0;
	return 0;
}

/*
 * The table, replaced whole in one transaction; in a partial sync, only
 * the elements that changed, in one transaction, if the table's shape is
 * as the last sync left it and the ruleset's generation has not moved
 * since (no one else's commit, which may have changed it). The generation
 * is read before and after our commit: if another commit came in between,
 * the table is not trusted to be as written and the next sync replaces it
 * (kube_nft_gen_after()); an element update the kernel refuses falls back
 * to a whole replace in the same sync.
 */
int kube_step_nft(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		    const struct kube_table *t, struct kube_sync_res *res)
{
	struct kube_incr *in = o->incr;
	uint32_t gen = 0;
	char why[1024];
	int err;

	err = nft_partial(o, out, t, res, why, sizeof(why));
	if (err <= 0)
		return err;
	if (in) {
		in->nft_shape = 0;	/* until the new table is in and known */
		if (nftlib_gen(&gen, why, sizeof(why)))
			in = NULL;	/* unknown: replaced again next time */
	}
	err = nft_send(t->text, o->dry_run, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: kube: %s (nftables, IPVS and the addresses were not changed)\n",
			c->prog, why);
		return err;
	}
	res->nft_replaced = true;
	if (in && !o->dry_run) {
		kube_nft_esets_free(in->nft_sets);
		/* unknown (no memory, no generation): replaced again next time */
		if (!kube_nft_esets(out, in->nft_sets) && kube_nft_gen_after(gen, &in->nft_gen))
			in->nft_shape = t->shape;
	}
	return 0;
}

int kube_nft_text(const struct kube_sync_opts *o, const struct kube_out *out,
		  const struct kube_service *svcs, size_t nsvcs, struct kube_table *t)
{
	char *shape = NULL;
	size_t len = 0;
	FILE *f;
	int err, pass;

	t->text = NULL;
	t->shape = 0;
	for (pass = 0; pass < 2; pass++) {
		char **dst = pass ? &t->text : &shape;

		f = open_memstream(dst, &len);
		if (!f)
			goto nomem;
		err = kube_nft_render_ex(f, &o->nft, out, svcs, nsvcs, pass);
		if (fclose(f) || err)
			goto nomem;
	}
	t->shape = text_hash(shape);
	free(shape);
	return 0;
nomem:
	free(shape);
	free(t->text);
	t->text = NULL;
	return -ENOMEM;
}

