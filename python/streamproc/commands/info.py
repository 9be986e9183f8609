#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc info`: what the source sees in a recording."""

import json

from ..core.formats import recording_info, type_names
from .output import stdout_to_stderr


def info_command(args):
    with stdout_to_stderr():
        rep = recording_info(args.file, args.type)
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
