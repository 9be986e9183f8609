#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Every public method of every block header is bound in Python: for each header in
include/gnuradio/streamproc/ with a class, the binding file that names it
(BINDTOOL_HEADER_FILE) must .def() each pure-virtual method and bind make().
Exit status 1 with one line per missing method."""

import glob
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def public_methods(header):
    text = open(header).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    methods = set(re.findall(r"virtual\s+[\w:<>,\s\*&]+?\b(\w+)\s*\([^;]*?\)\s*(?:const\s*)?=\s*0\s*;", text))
    if re.search(r"static\s+sptr\s+make\s*\(", text):
        methods.add("make")
    return methods


def main():
    bindings = {}
    for b in glob.glob(os.path.join(ROOT, "python", "streamproc", "bindings", "*_python.cc")):
        m = re.search(r"BINDTOOL_HEADER_FILE\(([^)]+)\)", open(b).read())
        if m:
            bindings[m.group(1)] = b
    missing = []
    for h in sorted(glob.glob(os.path.join(ROOT, "include", "gnuradio", "streamproc", "*.h"))):
        methods = public_methods(h)
        if not methods:
            continue
        name = os.path.basename(h)
        if name not in bindings:
            missing.append("%s: no binding file names it (BINDTOOL_HEADER_FILE)" % name)
            continue
        text = open(bindings[name]).read()
        for meth in sorted(methods):
            bound = "py::init(&" in text if meth == "make" else '.def("%s"' % meth in text
            if not bound:
                missing.append("%s: %s() is not bound in %s" % (name, meth, os.path.basename(bindings[name])))
    for line in missing:
        print("check_bindings: " + line)
    print("check_bindings: %d headers, %s" % (len(bindings), "all public methods bound" if not missing
                                              else "%d missing" % len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
