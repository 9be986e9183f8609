#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Event files: which format a name asks for, which paths may be written, the lines
event_file_sink writes (for files merged in Python: the same bytes), the SigMF metadata
an events file carries, reading events back."""

import json
import math
import os

from .errors import UsageError


def events_format_of(path):
    """jsonl, csv or sigmf, from the events file's name."""
    low = path.lower()
    return "csv" if low.endswith(".csv") else "sigmf" if low.endswith(".sigmf-meta") else "jsonl"


def check_events_path(events, rec, overwrite):
    """Refuses an events file that is the recording itself (or a link to it), and one
    that exists unless `overwrite`: a user's file is never overwritten unasked. rec None:
    no recording to compare with (a live input)."""
    if not events or events.startswith("/dev/fd/"):
        return
    for data in {rec.path, rec.data_path} if rec is not None else ():
        try:
            if os.path.exists(events) and os.path.samefile(events, data):
                raise UsageError("--events %s is the recording itself (%s): refusing to overwrite it"
                                 % (events, data))
        except OSError:
            pass
    if os.path.exists(events) and not overwrite and os.path.isfile(events):
        raise UsageError("--events %s exists: pass --overwrite to replace it" % events)
    parent = os.path.dirname(os.path.abspath(events))
    if not os.path.isdir(parent):
        raise UsageError("--events %s: directory %s does not exist" % (events, parent))


def make_out_dir(path, flag="--out"):
    """The directory bursts go to, made with its parents when missing (as mkdir -p);
    UsageError when it is a file or cannot be made. Returns `path`."""
    if os.path.isdir(path):
        return path
    if os.path.exists(path):
        raise UsageError("%s %s exists and is not a directory" % (flag, path))
    try:
        os.makedirs(path)
    except OSError as e:
        raise UsageError("%s %s: cannot create the directory: %s" % (flag, path, e.strerror))
    return path


def sigmf_template(rec, rate, events_path):
    """The metadata an events .sigmf-meta carries: the input recording's (SigMF input)
    or one made for a raw file, with core:dataset naming the original samples (relative
    to the events file: nothing is copied)."""
    out_dir = os.path.dirname(os.path.abspath(events_path))
    if rec.metadata:
        doc = json.loads(rec.metadata)  # its own annotations are kept
    else:
        doc = {"global": {"core:datatype": rec.kind, "core:version": "1.0.0"},
               "captures": [{"core:sample_start": 0}]}
    g = doc.setdefault("global", {})
    g["core:sample_rate"] = float(rate)
    if rec.path.endswith(".sigmf"):
        g.pop("core:dataset", None)  # an archive member cannot be named as a dataset
    else:
        g["core:dataset"] = os.path.relpath(os.path.abspath(rec.data_path), out_dir)
    g.setdefault("core:description", "events found by gr-streamproc in %s" % os.path.basename(rec.path))
    return doc


# ------------------------------------------------------------------ the lines
# The module has one printer of floats (lib/json_text.h): Python's repr(), which the
# blocks reproduce, so these lines are the blocks' lines byte for byte.
def number_text(v):
    """A float as the blocks write it: repr() (3420.0, 0.0005, 1e-05), null for NaN and
    infinities (JSON has none)."""
    return repr(v) if math.isfinite(v) else "null"


def csv_value(v):
    """A value in event_file_sink's CSV rows."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return number_text(v) if isinstance(v, float) else str(v)


def json_value(v):
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, int):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def event_line(e):
    """An event as event_file_sink's JSON line (keys in order)."""
    return "{" + ", ".join("%s: %s" % (json.dumps(k, ensure_ascii=False), json_value(v)) for k, v in e.items()) + "}"


def index_line(b):
    """A burst's line as burst_file_sink writes index.jsonl (sorted keys, compact)."""
    return json.dumps(b, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sigmf_text(doc):
    """A SigMF document as burst_file_sink writes its .sigmf-meta files."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


class EventsWriter:
    """Events as event_file_sink writes them (JSON lines or CSV with its columns; with
    `with_file` a first "file" column), one after the other into a temporary file that
    close() renames over `path` (SigMF: core.chain.write_sigmf_events)."""

    def __init__(self, path, fmt, with_file=False):
        from ..streamproc_python import event_file_sink
        self.path, self.fmt = path, fmt
        self.tmp = os.path.join(os.path.dirname(os.path.abspath(path)), ".%s.tmp" % os.path.basename(path))
        self.f = open(self.tmp, "w", encoding="utf-8")
        self.fields = None
        if fmt == "csv":
            self.fields = (["file"] if with_file else []) + event_file_sink.csv_columns()
            self.f.write(",".join(self.fields) + "\n")

    def write(self, evs):
        if self.fields is not None:
            self.f.writelines(",".join(csv_value(e[k]) if k in e else "" for k in self.fields) + "\n" for e in evs)
        else:
            self.f.writelines(event_line(e) + "\n" for e in evs)

    def write_lines(self, lines):
        """Events as the sink's JSON lines (what write() prints for them)."""
        if self.fields is not None:
            self.write(json.loads(line) for line in lines)
        else:
            self.f.writelines(line + "\n" for line in lines)

    def tell(self):
        return self.f.tell()

    def truncate(self, offset):
        """Drops what was written after tell() gave offset."""
        self.f.seek(offset)
        self.f.truncate()

    def close(self):
        self.f.close()
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self):
        self.f.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


def write_events(path, fmt, evs, with_file=False):
    """All of `evs` through an EventsWriter; returns path."""
    w = EventsWriter(path, fmt, with_file)
    try:
        w.write(evs)
    except BaseException:
        w.discard()
        raise
    return w.close()


def read_events(path):
    """The events of a JSON-lines events file; UsageError naming what is wrong."""
    try:
        with open(path) as f:
            events = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        raise UsageError("cannot read events from %s: %s" % (path, e.strerror))
    except ValueError as e:
        raise UsageError("events file %s is not JSON lines: %s" % (path, e))
    for e in events:
        if not isinstance(e, dict) or not isinstance(e.get("start"), int) or not isinstance(e.get("end"), int):
            raise UsageError("events file %s: every line needs integer start and end" % path)
    return events
