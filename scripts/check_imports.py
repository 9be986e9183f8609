#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The Python package's layers, checked (docs/design/structure.md): fails on

- an import cycle among the package's modules (imports inside functions count too);
- a private name (_x, not __x__) imported from another module of the package, or read
  as an attribute of one (`batch._shift`): a name another module needs is public API;
- a layer importing one above it: core < runners < tools < commands < cli (the
  package's __init__ re-exports; the qa_* tests may import anything public);
- argparse imported in core or runners (they take options, not command lines).

Usage: check_imports.py [PACKAGE_DIR] (default python/streamproc)."""

import ast
import os
import sys

LAYERS = {"core": 0, "runners": 1, "tools": 2, "commands": 3, "cli": 4}
PACKAGE = "gnuradio.streamproc"
BINDINGS = "streamproc_python"


def modules(root):
    """{dotted name: path} of the package's Python modules (bindings/ excluded)."""
    out = {}
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in ("bindings", "__pycache__"))
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(d, f), root)[:-3].split(os.sep)
            if rel[-1] == "__init__":
                rel = rel[:-1]
            out[".".join([PACKAGE] + rel)] = os.path.join(d, f)
    return out


def resolve(mod, is_pkg, level, name):
    """The absolute module name of a (possibly relative) import in module `mod`."""
    if level == 0:
        return name
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def layer(mod):
    parts = mod.split(".")
    if len(parts) < 3:
        return None  # the package's __init__
    return LAYERS.get(parts[2])


def main(root):
    mods = modules(root)
    problems = []
    graph = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.endswith("__init__.py")
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        short = os.path.relpath(path, root)
        aliases = {}  # local name -> package module it names
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                for a in node.names:
                    targets.append((a.name, None, a.asname or a.name.split(".")[0], node.lineno))
            elif isinstance(node, ast.ImportFrom):
                base = resolve(mod, is_pkg, node.level, node.module or "")
                for a in node.names:
                    targets.append((base, a.name, a.asname or a.name, node.lineno))
            for base, name, local, line in targets:
                if name == BINDINGS or base.endswith("." + BINDINGS):
                    continue  # the compiled blocks: below every layer
                if base == "argparse" and layer(mod) in (0, 1):
                    problems.append("%s:%d: argparse in the %s layer" % (short, line, mod.split(".")[2]))
                if name is not None and base + "." + name in mods:
                    target = base + "." + name  # from package import module
                    aliases[local] = target
                elif base in mods:
                    target = base
                    if name is None:
                        aliases[local] = base
                    elif name.startswith("_") and not name.startswith("__"):
                        problems.append("%s:%d: private name %s imported from %s" % (short, line, name, base))
                else:
                    continue
                if target == mod:
                    continue
                graph[mod].add(target)
                lm, lt = layer(mod), layer(target)
                if not os.path.basename(path).startswith("qa_") and lm is not None and lt is not None and lt > lm:
                    problems.append("%s:%d: %s (layer %s) imports %s (layer %s, above it)"
                                    % (short, line, mod, mod.split(".")[2], target, target.split(".")[2]))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__") and aliases[node.value.id] != mod):
                problems.append("%s:%d: private name %s of %s used" % (short, node.lineno, node.attr,
                                                                       aliases[node.value.id]))
    # import cycles: strongly connected components of more than one module (Tarjan)
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    for comp in comps:
        problems.append("import cycle: %s" % " <-> ".join(c[len(PACKAGE) + 1:] or "__init__" for c in comp))
    for p in problems:
        print("check_imports: " + p)
    if problems:
        print("check_imports: %d problem(s) in the package's layers" % len(problems))
        return 1
    print("check_imports: %d modules, no cycle, no private name across modules, layers one way" % len(mods))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "python/streamproc"))
