#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
The YNL spec of the IPVS_MAGLEV family (docs/netlink/ipvs_maglev.yaml)
checked against the contract it describes, as KTAP:

  - the kernel's schema (Documentation/netlink/genetlink-legacy.yaml) accepts
    it, and the kernel's own YNL library loads it;
  - every enum of include/uapi/linux/ip_vs_maglev.h (commands, attribute
    sets, pin, hash) has the spec's names and values, both ways, with the
    same enum, count and max names;
  - where the header's comment names a type ("u16", "nested ...", "flag")
    or network byte order, the spec says the same;
  - every policy of kmod/netlink.c has the spec's type and ranges, every
    operation the spec's do/dump and permission flag, and every
    nla_put_u64_64bit() names its own set's pad attribute;
  - the kernel's generator (tools/net/ynl/ynl-gen-c.py --mode uapi) renders
    from the spec the same enums as the header.

Exit status: 0 if every point passed, 1 if one failed, 4 (kselftest's
skip) if none failed but the kernel's tools or python3-jsonschema were
missing: their points say "# SKIP", the others still run.
"""
import argparse
import ast
import operator
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("TAP version 13\n1..0 # SKIP python3-yaml is not installed (scripts/deps.sh)")
    sys.exit(4)

KERNEL_SPEC_LICENSE = "((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)"

# ---- KTAP ---------------------------------------------------------------


class Ktap:
    def __init__(self):
        self.lines = []
        self.n = self.passed = self.failed = self.skipped = 0

    def ok(self, cond, desc, diags=()):
        self.n += 1
        if cond:
            self.passed += 1
            self.lines.append(f"ok {self.n} {desc}")
        else:
            self.failed += 1
            self.lines.append(f"not ok {self.n} {desc}")
            for d in list(diags)[:40]:
                self.lines.append(f"# {d}")
            if len(diags) > 40:
                self.lines.append(f"# ... and {len(diags) - 40} more")
        return cond

    def check(self, desc, problems):
        """a point that passes when the list of problems is empty"""
        return self.ok(not problems, desc, problems)

    def skip(self, desc, why):
        self.n += 1
        self.skipped += 1
        self.lines.append(f"ok {self.n} {desc} # SKIP {why}")

    def finish(self):
        print("TAP version 13")
        print(f"1..{self.n}")
        print("\n".join(self.lines))
        print(f"# Totals: pass:{self.passed} fail:{self.failed} xfail:0 xpass:0 "
              f"skip:{self.skipped} error:0")
        if self.failed:
            return 1
        return 4 if self.skipped else 0


# ---- names as the kernel's generator makes them ---------------------------


def c_upper(name):
    return name.upper().replace('-', '_')


def c_lower(name):
    return name.lower().replace('-', '_')


def limit_value(v, consts):
    """a spec check's limit: an int, "u32-max"-style, or a const's name"""
    if isinstance(v, int):
        return v
    if v in consts:
        return consts[v]
    m = re.fullmatch(r'([us])(8|16|32|64)-(min|max)', v)
    if not m:
        raise ValueError(f"unknown limit '{v}'")
    width = int(m.group(2)) - (m.group(1) == 's')
    if m.group(3) == 'min':
        return 0 if m.group(1) == 'u' else -(1 << width)
    return (1 << width) - 1


# ---- the UAPI header ------------------------------------------------------


class HeaderEnum:
    def __init__(self, name):
        self.name = name
        self.members = []       # (NAME, value, first comment line or "")

    def values(self):
        return {n: v for n, v, _ in self.members}


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', lambda m: ' ' + '\n' * m.group(0).count('\n'),
                  text, flags=re.S)


def parse_header(path):
    """enums (with each member's first comment line) and #defines"""
    text = open(path).read()
    enums = {}
    for m in re.finditer(r'enum\s+(\w+)\s*\{(.*?)\};', text, re.S):
        e = HeaderEnum(m.group(1))
        body = m.group(2)
        val = 0
        # a member, an optional "= value", then what its comment says
        # on the member's own line
        for mm in re.finditer(r'^\s*([A-Z_][A-Z0-9_]*)\s*(?:=\s*([^,/\n]+?))?\s*,?'
                              r'[ \t]*(?:/\*(.*?)(?:\*/|$))?[ \t]*$', strip_keep(body), re.M):
            name, value, comment = mm.group(1), mm.group(2), mm.group(3) or ""
            if value is not None:
                val = c_eval(value, {n: v for n, v, _ in e.members})
            e.members.append((name, val, comment.strip()))
            val += 1
        enums[e.name] = e
    defines = {}
    for m in re.finditer(r'^#define[ \t]+(\w+)(?:[ \t]+(.*?))?[ \t]*$', strip_comments(text), re.M):
        defines[m.group(1)] = (m.group(2) or '').strip()
    return enums, defines


def strip_keep(body):
    """drop comments that do not start on a member's line (the block
    comments above members), keep those that do"""
    out = []
    in_block = False
    for line in body.split('\n'):
        s = line.strip()
        if in_block:
            if '*/' in s:
                in_block = False
            continue
        if s.startswith('/*'):
            if '*/' not in s:
                in_block = True
            continue
        out.append(line)
    return '\n'.join(out)


# ---- C expressions (policy bounds, defines) -------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.LShift: operator.lshift, ast.RShift: operator.rshift,
        ast.BitOr: operator.or_, ast.FloorDiv: operator.floordiv}


def c_eval(expr, names, lookup=None):
    """an integer C expression of numbers and NAMES (+ - * << >> | /)"""
    expr = re.sub(r'\b(\d+)(?:[uU]?[lL]{0,2})\b', r'\1', expr.strip())
    expr = expr.replace('/', '//')

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.Name):
            if node.id in names:
                return names[node.id]
            if lookup:
                return lookup(node.id)
        raise ValueError(f"cannot resolve '{expr}'")
    try:
        return ev(ast.parse(expr, mode='eval'))
    except SyntaxError:
        raise ValueError(f"cannot parse '{expr}'")


class Resolver:
    """values of the C names a policy uses: the header's enums and
    defines, the module's own defines, and a few kernel constants"""

    KERNEL = {'AF_INET': 2, 'AF_INET6': 10, 'INT_MAX': (1 << 31) - 1,
              'U8_MAX': 255, 'U16_MAX': 65535, 'U32_MAX': (1 << 32) - 1,
              'S32_MAX': (1 << 31) - 1}

    def __init__(self, enums, defines, extra_defines):
        self.names = dict(self.KERNEL)
        for e in enums.values():
            self.names.update(e.values())
        self.defines = dict(extra_defines)
        self.defines.update(defines)

    def value(self, expr, depth=0):
        if depth > 10:
            raise ValueError(f"cannot resolve '{expr}'")

        def lookup(name):
            if name in self.defines:
                return self.value(self.defines[name], depth + 1)
            raise ValueError(f"cannot resolve '{name}' in '{expr}'")
        return c_eval(expr, self.names, lookup)


def module_defines(kmod_dir):
    defines = {}
    for fn in sorted(os.listdir(kmod_dir)):
        if not fn.endswith('.h'):
            continue
        text = strip_comments(open(os.path.join(kmod_dir, fn)).read())
        for m in re.finditer(r'^#define[ \t]+(\w+)(?:[ \t]+(.*?))?[ \t]*$', text, re.M):
            defines.setdefault(m.group(1), m.group(2) or '')
    return defines


# ---- kmod/netlink.c -------------------------------------------------------


def parse_netlink_c(path, resolver):
    """policies: {array name: {ATTR: entry}}, ranges, ops, u64 puts"""
    text = strip_comments(open(path).read())
    ranges = {}
    for m in re.finditer(r'struct\s+netlink_range_validation\s+(\w+)\s*=\s*\{(.*?)\};',
                         text, re.S):
        r = {}
        for f in re.finditer(r'\.(min|max)\s*=\s*([^,}]+)', m.group(2)):
            r[f.group(1)] = resolver.value(f.group(2))
        r.setdefault('min', 0)
        ranges[m.group(1)] = r

    policies = {}
    for m in re.finditer(r'struct\s+nla_policy\s+(\w+)\s*\[\s*(\w+)\s*\+\s*1\s*\]\s*=\s*\{(.*?)\n\};',
                         text, re.S):
        entries = {}
        body = m.group(3)
        for e in re.finditer(r'\[\s*(\w+)\s*\]\s*=\s*(.*?)(?=,\s*\n\s*\[|,?\s*$)', body, re.S):
            entries[e.group(1)] = policy_entry(' '.join(e.group(2).split()), ranges, resolver)
        policies[m.group(1)] = {'max': m.group(2), 'entries': entries}

    ops = {}
    for m in re.finditer(r'\{\s*(\.cmd\s*=.*?)\}', text, re.S):
        fields = dict(re.findall(r'\.(\w+)\s*=\s*([^,\n]+)', m.group(1)))
        ops[fields['cmd'].strip()] = {k: v.strip() for k, v in fields.items()}

    family = {}
    fm = re.search(r'struct\s+genl_family\s+\w+\s*=\s*\{(.*?)\};', text, re.S)
    if fm:
        family = {k: v.strip() for k, v in re.findall(r'\.(\w+)\s*=\s*([^,\n]+)', fm.group(1))}

    u64puts = re.findall(r'nla_put_u64_64bit\s*\(\s*\w+\s*,\s*(\w+)\s*,.*?,\s*(\w+)\s*\)',
                         text, re.S)
    return policies, ops, family, u64puts


def policy_entry(src, ranges, resolver):
    """one policy entry as {'type', 'min', 'max', 'max-len', 'nested'}"""
    m = re.fullmatch(r'NLA_POLICY_(RANGE|MIN|MAX)\(\s*(\w+)\s*,\s*(.*)\)', src)
    if m:
        kind, typ, args = m.groups()
        args = [a.strip() for a in args.split(',')]
        e = {'type': typ}
        if kind == 'RANGE':
            e['min'], e['max'] = resolver.value(args[0]), resolver.value(args[1])
        elif kind == 'MIN':
            e['min'] = resolver.value(args[0])
        else:
            e['max'] = resolver.value(args[0])
        return e
    m = re.fullmatch(r'NLA_POLICY_FULL_RANGE\(\s*(\w+)\s*,\s*&\s*(\w+)\s*\)', src)
    if m:
        r = ranges[m.group(2)]
        e = {'type': m.group(1), 'max': r['max']}
        if r['min']:
            e['min'] = r['min']
        return e
    m = re.fullmatch(r'NLA_POLICY_NESTED\(\s*(\w+)\s*\)', src)
    if m:
        return {'type': 'NLA_NESTED', 'nested': m.group(1)}
    m = re.fullmatch(r'\{\s*(.*?)\s*\}', src)
    if m:
        f = dict(re.findall(r'\.(\w+)\s*=\s*([^,]+)', m.group(1)))
        e = {'type': f.get('type', 'NLA_UNSPEC').strip()}
        if 'len' in f:
            e['max-len' if e['type'] in ('NLA_BINARY', 'NLA_STRING', 'NLA_NUL_STRING')
              else 'min-len'] = resolver.value(f['len'])
        return e
    raise ValueError(f"unknown policy entry '{src}'")


# policy type -> the spec types it may stand for
NLA_TYPES = {
    'NLA_U8': {'u8'}, 'NLA_U16': {'u16'}, 'NLA_U32': {'u32'}, 'NLA_U64': {'u64'},
    'NLA_BE16': {'u16'}, 'NLA_BE32': {'u32'}, 'NLA_S32': {'s32'}, 'NLA_S64': {'s64'},
    # compat.h: NLA_BE16 where the kernel has it, NLA_U16 before
    'IP_VS_MAGLEV_NLA_BE16': {'u16'},
    'NLA_FLAG': {'flag'}, 'NLA_BINARY': {'binary'}, 'NLA_NESTED': {'nest'},
    'NLA_STRING': {'string'}, 'NLA_NUL_STRING': {'string'},
}

# the header comment's first word -> spec type
COMMENT_TYPES = {'u8': 'u8', 'u16': 'u16', 'u32': 'u32', 'u64': 'u64', 'flag': 'flag',
                 'binary': 'binary', 'string': 'string', 'nested': 'nest'}


# ---- the checks -----------------------------------------------------------


def ops_enum_name(spec):
    return c_lower(spec['operations'].get('enum-name') or spec['name'] + '-cmd')


def spec_enums(spec):
    """the C enums the spec stands for: {enum name: info}"""
    out = {}
    ops = spec['operations']
    prefix = ops.get('name-prefix', spec['name'] + '-cmd-')
    members, val = [], 1
    for op in ops['list']:
        val = op.get('value', val)
        members.append((c_upper(prefix + op['name']), val, op))
        val += 1
    out[ops_enum_name(spec)] = {
        'what': 'operations', 'members': members,
        'cnt': c_upper(spec.get('cmd-cnt-name', '__' + prefix + 'max')),
        'max': c_upper(spec.get('cmd-max-name', prefix + 'max'))}
    for s in spec['attribute-sets']:
        prefix = s.get('name-prefix', f"{spec['name']}-{s['name']}-a-")
        members, val = [], 1
        for a in s['attributes']:
            val = a.get('value', val)
            members.append((c_upper(prefix + a['name']), val, a))
            val += 1
        out[c_lower(s.get('enum-name') or f"{spec['name']}-{s['name']}")] = {
            'what': f"attribute set '{s['name']}'", 'set': s, 'members': members,
            'cnt': c_upper(s.get('attr-cnt-name', '__' + prefix + 'max')),
            'max': c_upper(s.get('attr-max-name', prefix + 'max'))}
    for d in spec.get('definitions', []):
        if d['type'] != 'enum':
            continue
        prefix = d.get('name-prefix', spec['name'] + '-' + d['name'] + '-')
        members, val = [], d.get('value-start', 0)
        for ent in d['entries']:
            ent = ent if isinstance(ent, dict) else {'name': ent}
            val = ent.get('value', val)
            members.append((c_upper(prefix + str(ent['name'])), val, ent))
            val += 1
        info = {'what': f"enum '{d['name']}'", 'members': members}
        if d.get('render-max'):
            info['cnt'] = c_upper('__' + prefix + 'max')
            info['max'] = c_upper(prefix + 'max')
        out[c_lower(d.get('enum-name', spec['name'] + '-' + d['name']))] = info
    return out


def compare_enum(name, hdr, info, defines, allow_missing=()):
    """problems between header enum HDR and the spec's enum INFO"""
    problems = []
    members = [(n, v) for n, v, _ in hdr.members]
    cnt = info.get('cnt')
    if cnt:
        if not members or members[-1][0] != cnt:
            problems.append(f"the header's enum {name} does not end with {cnt} (the spec's count name)")
        else:
            members = members[:-1]
    hvals = dict(members)
    svals = {n: v for n, v, _ in info['members']}
    for n, v in members:
        if n not in svals:
            if n not in allow_missing:
                problems.append(f"{n} = {v} is in the header, not in the spec's {info['what']}")
        elif svals[n] != v:
            problems.append(f"{n}: header {v}, spec {svals[n]}")
    for n, v in svals.items():
        if n not in hvals:
            problems.append(f"{n} = {v} is in the spec's {info['what']}, not in the header's enum {name}")
    mx = info.get('max')
    if mx:
        want = f"({cnt} - 1)"
        got = defines.get(mx)
        if got is None:
            problems.append(f"the header has no #define {mx} (the spec's max name)")
        elif ' '.join(got.split()) != want:
            problems.append(f"#define {mx} is '{got}', not '{want}'")
    return problems


def check_types(set_info, hdr, enums_by_name):
    """what the header's comments say against the spec's types"""
    problems = []
    by_c = {n: a for n, _, a in set_info['members']}
    for n, _, comment in hdr.members:
        a = by_c.get(n)
        if a is None or not comment:
            continue
        words = re.split(r'[\s:,]+', comment)
        ctype = COMMENT_TYPES.get(words[0])
        if ctype and a['type'] != ctype:
            problems.append(f"{n}: header says {words[0]}, spec type {a['type']}")
        if ctype == 'nest':
            want = words[1] if len(words) > 1 else None
            sub = enums_by_name.get(want)
            if not sub or sub.get('set', {}).get('name') != a.get('nested-attributes'):
                problems.append(f"{n}: header nests enum {want}, spec nests "
                                f"'{a.get('nested-attributes')}'")
        network = 'network' in comment and a['type'] in ('u16', 'u32')
        be = a.get('byte-order') == 'big-endian'
        if network != be and a['type'] in ('u16', 'u32'):
            problems.append(f"{n}: header says {'network' if network else 'host'} order, "
                            f"spec byte-order {a.get('byte-order', 'host')}")
    # a u64 attribute needs a pad attribute in its set (nla_put_u64_64bit)
    types = [a['type'] for _, _, a in set_info['members']]
    if 'u64' in types and 'pad' not in types:
        problems.append(f"{set_info['what']} has u64 attributes but no pad attribute")
    return problems


def check_policy(pname, policy, set_info, spec_sets_by_policy, consts):
    problems = []
    by_c = {n: a for n, _, a in set_info['members']}
    for n, a in by_c.items():
        if a['type'] not in ('unused',) and n not in policy['entries']:
            problems.append(f"{n} ('{a['name']}') has no entry in {pname}: the kernel "
                            "rejects it as unsupported")
    for n, e in policy['entries'].items():
        a = by_c.get(n)
        if a is None:
            problems.append(f"{pname}[{n}]: no such attribute in the spec's {set_info['what']}")
            continue
        checks = a.get('checks', {})
        if e['type'] == 'NLA_REJECT':
            if checks:
                problems.append(f"{n}: the kernel rejects it in requests, yet the spec "
                                f"gives it checks {checks}")
            continue
        allowed = NLA_TYPES.get(e['type'])
        if allowed is None or a['type'] not in allowed:
            problems.append(f"{n}: policy {e['type']}, spec type {a['type']}")
        if e['type'] == 'NLA_NESTED':
            want = spec_sets_by_policy.get(e['nested'])
            if a.get('nested-attributes') != want:
                problems.append(f"{n}: policy nests {e['nested']} (set '{want}'), spec "
                                f"nests '{a.get('nested-attributes')}'")
        for k in ('min', 'max', 'max-len', 'min-len'):
            pv = e.get(k)
            sv = checks.get(k)
            try:
                sv = None if sv is None else limit_value(sv, consts)
            except ValueError as ex:
                problems.append(f"{n}: {ex}")
                continue
            if pv != sv:
                problems.append(f"{n} ('{a['name']}'): policy {k} {pv}, spec {k} {sv}")
        for k in checks:
            if k not in ('min', 'max', 'max-len', 'min-len'):
                problems.append(f"{n}: spec check '{k}' has no counterpart in {pname}")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--top', required=True, help='the source tree')
    ap.add_argument('--spec', help='default: TOP/docs/netlink/ipvs_maglev.yaml')
    ap.add_argument('--header', help='default: TOP/include/uapi/linux/ip_vs_maglev.h')
    ap.add_argument('--ynl', help="the kernel's files: Documentation/netlink/ and tools/net/ynl/")
    args = ap.parse_args()
    top = args.top
    spec_path = args.spec or os.path.join(top, 'docs/netlink/ipvs_maglev.yaml')
    hdr_path = args.header or os.path.join(top, 'include/uapi/linux/ip_vs_maglev.h')
    nlc_path = os.path.join(top, 'kmod/netlink.c')
    t = Ktap()

    # ---- the spec as YNL reads it ----
    try:
        first = open(spec_path).readline()
        spec = yaml.safe_load(open(spec_path))
        err = None
    except (OSError, yaml.YAMLError) as ex:
        spec, err = None, str(ex)
    if not t.ok(isinstance(spec, dict), f"the spec parses as YAML ({os.path.relpath(spec_path, top)})",
                [err or "not a mapping"]):
        return t.finish()
    t.ok(first.startswith('# SPDX-License-Identifier: '),
         "the spec starts with an SPDX line (YNL refuses it otherwise)", [first.strip()])

    schema_path = None
    if args.ynl:
        schema_path = os.path.join(args.ynl, 'Documentation/netlink',
                                   spec.get('protocol', 'genetlink') + '.yaml')
    t.ok(spec.get('protocol') == 'genetlink-legacy',
         "protocol genetlink-legacy (upper-case family name, uns-admin-perm, global policy)",
         [f"protocol: {spec.get('protocol')}"])
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if not schema_path or not os.path.exists(schema_path):
        t.skip("the kernel's schema accepts the spec", f"no {schema_path or 'schema'} (scripts/deps.sh)")
    elif jsonschema is None:
        t.skip("the kernel's schema accepts the spec", "python3-jsonschema is not installed")
    else:
        schema = yaml.safe_load(open(schema_path))
        v = jsonschema.Draft7Validator(schema)
        errs = [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message[:200]}"
                for e in sorted(v.iter_errors(spec), key=lambda e: list(e.absolute_path))]
        t.check(f"the kernel's schema ({os.path.basename(schema_path)}) accepts the spec", errs)

    ynl_lib = os.path.join(args.ynl, 'tools/net/ynl') if args.ynl else None
    if not ynl_lib or not os.path.exists(os.path.join(ynl_lib, 'lib/nlspec.py')) or jsonschema is None:
        t.skip("the kernel's YNL library loads the spec", "no tools/net/ynl (scripts/deps.sh)")
    else:
        sys.path.insert(0, ynl_lib)
        try:
            from lib import SpecFamily
            fam = SpecFamily(spec_path, schema_path)
            problems = []
            for op in fam.ops.values():
                for mode in ('do', 'dump'):
                    for part in ('request', 'reply'):
                        for a in op.yaml.get(mode, {}).get(part, {}).get('attributes', []):
                            if a not in op.attr_set.attrs:
                                problems.append(f"{op.name} {mode} {part}: no attribute '{a}'")
        except Exception as ex:  # anything the library raises is the point's failure
            problems = [f"{type(ex).__name__}: {ex}"]
        t.check("the kernel's YNL library loads the spec, and every operation's "
                "attributes exist", problems)

    # ---- the header ----
    enums, defines = parse_header(hdr_path)
    s_enums = spec_enums(spec)
    consts = {d['name']: d['value'] for d in spec.get('definitions', []) if d['type'] == 'const'}

    fam_problems = []
    for key, what, want in (('c-family-name', 'name', f'"{spec["name"]}"'),
                            ('c-version-name', 'version', str(spec.get('version', 1)))):
        dname = c_upper(spec.get(key, ''))
        if defines.get(dname) != want:
            fam_problems.append(f"{key} {dname}: header '{defines.get(dname)}', spec {what} {want}")
    t.check(f"family {spec['name']} version {spec.get('version', 1)}: the header's "
            "name and version defines", fam_problems)

    missing = sorted(set(enums) - set(s_enums))
    extra = sorted(set(s_enums) - set(enums))
    t.check("every enum of the header is in the spec, and no other",
            [f"enum {e} is in the header, not in the spec" for e in missing] +
            [f"enum {e} is in the spec, not in the header" for e in extra])

    for name in sorted(set(enums) & set(s_enums)):
        info = s_enums[name]
        # YNL numbers operations from 1: the header's CMD_UNSPEC (0) has
        # no operation in the spec
        allow = [n for n, v, _ in enums[name].members if v == 0 and n.endswith('_UNSPEC')] \
            if info['what'] == 'operations' else []
        t.check(f"enum {name}: names and values as in the spec's {info['what']}",
                compare_enum(name, enums[name], info, defines, allow))
    for name in sorted(set(enums) & set(s_enums)):
        info = s_enums[name]
        if 'set' in info:
            t.check(f"enum {name}: types and byte order as the header's comments say",
                    check_types(info, enums[name], s_enums))

    # ---- the kernel side ----
    resolver = Resolver(enums, defines, module_defines(os.path.join(top, 'kmod')))
    try:
        policies, ops, family, u64puts = parse_netlink_c(nlc_path, resolver)
        perr = None
    except (ValueError, KeyError) as ex:
        policies, ops, family, u64puts, perr = {}, {}, {}, [], str(ex)
    t.ok(perr is None and policies, "kmod/netlink.c's policies and operations parse",
         [perr or "no policy found"])

    # which spec set each policy array is for: by its [X_MAX + 1] size
    set_of_max = {info['max']: info for info in s_enums.values() if 'set' in info}
    policy_set = {}
    for pname, p in policies.items():
        if p['max'] in set_of_max:
            policy_set[pname] = set_of_max[p['max']]['set']['name']
    fam_policy = family.get('policy')
    t.ok(spec.get('kernel-policy') == 'global' and fam_policy in policies,
         "kernel-policy global: the family has one policy for every operation",
         [f"kernel-policy {spec.get('kernel-policy')}, the family's .policy {fam_policy}"])
    for pname, p in sorted(policies.items()):
        info = set_of_max.get(p['max'])
        if info is None:
            t.ok(False, f"policy {pname}: sized by {p['max']}, the max of no spec set")
            continue
        t.check(f"policy {pname}: types and ranges as the spec's '{info['set']['name']}' checks",
                check_policy(pname, p, info, policy_set, consts))

    op_info = s_enums[ops_enum_name(spec)]
    op_problems = []
    for cname, _, op in op_info['members']:
        k = ops.get(cname)
        if k is None:
            op_problems.append(f"{cname} ('{op['name']}') is not an operation of kmod/netlink.c")
            continue
        for mode, cb in (('do', 'doit'), ('dump', 'dumpit')):
            if (mode in op) != (cb in k):
                op_problems.append(f"{op['name']}: spec {'has' if mode in op else 'has no'} {mode}, "
                                   f"kernel {'has' if cb in k else 'has no'} .{cb}")
        kflags = set(re.findall(r'GENL_(\w+)', k.get('flags', '')))
        sflags = {c_upper(f) for f in op.get('flags', [])}
        if kflags != sflags:
            op_problems.append(f"{op['name']}: kernel flags {sorted(kflags)}, spec {sorted(sflags)}")
    for cname in ops:
        if cname not in {n for n, _, _ in op_info['members']}:
            op_problems.append(f"kmod/netlink.c has operation {cname}, the spec does not")
    t.check("operations: do, dump and permission flags as in kmod/netlink.c", op_problems)

    # nla_put_u64_64bit(skb, X, v, PAD): PAD is the pad attribute of X's set
    set_of_attr, pad_of_set = {}, {}
    for info in s_enums.values():
        for n, _, a in info['members']:
            if 'set' in info:
                set_of_attr[n] = info['set']['name']
                if a['type'] == 'pad':
                    pad_of_set[info['set']['name']] = n
    pad_problems = []
    for attr, pad in u64puts:
        s = set_of_attr.get(attr)
        if s is None:
            pad_problems.append(f"nla_put_u64_64bit({attr}, ..., {pad}): {attr} is in no spec set")
        elif pad_of_set.get(s) != pad:
            pad_problems.append(f"nla_put_u64_64bit({attr}, ..., {pad}): the pad of "
                                f"'{s}' is {pad_of_set.get(s)}")
    t.ok(u64puts and not pad_problems,
         f"every nla_put_u64_64bit() ({len(u64puts)}) pads with its own set's pad attribute",
         pad_problems or ["none found"])

    # ---- the kernel's generator ----
    gen = os.path.join(ynl_lib, 'ynl-gen-c.py') if ynl_lib else None
    if not gen or not os.path.exists(gen) or not schema_path or jsonschema is None:
        t.skip("ynl-gen-c.py renders the header's enums from the spec",
               "no tools/net/ynl (scripts/deps.sh)")
    else:
        t.check("ynl-gen-c.py renders the header's enums from the spec",
                check_generated(gen, spec_path, schema_path, enums, spec))
    return t.finish()


def check_generated(gen, spec_path, schema_path, enums, spec):
    """ynl-gen-c --mode uapi on a copy of the spec, its enums against ours.
    The generator wants a kernel tree (MAINTAINERS above the spec, the
    schema beside specs/) and the kernel specs' license, which this spec
    (licensed as the header it describes) does not carry: the copy gets it."""
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, 'specs'))
        open(os.path.join(d, 'MAINTAINERS'), 'w').close()
        shutil.copy(schema_path, d)
        lines = open(spec_path).read().split('\n')
        lines[0] = '# SPDX-License-Identifier: ' + KERNEL_SPEC_LICENSE
        copy = os.path.join(d, 'specs', os.path.basename(spec_path))
        open(copy, 'w').write('\n'.join(lines))
        out = os.path.join(d, 'gen.h')
        try:
            r = subprocess.run([sys.executable, gen, '--mode', 'uapi', '--header',
                                '--spec', copy, '-o', out],
                               capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return ["ynl-gen-c.py timed out"]
        if r.returncode != 0 or not os.path.exists(out):
            return ["ynl-gen-c.py failed:"] + (r.stdout + r.stderr).strip().split('\n')[-8:]
        genums, gdefines = parse_header(out)
    problems = []
    for name in sorted(set(enums) | set(genums)):
        if name not in genums:
            problems.append(f"enum {name}: not generated")
            continue
        if name not in enums:
            problems.append(f"enum {name}: generated, not in the header")
            continue
        hv = enums[name].values()
        gv = genums[name].values()
        # the generator writes X_MAX inside a render-max enum, the header
        # as a #define; and it numbers commands from 1 (no CMD_UNSPEC)
        for n, v in hv.items():
            if n not in gv and not (v == 0 and n.endswith('_CMD_UNSPEC')):
                problems.append(f"{n} = {v}: in the header, not generated")
            elif n in gv and gv[n] != v:
                problems.append(f"{n}: header {v}, generated {gv[n]}")
        for n, v in gv.items():
            if n not in hv and not n.endswith('_MAX'):
                problems.append(f"{n} = {v}: generated, not in the header")
    return problems


if __name__ == '__main__':
    sys.exit(main())
