#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The config parser under libFuzzer for a fixed time (FUZZ_SECONDS,
# default 60), from the corpus in selftests/fuzz/corpus: KTAP, as the
# other unit tests. Installed into build/unit/ by the Makefile.
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/selftests/fuzz/run.sh" "${FUZZ_SECONDS:-60}"
