#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc fft`: the exact full-length DFT of a recording (runners.arrays.dft),
out of core when it is larger than --max-memory, written as cf32 or SigMF."""

import json
import os
import sys
import time

from ..core.errors import RunError, UsageError
from ..core.events import sigmf_text
from ..core.formats import type_names
from ..runners.arrays.arrayio import Input
from ..runners.arrays.dft import fft_with_layout
from ..runners.runctl import peak_rss_mb, status_mb
from .output import progress_bar, stdout_to_stderr

SIGMF = (".sigmf-meta", ".sigmf-data", ".sigmf")


def _sigmf_paths(out):
    base = out
    for e in SIGMF:
        if out.endswith(e):
            base = out[:-len(e)]
    return base + ".sigmf-data", base + ".sigmf-meta"


def _meta(metadata, args, n):
    """The output's SigMF metadata: the input's global fields (datatype cf32_le), a
    capture at sample 0 with the input's first frequency, no annotations."""
    doc = json.loads(metadata) if metadata else {}
    g = dict(doc.get("global", {}))
    g.pop("core:sha512", None)
    g["core:datatype"] = "cf32_le"
    g["core:version"] = g.get("core:version", "1.0.0")
    what = "inverse DFT" if args.inverse else "DFT"
    g["core:description"] = "%s of %d samples of %s (streamproc fft)" % (what, n, os.path.basename(args.file))
    g.pop("core:dataset", None)
    cap = {"core:sample_start": 0}
    caps = doc.get("captures") or []
    if caps and "core:frequency" in caps[0]:
        cap["core:frequency"] = caps[0]["core:frequency"]
    return {"global": g, "captures": [cap], "annotations": []}


def fft_command(args):
    out = args.out
    sigmf = out.endswith(SIGMF)
    data, meta = _sigmf_paths(out) if sigmf else (out, None)
    for p in (data, meta):
        if p and os.path.exists(p) and not args.overwrite:
            raise UsageError("%s exists: give --overwrite to replace it" % p)
    bar = progress_bar(args, "fft")
    peak_anon = [0.0]

    def progress(done, total):
        peak_anon[0] = max(peak_anon[0], status_mb("RssAnon") or 0.0)
        if bar is not None:
            bar(done * 8, total * 8)  # bytes of complex64 through the passes

    t0 = time.perf_counter()
    try:
        with stdout_to_stderr():
            inp = Input(args.file, format=args.type)
            res, lay = fft_with_layout(inp, out=data, inverse=args.inverse, scratch_dir=args.scratch_dir,
                                       max_memory=args.max_memory, progress=progress,
                                       overwrite=args.overwrite)
    except (ValueError, OSError) as e:
        raise UsageError(str(e)) from None
    except KeyboardInterrupt:
        # every output depends on every input: a partial transform is no result
        if os.path.exists(data):
            os.unlink(data)
        print("streamproc: interrupted; the incomplete %s was removed" % data, file=sys.stderr)
        raise
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    peak_anon[0] = max(peak_anon[0], status_mb("RssAnon") or 0.0)
    n = res.shape[0]
    del res
    if sigmf:
        try:
            with open(meta, "w") as f:
                f.write(sigmf_text(_meta(inp.metadata, args, n)))
        except OSError as e:
            raise RunError("cannot write %s: %s" % (meta, e.strerror))
    rep = {"file": args.file, "out": data, "metadata": meta, "samples": n, "inverse": args.inverse,
           "in_memory": lay["in_memory"], "n1": lay["n1"], "n2": lay["n2"], "passes": lay["passes"],
           "seconds": seconds, "mb_per_s": n * 8 / seconds / 1e6, "peak_rss_mb": peak_rss_mb(),
           "peak_rss_anon_mb": peak_anon[0]}
    if args.json:
        print(json.dumps(rep, indent=1))
        return 0
    how = "in memory"
    if not lay["in_memory"]:
        how = "out of core, %d x %d, %d passes" % (lay["n1"], lay["n2"], lay["passes"])
    print("%s: %d-point %s %s -> %s" % (args.file, n, "inverse DFT" if args.inverse else "DFT", how, data))
    print("  %.2f s, %.0f MB/s of complex64, peak RSS %.1f MB (anonymous %.1f MB)"
          % (seconds, rep["mb_per_s"], rep["peak_rss_mb"], rep["peak_rss_anon_mb"]))
    return 0


def add_parser(sub):
    p = sub.add_parser("fft", help="the exact full-length DFT of a recording, out of core when it is large",
                       description="The exact DFT of all samples of a recording (numpy.fft.fft's convention; "
                       "--inverse: numpy.fft.ifft's), lengths whose prime factors are 2, 3, 5 and 7. In memory "
                       "when it fits --max-memory, else the four-step algorithm over a scratch file (two passes "
                       "over the data). Writes complex64 (cf32) samples, or SigMF with the input's metadata when "
                       "--out ends in .sigmf-meta/.sigmf-data.")
    p.add_argument("file", help="the recording (raw samples or SigMF)")
    p.add_argument("--out", required=True, help="the output file (.cf32, or .sigmf-meta/.sigmf-data); an existing "
                   "one only with --overwrite")
    p.add_argument("--inverse", action="store_true", help="the inverse DFT (with numpy's 1/n)")
    p.add_argument("--max-memory", default="64M", metavar="SIZE",
                   help="working arrays at most this size (default 64M); larger inputs go out of core")
    p.add_argument("--scratch-dir", metavar="DIR", help="where the scratch file goes (default: --out's directory)")
    p.add_argument("--type", metavar="FORMAT", help="sample format of a raw file: %s (default: told by the "
                   "file name)" % type_names())
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=fft_command)
