#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc info`: what the source sees in a recording."""

import json
import os

from .detect import stdout_to_stderr
from .errors import UsageError
from .formats import make_source, open_recording, type_names


def info(path, kind=None):
    """A dict: format, where it came from, rate, channels, samples, duration, captures,
    annotations, size, for a raw file or a SigMF recording."""
    with stdout_to_stderr():
        rec = open_recording(path, kind)
        src = make_source(rec.path, None if rec.is_sigmf else rec.kind)
    doc = json.loads(rec.metadata) if rec.metadata else {}
    g = doc.get("global", {})
    samples = src.size()
    out = {"file": path, "data": rec.data_path, "format": rec.kind, "format_from": rec.how,
           "complex": rec.is_complex, "sample_rate": rec.rate, "channels": g.get("core:num_channels", 1),
           "samples": samples, "duration_s": samples / rec.rate if rec.rate else None,
           "data_bytes": os.path.getsize(rec.data_path) if os.path.exists(rec.data_path) else None,
           "captures": doc.get("captures", []), "annotations": len(doc.get("annotations", [])),
           "global": g}
    return out


def info_command(args):
    rep = info(args.file, args.type)
    if args.json:
        print(json.dumps(rep, indent=1))
        return 0
    rate = "%g Hz" % rep["sample_rate"] if rep["sample_rate"] else "not stated (give --rate to detect)"
    kind = "complex" if rep["complex"] else "real"
    print("%s: %s (%s), %s, %d channel(s)" % (
        rep["file"], rep["format"], rep["format_from"], kind, rep["channels"]))
    print("  samples: %d%s" % (rep["samples"], ", %.6g s" % rep["duration_s"] if rep["duration_s"] else ""))
    print("  sample rate: %s" % rate)
    if rep["data_bytes"] is not None:
        print("  data: %s (%d bytes)" % (rep["data"], rep["data_bytes"]))
    for c in rep["captures"]:
        parts = ["sample %d" % c.get("core:sample_start", 0)]
        if "core:frequency" in c:
            parts.append("%.9g Hz" % c["core:frequency"])
        if "core:datetime" in c:
            parts.append(str(c["core:datetime"]))
        print("  capture: " + ", ".join(parts))
    print("  annotations: %d" % rep["annotations"])
    for key in ("core:description", "core:author", "core:hw", "core:recorder"):
        if key in rep["global"]:
            print("  %s: %s" % (key[5:], rep["global"][key]))
    return 0


def add_parser(sub):
    p = sub.add_parser("info", help="what the source sees in a recording (format, rate, samples, captures)",
                       description="Format, sample rate, channels, samples, duration, captures and annotations "
                       "of a raw recording or a SigMF one, as the module's source reads it.")
    p.add_argument("file", help="the recording (raw samples or SigMF .sigmf-meta/.sigmf-data/.sigmf)")
    p.add_argument("--type", metavar="FORMAT", help="sample format of a raw file: %s (default: told by the "
                   "file name)" % type_names())
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=info_command)


__all__ = ["info", "UsageError"]
