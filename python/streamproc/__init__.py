#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""gr-streamproc: fixed-memory, high-throughput processing of huge signal recordings.

Blocks: mmap_file_source (memory-mapped file source with a sliding window),
ols_fir_fff/ccc/ccf (overlap-save FFT FIR filters), stft_cc/stft_fc (overlapped STFT),
welch_cf/welch_ff (Welch power spectra), event_detector_f/_c (events as messages),
event_file_sink (events to a file).
"""

from .streamproc_python import *  # noqa: F401,F403
