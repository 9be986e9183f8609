#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The runners, each on the core only: one run over a file (single), Dask batches
(batch), live inputs (live); run control shared by them (runctl). No argparse, no
printing: they take options and return reports (dicts)."""
