#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""gr-streamproc: fixed-memory, high-throughput processing of huge signal recordings.

Blocks: mmap_file_source (memory-mapped file source with a sliding window),
ols_fir_fff/ccc/ccf (overlap-save FFT FIR filters), stft_cc/stft_fc (overlapped STFT),
welch_cf/welch_ff (Welch power spectra), event_detector_f/_c (events as messages),
event_file_sink (events to a file), burst_extractor_c/_f (bursts out of the
detector's tagged pass-through as PDUs), burst_file_sink (a file per burst),
detect_chain (filter + detector as one block), offset_tagger/offset_rebase (absolute
positions across a gr-zeromq link), wallclock/add_utc (UTC times for live streams).
Functions: detect_file(path, DetectOptions(...)) -> report, extract_file(path, out_dir,
...); batch.detect(paths, ..., client=None) and batch.extract(...) for many files and
huge ones on Dask; run_live(LiveOptions(...), DetectOptions(...)) for an SDR or a pipe.
On numpy arrays, np.memmaps and paths, without a flowgraph (docs/array.md): fir,
convolve, stft, welch, fft (exact, out of core for inputs larger than RAM),
detect_array.

The package is in layers that depend one way (docs/design/structure.md): core (options,
formats, chain building, event files, the Python blocks), runners (one file, batch,
live, run control), tools (generator, benchmark, fake rtl_tcp server) and commands (the
`streamproc` command line, cli.py).
"""

from .streamproc_python import (  # the C++ blocks
    burst_extractor_c, burst_extractor_f, burst_file_sink, event_detector_c, event_detector_f, event_file_sink,
    mmap_file_source, ols_fir_ccc, ols_fir_ccf, ols_fir_fff, stft_cc, stft_fc, welch_cf, welch_ff)
from .core.detect_chain import detect_chain
from .core.errors import RunError, UsageError
from .core.live_blocks import add_utc, wallclock
from .core.options import BurstOptions, DetectOptions, LiveOptions
from .core.stream_offsets import offset_rebase, offset_tagger
from .core.version import __version__
from .runners import batch  # streamproc.batch.detect(paths, ..., client=None): Dask
from .runners.arrays import convolve, detect_array, fft, fir, stft, welch
from .runners.live import run_live
from .runners.single import detect_file, extract_file

__all__ = ["burst_extractor_c", "burst_extractor_f", "burst_file_sink", "event_detector_c", "event_detector_f",
           "event_file_sink", "mmap_file_source", "ols_fir_ccc", "ols_fir_ccf", "ols_fir_fff", "stft_cc", "stft_fc",
           "welch_cf", "welch_ff", "batch", "detect_chain", "offset_rebase", "offset_tagger", "wallclock", "add_utc",
           "BurstOptions", "DetectOptions", "LiveOptions", "detect_file", "extract_file", "run_live", "RunError",
           "UsageError", "__version__", "fir", "convolve", "stft", "welch", "fft", "detect_array"]
