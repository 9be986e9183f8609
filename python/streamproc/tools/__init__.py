#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Tools beside the library: the synthetic recording generator (gen), the benchmark
(bench, `streamproc bench`) and a fake rtl_tcp server for tests and benchmarks
(fake_rtl_tcp, runnable as a script)."""
