#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The array half: the blocks' C++ engines on numpy arrays, np.memmaps and paths,
without a flowgraph, at fixed memory (docs/array.md). fir, convolve (arrays.filters),
stft, welch (arrays.spectra), fft (arrays.dft: in memory or out of core),
detect_array (arrays.detect); arrayio reads and writes them in chunks."""

from .detect import detect_array
from .dft import fft
from .filters import convolve, fir
from .spectra import stft, welch

__all__ = ["fir", "convolve", "stft", "welch", "fft", "detect_array"]
