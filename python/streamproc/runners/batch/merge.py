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
from ...core.events import check_events_path, index_line, sigmf_text, write_events
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


def merge(files, tasks, results, failed, options, events, fmt, overwrite, wall, interrupted):
    failed = list(failed)
    per_file, merged = [], []
    workers = {}
    for index, path in enumerate(files):
        mine = [t for t in tasks if t["file"] == index]
        if not mine:
            continue
        res = [results.get(t["task"]) for t in mine]
        errors = [r["error"] for r in res if r is not None and "error" in r]
        if errors:
            failed.append((path, errors[0]))
            continue
        complete = all(r is not None for r in res)
        evs = sorted((e for r in res if r is not None for e in r["events"]), key=lambda e: e["start"])
        for i, e in enumerate(evs):
            e["id"] = i
        for r in res:
            if r is not None:
                workers[r["worker"]] = max(workers.get(r["worker"], 0.0), r["peak_rss_mb"])
        done = [(t, r) for t, r in zip(mine, res) if r is not None]
        samples = sum(r["samples"] for _, r in done)
        read = sum(r["read"] for _, r in done)
        secs = sum(r["seconds"] for _, r in done)
        nbytes = samples * mine[0]["itemsize"]
        per_file.append({"file": path, "type": mine[0]["type"], "rate": mine[0]["options"]["rate"],
                         "samples": samples, "bytes": nbytes, "events": len(evs), "ranges": len(mine),
                         "complete": complete, "samples_read": read,
                         "halo_percent": 100.0 * (read - samples) / samples if samples else 0.0,
                         "retries": sum(r["tries"] - 1 for _, r in done), "task_seconds": secs,
                         "mb_per_s_per_task": nbytes / secs / 1e6 if secs else 0.0})
        several = len(files) > 1
        merged.extend(dict({"file": path}, **e) if several else e for e in evs)
    written = None
    if events:
        if fmt == "sigmf":
            written = write_sigmf_events(events, merged, overwrite, open_recording(files[0]), options.rate)
        else:
            written = write_events(events, fmt, merged, len(files) > 1)
    nbytes = sum(f["bytes"] for f in per_file)
    samples = sum(f["samples"] for f in per_file)
    return {"files": per_file, "failed": [{"file": p, "error": m} for p, m in failed],
            "events": len(merged), "event_list": merged, "samples": samples, "bytes": nbytes,
            "seconds": wall, "mb_per_s": nbytes / wall / 1e6 if wall else 0.0, "tasks": len(tasks),
            "peak_rss_mb_per_worker": workers, "events_file": written, "interrupted": interrupted,
            "planned": [results[k].get("planned", False) for k in sorted(results)],
            # the range processes the tasks ran in (one per worker thread, kept)
            "range_processes": len({(r.get("worker"), r["process"]) for r in results.values() if "process" in r}),
            "halo_percent": (100.0 * (sum(f["samples_read"] for f in per_file) - samples) / samples
                             if samples else 0.0)}
