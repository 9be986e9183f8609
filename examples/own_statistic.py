#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Events in a statistic of your own, without a flowgraph: the band-power ratio of
band_power_events.grc computed with numpy on streamproc.stft's frames, and the events
found in it by streamproc.detect_array (event_detector_f's rules: it squares the
statistic, thresholds are dB of that over its tracked floor). Prints one JSON line per
event, positions in input samples.

    /usr/bin/python3 examples/own_statistic.py RECORDING.cf32 [--rate 1e6] [--lo 12 --hi 14]
"""

import argparse
import json

import numpy as np
from gnuradio import fft

from gnuradio import streamproc

FFT, HOP = 64, 16


def band_power_ratio(frames, lo, hi):
    """sqrt(power in bins [lo, hi) / power in all bins), per frame (float32, as the
    embedded-Python block of band_power_events.grc computes it)."""
    p = np.abs(frames) ** 2
    return np.sqrt(p[:, lo:hi].sum(axis=1) / np.maximum(p.sum(axis=1), 1e-30))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recording")
    ap.add_argument("--rate", type=float, default=1e6)
    ap.add_argument("--lo", type=int, default=12)
    ap.add_argument("--hi", type=int, default=14)
    a = ap.parse_args()
    # GNU Radio's Hann window (symmetric), as the STFT block of band_power_events.grc has
    # it; window="hann" would be scipy's (periodic)
    frames = streamproc.stft(a.recording, FFT, HOP, window=fft.window.hann(FFT))  # (frames, 64) complex64
    stat = band_power_ratio(frames, a.lo, a.hi)
    options = streamproc.DetectOptions(rate=a.rate / HOP, window=8, threshold_db=6, merge_gap=8)
    for ev in streamproc.detect_array(stat, options):
        print(json.dumps({"start": ev["start"] * HOP, "end": ev["end"] * HOP, "frame_start": ev["start"],
                          "frame_end": ev["end"], "snr_db": ev["snr_db"]}))


if __name__ == "__main__":
    main()
