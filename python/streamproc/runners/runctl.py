#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Run control shared by the runners: SIGINT/SIGTERM as a clean stop, the one loop that
runs a flowgraph to its end (polling progress, sinks' errors, a stop condition), and
the process's peak memory."""

import threading
import time


class StopOnSignals:
    """While a run goes on: SIGINT and SIGTERM stop it cleanly (events flushed, report
    made) instead of killing the interpreter under running threads; `received` names
    the signal. Only in the main thread (signal handlers cannot be set elsewhere)."""

    def __init__(self):
        self.received = None
        self.saved = {}

    def __enter__(self):
        import signal
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        import signal
        self.received = signal.Signals(signum).name

    def __exit__(self, *exc):
        import signal
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


def first_error(sinks):
    """The first error() a sink reports, or ""."""
    return next((e for e in (s.error() for s in sinks if s is not None) if e), "")


class Outcome:
    """How a run ended: seconds, the signal that stopped it (or None), the first sink
    error (or ""), and what stopped it ("end of input", the signal, "a write failed", or
    the stop condition's reason)."""

    def __init__(self, seconds, signal, failed, stopped_by):
        self.seconds, self.signal, self.failed, self.stopped_by = seconds, signal, failed, stopped_by


def run_flowgraph(tb, sinks, poll=None, interval=0.2, stop_when=None, drain=None):
    """Runs `tb` to its end. Every `interval` seconds: poll(); a signal, a sink's error()
    or stop_when() returning a reason stops it: drain() (if given) ends the stream where
    it is and the run waits 5 s for what is behind to flush, then (or without drain)
    tb.stop() makes the blocks' stop() flush and close. Returns an Outcome."""
    t0 = time.perf_counter()
    failed, stopped = "", "end of input"
    with StopOnSignals() as signals:
        tb.start()
        done = threading.Event()
        threading.Thread(target=lambda: (tb.wait(), done.set()), daemon=True).start()
        while not done.wait(interval):
            if poll is not None:
                poll()
            failed = first_error(sinks)
            reason = stop_when() if stop_when is not None else None
            if signals.received or failed or reason:
                stopped = signals.received or ("a write failed" if failed else reason)
                if drain is not None:
                    drain()
                if drain is None or not done.wait(5):
                    tb.stop()
                    done.wait(30)
                break
    return Outcome(time.perf_counter() - t0, signals.received, failed or first_error(sinks), stopped)


def run_recording(tb, src, rec, progress, sinks):
    """run_flowgraph() of a flowgraph reading `rec` through `src`, with
    progress(bytes_done, bytes_total) about 5 times a second (and once at a clean end)."""
    size = src.size() * rec.itemsize

    def poll():
        progress(min(size, src.position() * rec.itemsize), size)
    out = run_flowgraph(tb, sinks, poll if progress is not None else None)
    if progress is not None and not out.signal and not out.failed:
        progress(size, size)
    return out


def status_mb(key, pid="self"):
    """A memory figure of this process (or process pid) from /proc/PID/status (VmHWM,
    RssAnon, ...), MB; None where the kernel does not give it."""
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def peak_rss_mb():
    """This process's peak resident memory (VmHWM, which counts mapped file pages), MB."""
    mb = status_mb("VmHWM")
    if mb is not None:
        return mb
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
