/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pydoc_macros.h"
#define D(...) DOC(gr, streamproc, __VA_ARGS__)
/*
  Docstrings for the Python bindings. With Doxygen installed they are regenerated
  from the header during the build; without it this text is used as it is.
 */

static const char* __doc_gr_streamproc_event_file_sink =
    R"doc(Writes event dicts from message port "events" to a file, one flushed line each ("jsonl" or "csv"); appends unless overwrite.)doc";

static const char* __doc_gr_streamproc_event_file_sink_make =
    R"doc(Make an event file sink.

Args:
    path: file to write (created if missing; appended to unless overwrite)
    format: "jsonl", "csv" or "sigmf" (SigMF annotations in a .sigmf-meta rewritten atomically)
    overwrite: truncate an existing file)doc";

static const char* __doc_gr_streamproc_event_file_sink_csv_columns =
    R"doc(The "csv" format's columns, in order (its header line: them joined by commas).)doc";

static const char* __doc_gr_streamproc_event_file_sink_lines_written =
    R"doc(Event lines written so far.)doc";

static const char* __doc_gr_streamproc_event_file_sink_set_sigmf_template =
    R"doc(SigMF format: the input recording's metadata as JSON ({"global": ..., "captures": [...]}),
e.g. mmap_file_source.metadata(); the events file carries it with the annotations.)doc";

static const char* __doc_gr_streamproc_event_file_sink_set_publish_interval =
    R"doc(SigMF format: rewrite the file (atomically) after this many new events or seconds.)doc";

static const char* __doc_gr_streamproc_event_file_sink_error =
    R"doc("" while every write succeeded, else the first failed write (the file then holds whole lines only; later events are dropped).)doc";
