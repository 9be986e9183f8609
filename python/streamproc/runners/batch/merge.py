#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The merge of a batch: the ranges' events as one run over each file reports them
(sorted, ids counted per file), the events file, the burst files under the one run's
names and their index."""

import json
import os

from ...core.chain import write_sigmf_events
from ...core.errors import RunError, UsageError
from ...core.events import EventsWriter, check_events_path, index_line, sigmf_text
from ...core.formats import open_recording


def place_bursts(files, tasks, results, rep, out_dir, overwrite):
    """Moves the owned burst files into out_dir under the one run's names (their
    events' ids in the merged list) and writes out_dir/index.jsonl in start order."""
    ok = {f["file"] for f in rep["files"]}
    lines = []
    for index, path in enumerate(files):
        if path not in ok:
            continue
        mine = [t for t in tasks if t["file"] == index]
        bursts = sorted((b for t in mine if t["task"] in results for b in results[t["task"]].get("bursts", [])),
                        key=lambda b: b["start"])
        prefix = mine[0]["extract"]["prefix"]
        ids = {e["start"]: e["id"] for e in events_of_file(rep, path, len(files) > 1)}
        for b in bursts:
            old = b.pop("_dir")
            number = "_%06d" % ids[b["start"]]
            name = prefix + number + b["file"][len(prefix) + len("_%06d" % b["id"]):]
            moves = [(os.path.join(old, b["file"]), os.path.join(out_dir, name))]
            b["id"] = ids[b["start"]]
            b["file"] = name
            if name.endswith(".sigmf-data"):
                meta_from = moves[0][0][:-len("data")] + "meta"
                with open(meta_from) as f:
                    doc = json.load(f)
                for k, v in b.items():
                    if k != "file":
                        doc["annotations"][0]["streamproc:" + k] = v
                with open(meta_from, "w", encoding="utf-8") as f:
                    f.write(sigmf_text(doc))
                moves.append((meta_from, os.path.join(out_dir, name[:-len("data")] + "meta")))
            for src, dst in moves:
                if os.path.exists(dst) and not overwrite:
                    raise RunError("%s exists (pass --overwrite to replace it)" % dst)
                os.replace(src, dst)
            lines.append(index_line(b))
        for f in rep["files"]:
            if f["file"] == path:
                f["bursts"] = len(bursts)
    tmp = os.path.join(out_dir, ".index.jsonl.part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    os.replace(tmp, os.path.join(out_dir, "index.jsonl"))
    return len(lines)


def events_of_file(rep, path, several):
    return [e for e in rep["event_list"] if not several or e["file"] == path]


def check_events(events, files, kind, overwrite, fmt):
    """The events file a batch writes: refused when it exists (unless overwrite), is a
    recording, or is SigMF for several files; returns its format."""
    if not events:
        return None
    if fmt == "sigmf" and len(files) > 1:
        raise UsageError("--events %s: a SigMF events file annotates one recording; give .jsonl or .csv "
                         "for %d files" % (events, len(files)))
    for path in files:
        try:
            rec = open_recording(path, kind)
        except UsageError:
            continue  # reported with the file
        check_events_path(events, rec, overwrite)
    check_events_path(events, None, overwrite)  # also when no input could be opened
    return fmt


class EventStream:
    """The merged events in the one run's order as the ranges come in: a range's events
    are written (ids counted per file) as soon as every earlier range is in, so that the
    client holds only those of ranges that finished before an earlier one. A file one
    of whose ranges failed has no events: what was written of it is cut off again.
    keep: also keep them all (event_list; always for a SigMF events file, which is
    written whole at the end)."""

    def __init__(self, files, tasks, events, fmt, keep):
        self.files, self.tasks, self.several = files, tasks, len(files) > 1
        self.keep = keep or (bool(events) and fmt == "sigmf")
        self.kept = []
        self.writer = EventsWriter(events, fmt, self.several) if events and fmt != "sigmf" else None
        self.next = 0
        self.waiting = {}  # task -> (error, events) of ranges in before an earlier one
        self.held = self.peak_held = 0  # events waiting
        self.count = {}  # file index -> its events so far
        self.failed = {}  # file index -> the first error of its ranges
        self.section = {}  # file index -> (writer offset, kept length) before its events

    def wants_lines(self):
        """Whether the events themselves are needed (else their count is enough)."""
        return self.writer is not None or self.keep

    def add(self, res):
        """A range's result; its event lines leave it (the rest stays the caller's). A
        count-only range's "count" stands for that many lines nobody needs."""
        evs = res.pop("lines", None) or []
        if "count" in res and not self.wants_lines():
            evs = range(res.pop("count"))
        self.waiting[res["task"]] = (res.get("error"), evs)
        self.held += len(evs)
        while self.next in self.waiting:
            self._emit(self.next)
            self.next += 1
        self.peak_held = max(self.peak_held, self.held)

    def finish(self):
        """The ranges still waiting (after ones that never came: an interrupted batch)."""
        for k in sorted(self.waiting):
            self._emit(k)

    def _emit(self, k):
        error, evs = self.waiting.pop(k)
        self.held -= len(evs)
        f = self.tasks[k]["file"]
        if f in self.failed:
            return
        if f not in self.section:
            self.section[f] = (self.writer.tell() if self.writer else 0, len(self.kept))
        if error is not None:
            self.failed[f] = error
            offset, kept = self.section[f]
            if self.writer:
                self.writer.truncate(offset)
            del self.kept[kept:]
            self.count[f] = 0
            return
        # the lines in start order, as one run writes them but for the id (first key)
        # and, with several files, the file before it
        first = self.count.get(f, 0)
        if not self.wants_lines():
            self.count[f] = first + len(evs)
            return
        head = '{"file": %s, ' % json.dumps(self.files[f], ensure_ascii=False) if self.several else "{"
        evs = [head + '"id": %d, ' % (first + i) + line[line.index(", ") + 2:] for i, line in enumerate(evs)]
        self.count[f] = first + len(evs)
        if self.writer:
            self.writer.write_lines(evs)
        if self.keep:
            self.kept.extend(json.loads(line) for line in evs)

    def close(self):
        return self.writer.close() if self.writer else None

    def discard(self):
        if self.writer:
            self.writer.discard()


def merge(files, tasks, results, failed, stream, options, events, fmt, overwrite, wall, interrupted):
    """The batch's report from the results (their events already in `stream`)."""
    stream.finish()
    failed = list(failed)
    per_file = []
    workers = {}
    for index, path in enumerate(files):
        mine = [t for t in tasks if t["file"] == index]
        if not mine:
            continue
        res = [results.get(t["task"]) for t in mine]
        if index in stream.failed:
            failed.append((path, stream.failed[index]))
            continue
        complete = all(r is not None for r in res)
        for r in res:
            if r is not None:
                workers[r["worker"]] = max(workers.get(r["worker"], 0.0), r["peak_rss_mb"])
        done = [(t, r) for t, r in zip(mine, res) if r is not None]
        samples = sum(r["samples"] for _, r in done)
        read = sum(r["read"] for _, r in done)
        secs = sum(r["seconds"] for _, r in done)
        nbytes = samples * mine[0]["itemsize"]
        per_file.append({"file": path, "type": mine[0]["type"], "rate": mine[0]["options"]["rate"],
                         "samples": samples, "bytes": nbytes, "events": stream.count.get(index, 0),
                         "ranges": len(mine), "complete": complete, "samples_read": read,
                         "halo_percent": 100.0 * (read - samples) / samples if samples else 0.0,
                         "retries": sum(r["tries"] - 1 for _, r in done), "task_seconds": secs,
                         "mb_per_s_per_task": nbytes / secs / 1e6 if secs else 0.0,
                         "workers": sorted({r["worker"] for _, r in done if "worker" in r})})
        if "hosts" in mine[0]:  # a file on the workers' own disks: the hosts that have it
            per_file[-1]["hosts"] = mine[0]["hosts"]
    written = None
    if events:
        if fmt == "sigmf":
            written = write_sigmf_events(events, stream.kept, overwrite, open_recording(files[0]), options.rate)
        else:
            written = stream.close()
    nbytes = sum(f["bytes"] for f in per_file)
    samples = sum(f["samples"] for f in per_file)
    rep = {"files": per_file, "failed": [{"file": p, "error": m} for p, m in failed],
           "events": sum(f["events"] for f in per_file), "samples": samples, "bytes": nbytes,
           "seconds": wall, "mb_per_s": nbytes / wall / 1e6 if wall else 0.0, "tasks": len(tasks),
           "peak_rss_mb_per_worker": workers, "events_file": written, "interrupted": interrupted,
           "planned": [results[k].get("planned", False) for k in sorted(results)],
           # the range processes the tasks ran in (one per worker thread, kept)
           "range_processes": len({(r.get("worker"), r["process"]) for r in results.values() if "process" in r}),
           "range_process_ids": sorted({r["process"] for r in results.values() if "process" in r}),
           # the most events the client held waiting for an earlier range
           "events_held_peak": stream.peak_held,
           "halo_percent": (100.0 * (sum(f["samples_read"] for f in per_file) - samples) / samples
                            if samples else 0.0)}
    if stream.keep:
        rep["event_list"] = stream.kept
    return rep
