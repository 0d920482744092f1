/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl metrics: the state in the Prometheus text format (cmd_metrics.c).
 */
#ifndef IPVSCTL_CMD_METRICS_H
#define IPVSCTL_CMD_METRICS_H

#include "cmd/cmd.h"

int cmd_metrics(struct ctx *c, int argc, char **argv);

#endif
