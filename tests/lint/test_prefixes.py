#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The library naming rule: lib/<name>/ exports only identifiers that start with cf_<name>_ (or are
cf_<name> itself, DPDK style: struct rte_ring) and macros / enum values that start with CF_<NAME>_.
Checks every public header (not *_priv.h) of every library: #defines, struct/union/enum tags, enum values, typedefs,
functions and extern variables declared at file scope. Exit 0 when all follow it."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def strip(src):
    """Source without comments and string/char literals (kept as empty quotes)."""
    src = re.sub(r'/\*.*?\*/', ' ', src, flags=re.S)
    src = re.sub(r'//[^\n]*', ' ', src)
    return re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', src)


def exported(src):
    """(kind, name) of what a header declares at file scope."""
    src = strip(src)
    out = []
    for m in re.finditer(r'^\s*#\s*define\s+(\w+)', src, re.M):
        out.append(('macro', m.group(1)))
    src = re.sub(r'^\s*#.*?(?<!\\)$', ' ', src, flags=re.M | re.S)  # drop preprocessor lines
    src = re.sub(r'__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)', ' ', src)
    src = re.sub(r'_Static_assert\s*\((?:[^()]|\([^()]*\))*\)\s*;', ' ', src)
    for m in re.finditer(r'\b(struct|union|enum)\s+(\w+)\s*\{', src):
        out.append((m.group(1), m.group(2)))
    for m in re.finditer(r'\benum\s*\w*\s*\{([^}]*)\}', src):
        for c in m.group(1).split(','):
            c = c.strip().split('=')[0].strip()
            if c:
                out.append(('enum value', c))
    for m in re.finditer(r'\btypedef\b[^;{]*?(\w+)\s*;', src):
        out.append(('typedef', m.group(1)))
    # file scope only: blank out every brace body
    flat, depth = [], 0
    for ch in src:
        if ch == '{':
            depth += 1
        elif ch == '}':
            depth -= 1
        elif depth == 0:
            flat.append(ch)
    flat = ''.join(flat)
    flat = re.sub(r'\(\s*\*\s*\w+\s*\)\s*\(', '(*)(', flat)  # function pointer types
    for m in re.finditer(r'(\w+)\s*\(', flat):
        name = m.group(1)
        if name in ('void', 'int', 'char') or re.match(r'u?int\d+_t$', name):
            continue
        if name not in ('if', 'while', 'for', 'switch', 'return', 'sizeof', '__attribute__',
                        'aligned', 'packed', 'typeof', '_Static_assert'):
            out.append(('function', name))
    for m in re.finditer(r'\bextern\s+[^;(]*?(\w+)\s*(\[[^\]]*\])?\s*;', flat):
        out.append(('variable', m.group(1)))
    return out


def main():
    bad = 0
    libdir = os.path.join(ROOT, 'lib')
    for name in sorted(os.listdir(libdir)):
        d = os.path.join(libdir, name)
        if not os.path.isdir(d):
            continue
        lo, up = 'cf_%s_' % name, 'CF_%s_' % name.upper()
        # *_priv.h headers are shared between a library's own files only
        for h in sorted(f for f in os.listdir(d) if f.endswith('.h') and not f.endswith('_priv.h')):
            guard = 'CF_%s_H' % h[3:-2].upper()
            for kind, ident in exported(open(os.path.join(d, h)).read()):
                if ident == guard or ident in (lo[:-1], up[:-1]):
                    continue
                if ident.startswith(lo) or ident.startswith(up):
                    continue
                print('lib/%s/%s: %s %s does not start with %s or %s' % (name, h, kind, ident, lo, up))
                bad += 1
    print('prefixes: %s' % ('ok' if bad == 0 else '%d names break the rule' % bad))
    return 1 if bad else 0


sys.exit(main())
