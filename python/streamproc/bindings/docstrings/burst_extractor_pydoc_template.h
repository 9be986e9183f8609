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

static const char* __doc_gr_streamproc_burst_extractor =
    R"doc(Cuts the bursts an event detector (tag_edges=True) marked with sob/eob tags out of
its pass-through stream and posts each on port "pdus" as a PDU (meta . samples): from
start - pre to end + post, at most max_length samples (cut and flagged burst_cut).
meta = the event dict (the eob tag's value) plus sample_rate, burst_start,
burst_samples, pre, burst_cut, rx_freq and rx_time when tagged.)doc";

static const char* __doc_gr_streamproc_burst_extractor_make =
    R"doc(Make a burst extractor.

Args:
    pre: samples before each event's start (>= 0)
    post: samples after each event's end (>= 0)
    max_length: at most this many samples per PDU (>= 1)
    sample_rate: samples per second (meta, rx_time))doc";

static const char* __doc_gr_streamproc_burst_extractor_bursts =
    R"doc(PDUs posted so far.)doc";

static const char* __doc_gr_streamproc_burst_extractor_bursts_cut =
    R"doc(PDUs cut at max_length.)doc";

static const char* __doc_gr_streamproc_burst_extractor_bursts_dropped =
    R"doc(Bursts dropped: more than 16 in progress at once.)doc";
