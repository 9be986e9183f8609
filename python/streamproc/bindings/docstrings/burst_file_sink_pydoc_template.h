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

static const char* __doc_gr_streamproc_burst_file_sink =
    R"doc(Writes every PDU (meta . c32vector|f32vector) to DIR/PREFIX_NNNNNN[_FREQM]_RATEk.EXT in
cf32, ci16 (round(x*32768)), cu8 (round(x*128+127.5), rtl_433's naming) or SigMF, and a
line per burst to DIR/index.jsonl. Nothing is overwritten unless overwrite; a failed
write is reported by error(), earlier files stay whole.)doc";

static const char* __doc_gr_streamproc_burst_file_sink_make =
    R"doc(Make a burst file sink.

Args:
    directory: where the files go (made with its parents if missing; writable)
    format: "cf32", "ci16", "cu8" or "sigmf"
    prefix: file name prefix
    overwrite: replace an existing index.jsonl and files of the same names)doc";

static const char* __doc_gr_streamproc_burst_file_sink_bursts_written =
    R"doc(Bursts written (file complete, index line out).)doc";

static const char* __doc_gr_streamproc_burst_file_sink_bursts_dropped =
    R"doc(Bursts dropped after a failed write or as malformed PDUs.)doc";

static const char* __doc_gr_streamproc_burst_file_sink_error =
    R"doc("" while every write succeeded, else the first failure.)doc";
