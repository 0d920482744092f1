#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot a VM lab (selftests/vm/run.sh) and run scripts/demo-lab.sh
# in it. Options are run.sh's (-k KVER).
exec "$(dirname "$0")/../selftests/vm/run.sh" -m script -s scripts/demo-lab.sh -T 900 "$@"
