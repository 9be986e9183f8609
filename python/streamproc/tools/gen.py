#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Synthetic recordings of noise and tone bursts with their truth (`streamproc gen`, the
demo, the benchmark, the tests), and the check of events against a truth."""

from ..core.errors import UsageError

MARGIN = 1000  # samples of noise at least before and after each burst


def plan_bursts(samples, events, rng, min_len=2000, max_len=20000):
    """(start, length) of `events` bursts, one per equal slot of the file, each inside
    its slot with MARGIN samples of noise around it (so all inside the file)."""
    if events == 0:
        return []
    slot = samples // events
    room = slot - 2 * MARGIN
    if room < 16:
        raise UsageError("%d samples are too few for %d bursts: each needs at least %d samples "
                         "(16 of burst, %d of noise on each side)" % (samples, events, 16 + 2 * MARGIN, MARGIN))
    max_len = min(max_len, room)
    min_len = min(min_len, max(16, max_len // 2))
    truth = []
    for k in range(events):
        length = int(rng.integers(min_len, max_len + 1))
        start = k * slot + MARGIN + int(rng.integers(0, room - length + 1))
        truth.append((start, length))
    return truth


def generate(out, samples, events, snr_db=15.0, kind="f32", seed=1, freq=0.02):
    """Noise of power 1 plus `events` tone bursts (frequency `freq` in cycles per sample)
    `snr_db` above it, written in blocks (bounded memory); the truth goes to OUT.truth,
    one "start length" per line. Returns the list of (start, length)."""
    import numpy as np

    if kind not in ("f32", "cf32"):
        raise UsageError("gen writes f32 or cf32, not %s" % kind)
    if samples < 1 or events < 0:
        raise UsageError("--samples must be positive and --events not negative")
    if not -0.5 < freq < 0.5:
        raise UsageError("--freq must be between -0.5 and 0.5 cycles per sample, got %g" % freq)
    rng = np.random.default_rng(seed)
    truth = plan_bursts(samples, events, rng)
    amp = 10 ** (snr_db / 20.0)
    block = 1 << 22
    try:
        f = open(out, "wb")
    except OSError as e:
        raise UsageError("cannot write %s: %s" % (out, e.strerror))
    with f:
        for c0 in range(0, samples, block):
            c1 = min(samples, c0 + block)
            n = c1 - c0
            if kind == "cf32":
                x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * np.sqrt(0.5)
            else:
                x = rng.standard_normal(n)
            for s, length in truth:
                a, b = max(s, c0), min(s + length, c1)
                if a < b:
                    t = np.arange(a - s, b - s)
                    if kind == "cf32":
                        x[a - c0:b - c0] += amp * np.exp(2j * np.pi * freq * t)
                    else:
                        x[a - c0:b - c0] += amp * np.sqrt(2) * np.cos(2 * np.pi * freq * t)
            f.write(x.astype(np.complex64 if kind == "cf32" else np.float32).tobytes())
    with open(out + ".truth", "w") as f:
        for s, length in truth:
            f.write("%d %d\n" % (s, length))
    return truth


def compare(events, truth, tolerance):
    """Recall, precision and the worst start/end error of events against the truth."""
    hits, errors, used = 0, [], set()
    for s, length in truth:
        match = [i for i, e in enumerate(events) if e["start"] < s + length and e["end"] > s and i not in used]
        if match:
            e = events[match[0]]
            used.add(match[0])
            hits += 1
            errors.append(max(abs(e["start"] - s), abs(e["end"] - (s + length))))
    recall = hits / len(truth) if truth else 1.0
    precision = len(used) / len(events) if events else 1.0
    worst = max(errors) if errors else 0
    return recall, precision, worst, (recall == 1.0 and precision == 1.0 and worst <= tolerance)
