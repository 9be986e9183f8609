/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_MMAP_FILE_SOURCE_H
#define INCLUDED_STREAMPROC_MMAP_FILE_SOURCE_H

#include <gnuradio/streamproc/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>
#include <string>

namespace gr {
namespace streamproc {

/*!
 * \brief Memory-mapped file source with a sliding window and flat resident memory.
 * \ingroup streamproc
 *
 * \details
 * Reads items from a regular file through a window of the file that is mapped with
 * mmap() and slides along with the read position: pages behind the window are
 * unmapped, the next window is read ahead (POSIX_FADV_WILLNEED), so resident memory
 * is bounded by the window size whatever the file size. Items are copied into the
 * output buffer with memcpy.
 *
 * Offers what blocks.file_source offers (offset, length, repeat, seek, open while
 * running, a begin tag) plus a "file_pos" stream tag at the first item of every pass
 * and after every seek or open, whose value is a dict {filename, offset, pass}
 * (offset = absolute item index in the file), position/size/progress accessors for
 * progress bars, and a follow mode that waits for a file that is still being
 * written.
 *
 * Sample formats: with \p format set to a SigMF datatype
 * ((c|r)(f64|f32|i32|i16|i8|u32|u16|u8)(_le|_be), e.g. "cu8", "ci16_le") the file holds
 * samples of that format and the output is gr_complex (c...) or float (r...), converted
 * in one pass per chunk (VOLK kernels, a lookup table for 8-bit formats; big-endian
 * samples byte-swapped). Scaling: floats as they are; signed integers of b bits / 2^(b-1)
 * (full scale +-1.0); unsigned integers centred on their mid code, (x - (2^b - 1)/2) /
 * 2^(b-1) (cu8: (x - 127.5) / 128); then times \p scale. Offset, length, seek, position,
 * size, progress and file_pos tags count samples of the file's format.
 *
 * SigMF recordings: a filename ending in .sigmf-meta, .sigmf-data or .sigmf (a tar
 * archive, whose data member is mapped in place) is read as SigMF: the format, the
 * channels and the data layout (core:dataset, core:header_bytes, core:trailing_bytes)
 * come from the metadata; each capture becomes rx_rate, rx_freq and rx_time tags at its
 * first sample (and at the first item after a seek, open or new pass), annotations
 * optionally become "annotation" tags, and the global object is posted on message port
 * "meta" at start (and available from metadata()). Malformed metadata throws
 * std::runtime_error naming the file and the field.
 *
 * A file truncated by another process while it is read ends the stream cleanly at
 * the new end with a logged error (no SIGBUS). Pipes and devices cannot be mapped:
 * use blocks.file_source for those.
 */
class STREAMPROC_API mmap_file_source : virtual public gr::sync_block
{
public:
    using sptr = std::shared_ptr<mmap_file_source>;

    /*!
     * \brief Make a memory-mapped file source.
     * \param itemsize size of one output item in bytes (e.g. 8 for gr_complex, 4*vlen
     *        for a float vector); with a format or a SigMF file, 0 takes it from the
     *        format (8 or 4), any other value must match it.
     * \param filename path of a regular file.
     * \param repeat start again at \p offset when the end of the segment is reached.
     * \param offset first item to read (items, not bytes); at most the file's item
     *        count (equal only in follow mode or for an empty file).
     * \param length number of items to read from \p offset; 0 means to the end.
     * \param follow at the end of the file, wait for it to grow (a recording that is
     *        still being written) instead of ending the stream; needs length = 0.
     * \param follow_timeout in follow mode, end the stream when the file has not grown
     *        for this many seconds; 0 waits until the flowgraph is stopped.
     * \param window_bytes size of the mapped window in bytes; 0 picks the default
     *        (4 MiB). Rounded up to whole pages, at least two pages.
     * \param drop_cache release the file's pages from the page cache behind the read
     *        position (POSIX_FADV_DONTNEED), so a huge file does not flush the cache.
     * \param format "" for raw items of itemsize bytes, else a SigMF datatype (see
     *        above); for a SigMF file "" takes it from the metadata, a given one
     *        overrides core:datatype (with a warning when they differ).
     * \param scale factor applied after the conversion of a format (not 0).
     * \param channel the channel to read from a multi-channel SigMF recording.
     */
    static sptr make(size_t itemsize,
                     const std::string& filename,
                     bool repeat = false,
                     uint64_t offset = 0,
                     uint64_t length = 0,
                     bool follow = false,
                     double follow_timeout = 0.0,
                     size_t window_bytes = 0,
                     bool drop_cache = false,
                     const std::string& format = "",
                     double scale = 1.0,
                     int channel = 0);

    /*!
     * \brief Seek within the current segment [offset, offset + length).
     * \param seek_point item position, relative to the segment start for SEEK_SET,
     *        to the current position for SEEK_CUR and to the segment end for SEEK_END
     *        (as lseek(): use a negative value to go back from the end).
     * \param whence SEEK_SET (0), SEEK_CUR (1) or SEEK_END (2).
     * \return true on success; false (with a warning) if the target lies outside the
     *         segment or whence is unknown.
     */
    virtual bool seek(int64_t seek_point, int whence) = 0;

    /*!
     * \brief Switch to another file (or the same one with other bounds).
     *
     * The file is opened and checked at once (errors throw here); the switch takes
     * effect at the next call of work(), so it is safe while the flowgraph runs.
     */
    virtual void
    open(const std::string& filename, bool repeat, uint64_t offset, uint64_t length) = 0;

    //! Add a stream tag with this key (value: pass count) at the start of every pass;
    //! pmt::PMT_NIL switches it off.
    virtual void set_begin_tag(pmt::pmt_t val) = 0;

    //! Switch follow mode on or off while running.
    virtual void set_follow(bool follow) = 0;
    virtual bool follow() const = 0;
    //! Seconds without growth after which follow mode ends the stream (0 = never).
    virtual void set_follow_timeout(double seconds) = 0;
    virtual double follow_timeout() const = 0;
    virtual void set_repeat(bool repeat) = 0;
    virtual bool repeat() const = 0;

    //! Absolute index (items from the start of the file) of the next item to produce.
    virtual uint64_t position() const = 0;
    //! Whole items in the file, as of the last check (it can grow in follow mode).
    virtual uint64_t size() const = 0;
    //! Fraction of the current pass over the segment that has been produced, 0..1.
    virtual double progress() const = 0;
    //! Number of completed passes over the segment (repeat mode).
    virtual uint64_t passes() const = 0;
    //! Name of the file being read.
    virtual std::string filename() const = 0;

    //! The sample format ("" for raw items).
    virtual std::string format() const = 0;
    //! core:sample_rate of a SigMF recording, 0 when unknown or raw.
    virtual double sample_rate() const = 0;
    //! The whole SigMF metadata as JSON text ("" for a raw file).
    virtual std::string metadata() const = 0;
    /*!
     * file_pos tags at every pass (default true). A tiny file with repeat makes a pass
     * every few items, and a stream tag costs far more than copying a few items
     * (measured: a 4-item file at 0.78 M items/s with the tags, 12 M without): switch
     * them off for such test patterns. The first pass and every seek/open are tagged
     * anyway.
     */
    virtual void set_pass_tags(bool on) = 0;
    //! SigMF annotations as "annotation" stream tags (value: a dict with sample_start,
    //! sample_count, label, comment); off by default.
    virtual void set_annotation_tags(bool on) = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_MMAP_FILE_SOURCE_H */
