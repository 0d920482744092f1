// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl save: the whole state as commands of the grammar, which
 * restore (restore.c) reads back.
 */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/run.h"
#include "kernel/maglev.h"

static void save_model(FILE *f, const struct model *m, const struct mg_defaults *mg)
{
	struct op op;
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		const struct m_svc *s = &m->svcs[i];

		memset(&op, 0, sizeof(op));
		op.kind = OP_SVC_ADD;
		op.svc = s->id;
		op.sc = s->c;
		op.sc.set = SC_IPVS_ALL & ~SC_NETMASK;
		if (s->c.flags & IP_VS_SVC_F_PERSISTENT)
			op.sc.set |= SC_NETMASK;
		if (s->has_mg) {
			struct svc_conf def = s->c;

			/* the table size and hash always; the rest where it
			 * differs from the module's defaults
			 */
			svc_conf_mg_defaults(&def, mg);
			op.sc.set |= SC_MG_TABLE_SIZE | SC_MG_HASH |
				     svc_conf_cmp(&s->c, &def, SC_MG_ALL);
		}
		grammar_print(f, &op);
		for (j = 0; j < s->ndests; j++) {
			memset(&op, 0, sizeof(op));
			op.kind = OP_DEST_ADD;
			op.svc = s->id;
			op.dest = s->dests[j].ap;
			op.dc = s->dests[j].c;
			op.dc.set = DC_ALL;
			grammar_print(f, &op);
		}
	}
}

int cmd_save(struct ctx *c, int argc, char **argv)
{
	struct mg_defaults mg;
	const char **args;
	struct model m;
	struct nl *nl;
	size_t i;
	int nargs, rc;
	bool any_mg = false;

	rc = cmd_options(c, argc, argv, NULL, "",
			 "Print every service and backend as ipvsctl commands; 'ipvsctl restore'\n"
			 "reads them back. Counters and connections are not saved.\n",
			 &args, &nargs);
	if (rc)
		return rc;
	if (nargs) {
		usage_error(c, "save takes no arguments");
		return EXIT_USAGE;
	}
	rc = ctx_load_state(c, "save", NULL, &m, &nl);
	if (rc)
		return rc;
	for (i = 0; i < m.n; i++)
		any_mg |= m.svcs[i].has_mg;
	kmaglev_defaults(nl, any_mg, &mg);
	save_model(stdout, &m, &mg);
	model_free(&m);
	return EXIT_OK;	/* a failed write is caught by main(): out_close() */
}
