#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The settings of a detection and of burst cutting, declared once (the command line's
flags, help and defaults are made from DetectOptions' fields), and the parsers of the
numbers, sizes and lengths users write."""

import dataclasses
import math
from typing import List, Optional

from .errors import UsageError


def parse_eng(text):
    """A number with an optional SI suffix (2.4M, 250k, 1e6), as GNU Radio's apps read
    rates and frequencies; ValueError naming the text otherwise."""
    from gnuradio import eng_notation
    try:
        return float(eng_notation.str_to_num(str(text)))
    except (TypeError, ValueError):
        raise ValueError("cannot read %r as a number (e.g. 2.4M, 250k, 1e6)" % text)


def parse_size(text, flag="--chunk"):
    """Bytes from "256M", "1G", "1.5GiB", "4096", "64k" (powers of 1024)."""
    t = str(text).strip().upper().rstrip("B").rstrip("I")
    scale = 1
    for suffix, s in (("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)):
        if t.endswith(suffix):
            t, scale = t[:-1], s
    try:
        n = float(t) * scale
    except ValueError:
        raise UsageError("%s %r: give bytes, e.g. 256M, 1G, 65536" % (flag, text))
    if not (math.isfinite(n) and n >= 1):
        raise UsageError("%s %r must be at least one byte" % (flag, text))
    return int(n)


@dataclasses.dataclass
class DetectOptions:
    """The detection settings, declared once: detect_file(), the command line (its
    flags, help and defaults are made from these fields) and the benchmark use them."""

    rate: float = dataclasses.field(default=1.0, metadata=dict(
        flag="--rate", type=parse_eng, unit="Hz", help="sample rate of the recording (SigMF: from the metadata)"))
    lowpass: Optional[float] = dataclasses.field(default=None, metadata=dict(
        flag="--lowpass", type=parse_eng, unit="Hz", group="filter",
        help="low-pass FIR cutoff before detection (transition band cutoff/4)"))
    taps: Optional[List[float]] = dataclasses.field(default=None, metadata=dict(
        flag="--taps", group="filter", metavar="FILE", help="FIR taps (numbers) to apply before detection"))
    decimation: int = dataclasses.field(default=1, metadata=dict(
        flag="--decimation", type=int, group="filter", help="keep every D-th filter output"))
    window: int = dataclasses.field(default=64, metadata=dict(
        flag="--window", type=int, unit="samples after decimation", help="moving-average length of the power"))
    threshold_db: float = dataclasses.field(default=10.0, metadata=dict(
        flag="--threshold-db", type=float, unit="dB", help="open an event this far above the noise floor"))
    absolute_db: Optional[float] = dataclasses.field(default=None, metadata=dict(
        flag="--absolute-db", type=float, unit="dB of power, 10 log10 of mean |x|^2",
        help="open an event above this absolute level instead (the floor is still reported)"))
    hysteresis_db: float = dataclasses.field(default=3.0, metadata=dict(
        flag="--hysteresis-db", type=float, unit="dB",
        help="close an event this far below the open level"))
    floor_db: Optional[float] = dataclasses.field(default=None, metadata=dict(
        flag="--floor-db", type=float, unit="dB of power",
        help="use this noise floor instead of tracking it"))
    floor_horizon: int = dataclasses.field(default=131072, metadata=dict(
        flag="--floor-horizon", type=int, unit="samples after decimation",
        help="the tracked floor looks back this far; longer bursts become the floor"))
    min_duration: int = dataclasses.field(default=0, metadata=dict(
        flag="--min-duration", type=int, unit="input samples", help="drop shorter events"))
    max_duration: int = dataclasses.field(default=0, metadata=dict(
        flag="--max-duration", type=int, unit="input samples",
        help="cut longer events there (flagged truncated; 0 = no limit)"))
    merge_gap: int = dataclasses.field(default=0, metadata=dict(
        flag="--merge-gap", type=int, unit="input samples", help="merge events closer than this"))

    # limits: what the blocks accept and what fits in memory
    MAX_WINDOW = 1 << 24

    def validate(self):
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise UsageError("--rate must be a positive number of Hz, got %g" % self.rate)
        if self.decimation < 1:
            raise UsageError("--decimation must be at least 1, got %d" % self.decimation)
        if self.lowpass is not None and not 0 < self.lowpass < self.rate / 2:
            raise UsageError("--lowpass %g must be between 0 and half the rate (%g Hz)"
                             % (self.lowpass, self.rate / 2))
        if self.decimation != 1 and self.lowpass is None and self.taps is None:
            raise UsageError("--decimation needs --lowpass or --taps (an anti-alias filter)")
        if not 1 <= self.window <= self.MAX_WINDOW:
            raise UsageError("--window must be between 1 and %d samples, got %d" % (self.MAX_WINDOW, self.window))
        if not math.isfinite(self.threshold_db):
            raise UsageError("--threshold-db must be a finite number of dB")
        for name in ("absolute_db", "floor_db"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise UsageError("--%s must be a finite number of dB" % name.replace("_", "-"))
        if not (self.hysteresis_db >= 0 and math.isfinite(self.hysteresis_db)):
            raise UsageError("--hysteresis-db must be a finite number >= 0 dB, got %g" % self.hysteresis_db)
        if self.absolute_db is None and self.hysteresis_db > self.threshold_db:
            raise UsageError("--hysteresis-db %g is above --threshold-db %g (events would close below the floor)"
                             % (self.hysteresis_db, self.threshold_db))
        if not 1 <= self.floor_horizon < 1 << 40:
            raise UsageError("--floor-horizon must be between 1 and 2^40 samples, got %d" % self.floor_horizon)
        for name in ("min_duration", "merge_gap", "max_duration"):
            v = getattr(self, name)
            if not 0 <= v < 1 << 62:
                raise UsageError("--%s must be between 0 and 2^62 samples, got %d" % (name.replace("_", "-"), v))
        if self.taps is not None and not all(math.isfinite(t) for t in self.taps):
            raise UsageError("the taps must be finite numbers")

    def filter_taps(self):
        """The FIR taps the options ask for, or None."""
        if self.taps is not None:
            return list(self.taps)
        if self.lowpass is not None:
            from gnuradio.filter import firdes
            return list(firdes.low_pass(1.0, self.rate, self.lowpass, self.lowpass / 4))
        return None

    def for_recording(self, rec):
        """These options for the recording `rec`: a rate left at its default comes from
        the recording (SigMF core:sample_rate); validated. Returns (options, warnings):
        a rate given that differs from the recording's is kept, with a warning."""
        options, warnings = self, []
        if rec.rate is not None:
            if self.rate == DetectOptions.rate:
                options = dataclasses.replace(self, rate=rec.rate)
            elif self.rate != rec.rate:
                warnings.append("--rate %g overrides core:sample_rate %g of %s" % (self.rate, rec.rate, rec.path))
        options.validate()
        return options, warnings


def read_taps(path):
    """Taps from a text file: numbers separated by spaces, commas or lines."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise UsageError("cannot read taps file %s: %s" % (path, e.strerror))
    except UnicodeDecodeError:
        raise UsageError("taps file %s is not text (numbers separated by spaces, commas or lines)" % path)
    try:
        taps = [float(t) for t in text.replace(",", " ").split()]
    except ValueError:
        raise UsageError("taps file %s must hold numbers separated by spaces, commas or lines" % path)
    if not taps:
        raise UsageError("taps file %s holds no taps" % path)
    return taps


# ------------------------------------------------------------------ bursts
BURST_FORMATS = ("cf32", "ci16", "cu8", "sigmf")
MAX_BURST_DEFAULT = "1048576"


def samples_of(text, rate, flag):
    """A length in samples ("2000") or seconds ("0.01s", "5ms"), as whole input samples."""
    t = str(text).strip()
    try:
        if t.endswith("ms"):
            n = float(t[:-2]) * 1e-3 * rate
        elif t.endswith("us"):
            n = float(t[:-2]) * 1e-6 * rate
        elif t.endswith("s"):
            n = float(t[:-1]) * rate
        else:
            n = float(t)
    except ValueError:
        raise UsageError("%s %r: give samples (2000) or seconds (0.01s, 5ms, 200us)" % (flag, text))
    if not (math.isfinite(n) and 0 <= n < 1 << 40):
        raise UsageError("%s %r must be between 0 and 2^40 samples" % (flag, text))
    return int(math.ceil(n))


def burst_lengths(pre, post, max_burst, rate, decimation):
    """--pre, --post, --max-burst (samples or seconds of input) as whole samples after
    decimation: (pre, post, max); a --max-burst below one sample is refused."""
    def n(text, flag):
        return -(-samples_of(text, rate, flag) // decimation)
    lengths = n(pre, "--pre"), n(post, "--post"), n(max_burst, "--max-burst")
    if lengths[2] < 1:
        raise UsageError("--max-burst must be at least one sample")
    return lengths


def default_burst_format(kind):
    """The recording's own format (a SigMF datatype) when a burst file can hold it, else
    cf32."""
    return {"cu8": "cu8", "ci16_le": "ci16"}.get(kind, "cf32")


def check_burst_format(fmt):
    if fmt not in BURST_FORMATS:
        raise UsageError("--format must be one of %s, got %r" % (", ".join(BURST_FORMATS), fmt))
    return fmt


@dataclasses.dataclass
class BurstOptions:
    """Where and how the bursts of an extraction are written: the directory, the file
    format, the name prefix, and the padding and cap in samples after decimation (see
    burst_lengths)."""
    out: str
    format: str = "cf32"
    prefix: str = "burst"
    pre: int = 0
    post: int = 0
    max: int = int(MAX_BURST_DEFAULT)


# ------------------------------------------------------------------ live input
@dataclasses.dataclass
class LiveOptions:
    """A live input and how long to read it (docs/live.md): an rtl_tcp server
    ("HOST:PORT") or a SoapySDR device (its arguments) tuned to `freq` with `gain` (None:
    automatic) and `ppm`; else `input`, a named pipe or "-" (standard input) of raw
    samples of `kind`, or a file still being written (`follow`, ending when it has not
    grown for `follow_timeout` seconds). `duration`: stop after this many seconds;
    `status_every`: a status line every this many seconds (0: none)."""
    input: Optional[str] = None
    kind: Optional[str] = None
    rtl_tcp: Optional[str] = None
    soapy: Optional[str] = None
    freq: Optional[float] = None
    gain: Optional[float] = None
    ppm: int = 0
    follow: bool = False
    follow_timeout: Optional[float] = None
    duration: Optional[float] = None
    status_every: float = 0.0

    def validate(self):
        sdr = bool(self.rtl_tcp) + (self.soapy is not None)
        if sdr > 1:
            raise UsageError("give one of --rtl-tcp and --soapy")
        if sdr and self.input is not None:
            raise UsageError("%s reads the SDR: give no file (got %s)"
                             % ("--rtl-tcp" if self.rtl_tcp else "--soapy", self.input))
        if not sdr and self.input is None:
            raise UsageError("a live run reads one input: a file with --follow, - (standard input) or a named pipe")
        if self.duration is not None and not self.duration > 0:
            raise UsageError("--duration must be a positive number of seconds")
        if self.follow_timeout is not None and not self.follow_timeout > 0:
            raise UsageError("--follow-timeout must be a positive number of seconds")
        if self.status_every < 0:
            raise UsageError("--status-every must be >= 0 seconds")
