#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc bench`: the flags; the benchmark itself is tools/bench.py."""

from ..tools.bench import BENCHES, bench


def add_parser(sub):
    b = sub.add_parser("bench", help="benchmark our blocks against the stock GNU Radio chains",
                       description="Each of our blocks against the stock GNU Radio chain a user "
                       "would otherwise build, in one run on the same file: MB/s, ratio, peak RSS.")
    b.add_argument("--size", default="200M,2G",
                   help="comma-separated file sizes for the source benchmark (default: %(default)s)")
    b.add_argument("--only", help="comma-separated benchmarks to run: %s (default: all but soak, scale and "
                   "array, which write 20+ GB)" % ",".join(BENCHES))
    b.add_argument("--filter-size", default="1G",
                   help="file size for the filter, spectral and detector benchmarks (default: %(default)s)")
    b.add_argument("--taps", default="33,129,1025,4097", help="tap counts for the filter benchmarks")
    b.add_argument("--soak-size", default="20G", help="recording size of the soak benchmark (default: %(default)s)")
    b.add_argument("--sizes", default="200M,2G,20G",
                   help="recording sizes of the scale benchmark (default: %(default)s; above 4G one run each)")
    b.add_argument("--decim", default="1,8", help="decimations for the filter benchmarks")
    b.add_argument("--array-ooc-log2", type=int, default=30, metavar="K",
                   help="the array benchmark's out-of-core fft: 2^K complex64 samples (default 30: an 8 GiB file, "
                   "24 GiB of disk with its scratch and output; 0: skip it)")
    b.add_argument("--array-ooc-max-memory", default="64M", metavar="SIZE",
                   help="max_memory of that fft (default: %(default)s)")
    b.add_argument("--runs", type=int, default=5, help="runs per chain and case (default: %(default)s)")
    b.add_argument("--dir", help="where to put the test files (default: /var/tmp)")
    b.add_argument("--keep", action="store_true", help="keep the generated files")
    b.add_argument("--json", action="store_true", help="print the results as JSON")
    b.set_defaults(func=bench)
