# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl's sources by layer, relative to ipvsctl/: included by
# ipvsctl/Makefile and by the unit tests' Makefile, which link parts.
#
# One folder per layer, lowest first; a file includes only its own layer's
# headers and those of the layers below it (test_layers.sh checks):
#   base/ model/ < config/ kernel/ health/ < state/ output/ kube/ < cmd/ < ipvsctl.c
IPVSCTL_BASE := base/errors.c base/atomicfile.c base/clock.c base/array.c
IPVSCTL_MODEL := model/model.c model/addr.c model/scope.c
IPVSCTL_GRAMMAR := config/words.c config/units.c config/grammar.c config/health_words.c \
	config/ipvsadm.c config/print.c
IPVSCTL_CONFIG := $(IPVSCTL_GRAMMAR) config/json.c
IPVSCTL_KERNEL := kernel/conntrack.c kernel/nl.c kernel/nl_batch.c kernel/nl_pipe.c kernel/ipvs.c kernel/load.c \
	kernel/maglev.c kernel/vip.c kernel/sysctl.c
IPVSCTL_HEALTH := health/loop.c health/net.c health/exec.c health/curl.c health/statefile.c
IPVSCTL_STATE := state/diff.c state/plan.c state/plan_svc.c state/plan_run.c state/reconcile.c state/policy.c state/managed.c
IPVSCTL_OUTPUT := output/json.c
IPVSCTL_KUBE := kube/json.c kube/object.c kube/slice.c kube/translate.c kube/emit.c kube/cache.c kube/watch.c kube/api.c \
	kube/nft.c kube/nftlib.c kube/stale.c kube/node.c
IPVSCTL_CMD := cmd/kube_sync.c cmd/kube_table.c cmd/kube_watcher.c cmd/kube_node.c cmd/ctx.c cmd/run.c cmd/service.c cmd/list.c cmd/save.c cmd/restore.c \
	cmd/maglev.c cmd/daemon.c cmd/daemon_probe.c cmd/daemon_load.c cmd/health.c \
	cmd/drain.c cmd/apply.c cmd/apply_doc.c cmd/apply_stream.c cmd/sysctl.c \
	cmd/metrics.c cmd/metrics_table.c cmd/kube.c cmd/kube_agent.c cmd/kube_http.c cmd/kube_ipvs.c cmd/kube_input.c \
	cmd/kube_metrics.c
IPVSCTL_SRCS := ipvsctl.c $(IPVSCTL_BASE) $(IPVSCTL_MODEL) $(IPVSCTL_CONFIG) $(IPVSCTL_KERNEL) \
	$(IPVSCTL_HEALTH) $(IPVSCTL_STATE) $(IPVSCTL_OUTPUT) $(IPVSCTL_KUBE) $(IPVSCTL_CMD)
