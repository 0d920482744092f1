#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
ynl_cmp.py MODE YNL_JSON IPVSCTL_JSON [MINIMUM]

Compares what the kernel's YNL client printed (cli.py --output-json, from
docs/netlink/ipvs_maglev.yaml) with what ipvsctl -j printed for the same
objects, attribute by attribute. Every attribute YNL printed must have a
counterpart here: one the mapping does not know fails the comparison, so a
new attribute cannot go unchecked. Prints one line per field; exits 0 if
every field agrees and at least MINIMUM objects were compared.

  info      get-info (do)                 against ipvsctl -j maglev info
  services  get-service (do, or dump)     against ipvsctl -j maglev show
  backends  get-backend (dump)            against ipvsctl -j maglev show
            (one service), checking each message's service identity too
  lookups   lookup (do or --multi)        against ipvsctl -j maglev lookup
"""
import ipaddress
import json
import sys

FAMILY = {2: 'inet', 10: 'inet6'}
PROTO = {6: 'tcp', 17: 'udp', 132: 'sctp'}
HASH = {'auto': 'auto', 'five-tuple': '5tuple', 'src-addr': 'src', 'src-addr-port': 'srcport'}

problems = []
lines = []


def path_get(obj, path):
    for p in path.split('.'):
        if not isinstance(obj, dict) or p not in obj:
            return None
        obj = obj[p]
    return obj


def same(what, name, a, b):
    ok = a == b
    lines.append(f"{'  ' if ok else '! '}{what} {name}: ynl {a!r}, ipvsctl {b!r}")
    if not ok:
        problems.append(f"{what} {name}")


def addr(v):
    return str(ipaddress.ip_address(v)) if v is not None else None


def hexint(v):
    return int(v, 16) if v is not None else None


def milli(v):
    return round(v * 1000) if v is not None else None


# ynl attribute -> (ipvsctl path, how YNL's value reads as ipvsctl's, how
# ipvsctl's reads as comparable); None for a value that moves between the
# two reads (checked for presence and order only)
INFO = {
    'version': ('version', None, None),
    'seed': ('seed', None, hexint),
    'table-size': ('table_size', None, None),
    'services': ('services', None, None),
    'ss-window-ms': ('slow_start_defaults.window_ms', None, None),
    'ss-aggression': ('slow_start_defaults.aggression', None, milli),
    'ss-min-pct': ('slow_start_defaults.min_pct', None, None),
    'pin-max': ('pins.max', None, None),
    'pin-timeout-ms': ('pins.timeout_ms', None, None),
    'pin-entries': ('pins.entries', None, None),
    'pin-bytes4': ('pins.bytes_per_entry_ipv4', None, None),
    'pin-bytes6': ('pins.bytes_per_entry_ipv6', None, None),
    'seed-fp': ('seed_fingerprint', None, hexint),
    'pin-max-host': ('pins.max_host', None, None),
    'pin-max-userns': ('pins.max_userns', None, None),
    'pin-entries-host': ('pins.entries_host', None, None),
    'pin-entries-userns': ('pins.entries_userns', None, None),
}

SERVICE_ID = {
    'af': ('family', FAMILY.get, None),
    'protocol': ('protocol', PROTO.get, None),
    'addr': ('address', addr, addr),
    'port': ('port', None, None),
    'fwmark': ('fwmark', None, None),
}

SERVICE = dict(SERVICE_ID, **{
    'table-size': ('table_size', None, None),
    'table-size-active': ('table_size_active', None, None),
    'hash': ('hash', HASH.get, None),
    'hash-active': ('hash_active', HASH.get, None),
    'seed': ('seed', None, hexint),
    'backends': ('backends_known', None, None),
    'owners': ('owners', None, None),
    'rebuilds': ('rebuilds', None, None),
    'rebuild-fails': ('rebuild_failures', None, None),
    'last-error': ('last_error', None, None),
    'last-rebuild-age-ms': ('last_rebuild_age_ms', 'later', None),
    'build-ns': ('build_ns', None, None),
    'digest': ('digest', None, hexint),
    'table-bytes': ('table_bytes', None, None),
    'state-bytes': ('state_bytes', None, None),
    'pending': ('pending', bool, None),
    'serving-ms': ('serving_ms', 'later', None),
    'seed-fp': ('seed_fingerprint', None, hexint),
    'ss-window-ms': ('slow_start.window_ms', None, None),
    'ss-aggression': ('slow_start.aggression', None, milli),
    'ss-min-pct': ('slow_start.min_pct', None, None),
    'ramping': ('slow_start.ramping', None, None),
    'ramp-builds': ('slow_start.ramp_builds', None, None),
    'ramp-skips': ('slow_start.ramp_skips', None, None),
    'pin': ('pinning.mode', None, None),
    'pin-max': ('pinning.max', None, None),
    'pin-active': ('pinning.active', bool, None),
    'pin-entries': ('pinning.entries', None, None),
    'pin-hits': ('pinning.hits', None, None),
    'pin-misses': ('pinning.misses', None, None),
    'pin-inserts': ('pinning.inserts', None, None),
    'pin-insert-fails': ('pinning.insert_failures', None, None),
    'pin-evictions': ('pinning.evictions', None, None),
    'pin-expiries': ('pinning.expiries', None, None),
    'pin-dropped': ('pinning.dropped', None, None),
})
# flags and optional attributes that ipvsctl prints as false or null
SERVICE_ABSENT = {'pending': False, 'pin-active': False}

BACKEND = {
    'af': ('family', FAMILY.get, None),
    'addr': ('address', addr, addr),
    'port': ('port', None, None),
    'weight': ('weight', None, None),
    'eff-weight': ('effective_weight', None, None),
    'slots': ('slots', None, None),
    'share-ppm': ('share_ppm', None, None),
    'index': ('index', None, None),
    'available': ('available', bool, None),
    'ramp-left-ms': ('ramp_left_ms', 'earlier', None),
    'ramp-ppm': ('ramp_ppm', None, None),
    'down': ('down', bool, None),
    'pins': ('pins', None, None),
    'saved-weight': ('drain_saved_weight', None, None),
    'drain-deadline': ('drain_deadline', None, None),
}
BACKEND_ABSENT = {'available': False, 'down': False}

LOOKUP = {
    'af': (None, None, None),
    'addr': (None, None, None),
    'port': (None, None, None),
    'index': ('index', None, None),
    'slot': ('slot', None, None),
    'fallback': ('fallback', bool, None),
}


def compare(what, y, c, mapping, absent=None, skip=()):
    """every attribute YNL printed against its ipvsctl field, and every
    mapped field ipvsctl printed that YNL left out"""
    for k in y:
        if k not in mapping and k not in skip:
            problems.append(f"{what} {k}: printed by YNL, no ipvsctl counterpart known")
            lines.append(f"! {what} {k}: {y[k]!r}, no ipvsctl counterpart known")
    for k, (path, conv, cconv) in mapping.items():
        if path is None or k in skip:
            continue
        cv = path_get(c, path)
        if k not in y:
            yv = (absent or {}).get(k)
            if yv is None and cv is None:
                continue
            same(what, k, yv, cv)
            continue
        yv = y[k]
        if cconv:
            cv = cconv(cv)
        if conv in ('later', 'earlier'):
            # read by YNL first, then by ipvsctl: a clock may only have moved
            ok = cv is not None and (cv >= yv if conv == 'later' else cv <= yv)
            lines.append(f"{'  ' if ok else '! '}{what} {k}: ynl {yv}, ipvsctl {cv} (a clock)")
            if not ok:
                problems.append(f"{what} {k}")
            continue
        if conv:
            yv = conv(yv)
        same(what, k, yv, cv)


def svc_key_ynl(s):
    return (s.get('af'), s.get('protocol'), addr(s.get('addr')), s.get('port'), s.get('fwmark'))


def svc_key_ctl(s):
    fam = {'inet': 2, 'inet6': 10}.get(s.get('family'))
    proto = {v: k for k, v in PROTO.items()}.get(s.get('protocol'))
    return (fam, proto, addr(s.get('address')), s.get('port'), s.get('fwmark'))


def as_list(y, key):
    """cli.py prints one reply as an object, a dump (or several) as a list"""
    if isinstance(y, dict):
        y = [y]
    return [m[key] for m in y if m and key in m]


def main():
    mode, yfile, cfile = sys.argv[1:4]
    minimum = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    y = json.load(open(yfile))
    c = json.load(open(cfile))
    n = 0
    if mode == 'info':
        compare('info', y['info'], c, INFO)
        n = 1
    elif mode == 'services':
        ctl = {svc_key_ctl(s): s for s in c['services']}
        for s in as_list(y, 'service'):
            k = svc_key_ynl(s)
            what = f"service {s.get('addr')}:{s.get('port')}"
            if k not in ctl:
                problems.append(f"{what}: not listed by ipvsctl")
                continue
            compare(what, s, ctl.pop(k), SERVICE, SERVICE_ABSENT)
            n += 1
        for k in ctl:
            problems.append(f"service {k}: listed by ipvsctl, not dumped by YNL")
    elif mode == 'backends':
        svc = c['services'][0]
        ctl = {(b['family'], addr(b['address']), b['port']): b for b in svc['backends']}
        slots = 0
        for m in (y if isinstance(y, list) else [y]):
            s, b = m.get('service', {}), m.get('backend', {})
            if svc_key_ynl(s) != svc_key_ctl(svc):
                problems.append(f"backend message names service {svc_key_ynl(s)}, "
                                f"not {svc_key_ctl(svc)}")
            k = (FAMILY.get(b.get('af')), addr(b.get('addr')), b.get('port'))
            what = f"backend {b.get('addr')}:{b.get('port')}"
            if k not in ctl:
                problems.append(f"{what}: not listed by ipvsctl")
                continue
            compare(what, b, ctl.pop(k), BACKEND, BACKEND_ABSENT)
            slots += b.get('slots', 0)
            n += 1
        for k in ctl:
            problems.append(f"backend {k}: listed by ipvsctl, not dumped by YNL")
        same('backends', 'slots in all', slots, svc.get('table_size_active'))
    elif mode == 'lookups':
        ctl = c['lookups']
        ys = as_list(y, 'backend')
        if len(ys) != len(ctl):
            problems.append(f"{len(ys)} YNL lookups, {len(ctl)} ipvsctl lookups")
        for b, l in zip(ys, ctl):
            what = f"lookup {l['client']}"
            same(what, 'backend', f"{addr(b.get('addr'))}:{b.get('port')}", l['backend'])
            compare(what, b, l, LOOKUP, {'fallback': False})
            n += 1
    else:
        sys.exit(f"unknown mode {mode}")
    print('\n'.join(lines))
    if n < minimum:
        problems.append(f"{n} {mode} compared, expected at least {minimum}")
    for p in problems:
        print(f"MISMATCH: {p}")
    print(f"{mode}: {n} compared, {len(lines)} fields, {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
