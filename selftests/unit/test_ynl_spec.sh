#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The family's YNL spec (docs/netlink/ipvs_maglev.yaml) against the kernel's
# netlink schema, the UAPI header and kmod/netlink.c: every command,
# attribute and enum name and value both ways, types, byte order, policy
# ranges, do/dump and permissions (selftests/unit/ynl_spec_check.py says
# what each point checks).
#
# The kernel's schema, YNL library and generator are read from YNL_DIR
# (default /usr/local/share/ipvs-maglev/ynl, where scripts/deps.sh puts
# them); the python is Debian's, where deps.sh installs python3-yaml and
# python3-jsonschema (PYTHON overrides it).
#
# KTAP output; exit status 0 if every point passed, 1 if one failed, 4 if
# the kernel's tools are missing (the header and policy checks still run).

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
ynl=${YNL_DIR:-/usr/local/share/ipvs-maglev/ynl}
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3

exec "$py" "$top/selftests/unit/ynl_spec_check.py" --top "$top" --ynl "$ynl" "$@"
