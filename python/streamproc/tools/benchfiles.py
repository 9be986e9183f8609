#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The benchmarks' input files: written once from a repeated block, read into the page
cache before any run (tools/bench.py, tools/bench_array.py)."""

import os


def write_repeated(path, block, nbytes):
    """nbytes of `block` repeated, written under a temporary name then renamed."""
    with open(path + ".part", "wb") as f:
        left = nbytes
        while left > 0:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    os.replace(path + ".part", path)


def warm(path):
    """Read the file once so every run starts from the page cache."""
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(8 << 20)
        while f.readinto(buf):
            pass
