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

static const char* __doc_gr_streamproc_mmap_file_source =
    R"doc(Memory-mapped file source with a sliding window and flat resident memory.

Reads items of `itemsize` bytes from a regular file through an mmap() window that slides
with the read position. Offset, length, repeat, seek, open while running and a begin tag
as in blocks.file_source; a "file_pos" tag ({filename, offset, pass}) at the start of
every pass and after every seek/open; position(), size(), progress() for progress bars;
follow mode for files still being written. Pipes and devices: use blocks.file_source.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_make =
    R"doc(Make a memory-mapped file source.

A SigMF recording (.sigmf-meta, .sigmf-data or a .sigmf archive) is read with its
format, layout, capture tags (rx_rate, rx_freq, rx_time) and a "meta" message.

Args:
    itemsize: bytes per output item, e.g. 8 for complex, 4*vlen for float vectors; with a
        format or a SigMF file 0 takes it from the format
    filename: path of a regular file (raw samples or SigMF)
    repeat: start again at offset at the end of the segment
    offset: first item to read (items, not bytes)
    length: items to read from offset; 0 = to the end
    follow: at end of file wait for it to grow (needs length=0)
    follow_timeout: seconds without growth before follow mode ends the stream (0 = never)
    window_bytes: mapped window size in bytes (0 = 4 MiB)
    drop_cache: drop pages behind the read position from the page cache
    format: "" for raw items, else a SigMF datatype ("cu8", "ci16_le", "cf32_be", "rf64_le"
        ...): output complex (c...) or float (r...), integers scaled to +-1.0 (unsigned
        centred: cu8 is (x - 127.5) / 128); offsets and lengths count samples
    scale: factor applied after the conversion
    channel: channel of a multi-channel SigMF recording)doc";

static const char* __doc_gr_streamproc_mmap_file_source_seek =
    R"doc(Seek within the segment; whence = os.SEEK_SET (from segment start), SEEK_CUR, SEEK_END (from segment end, negative goes back). Returns False if outside the segment.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_open =
    R"doc(Open another file (checked at once, raises on error); takes effect at the next work call.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_set_begin_tag =
    R"doc(Tag key added at the start of every pass (value: pass count); pmt.PMT_NIL switches it off.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_set_follow =
    R"doc(Switch follow mode on or off.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_follow =
    R"doc(True in follow mode.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_set_follow_timeout =
    R"doc(Seconds without growth after which follow mode ends the stream (0 = never).)doc";

static const char* __doc_gr_streamproc_mmap_file_source_follow_timeout =
    R"doc(Follow timeout in seconds.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_set_repeat =
    R"doc(Switch repeat on or off.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_repeat =
    R"doc(True when repeating.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_position =
    R"doc(Absolute index (items from the start of the file) of the next item.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_size =
    R"doc(Whole items in the file as of the last check.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_progress =
    R"doc(Fraction 0..1 of the current pass over the segment already produced.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_passes =
    R"doc(Completed passes over the segment.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_filename =
    R"doc(Path of the file being read.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_format =
    R"doc(The sample format (a SigMF datatype such as "cu8" or "ci16_le"), "" for raw items.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_sample_rate =
    R"doc(core:sample_rate of a SigMF recording; 0 when unknown or for a raw file.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_metadata =
    R"doc(The whole SigMF metadata as JSON text ("" for a raw file): json.loads() it.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_set_annotation_tags =
    R"doc(Emit SigMF annotations as "annotation" stream tags (dict: sample_start,
sample_count, label, comment) at their first sample; off by default.)doc";

static const char* __doc_gr_streamproc_mmap_file_source_set_pass_tags =
    R"doc(file_pos tags at every pass (default True); switch off for a tiny file with repeat, where a tag every few items costs far more than the copy. The first pass and every seek/open are tagged anyway.)doc";
