/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_MMAP_FILE_SOURCE_IMPL_H
#define INCLUDED_STREAMPROC_MMAP_FILE_SOURCE_IMPL_H

#include "mapped_file.h"
#include "sample_format.h"
#include "sigmf.h"
#include <gnuradio/streamproc/mmap_file_source.h>
#include <atomic>
#include <chrono>
#include <memory>

namespace gr {
namespace streamproc {

class mmap_file_source_impl : public mmap_file_source
{
private:
    // What open() prepared, swapped in by work() (or seek()) under d_setlock.
    struct source_state {
        std::unique_ptr<mapped_file> file;
        std::shared_ptr<const sigmf_recording> sigmf; // null for a raw file
        uint64_t offset = 0;                          // first item of the segment
        uint64_t length = 0; // items in the segment; 0 = to the (growing) end
        bool repeat = false;
    };

public:
    //! What the constructor needs before the block exists: sizes and the format.
    struct format_choice {
        size_t out_itemsize = 0;
        size_t file_itemsize = 0;
        std::shared_ptr<sample_format> format; // null: raw items (memcpy)
        bool override_datatype = false;        // format given for a SigMF file
    };

private:
    const size_t d_itemsize;      // output item
    const size_t d_file_itemsize; // one sample/item in the file
    std::shared_ptr<sample_format> d_format;
    const bool d_override_datatype; // the format given replaces SigMF core:datatype
    const double d_scale;
    const unsigned d_channel;
    volk::vector<unsigned char> d_scratch; // file bytes of one conversion chunk
    bool d_annotation_tags = false;
    bool d_pass_tags = true;
    bool d_jumped = true; // a seek/open/start since the last tag: always tagged
    const size_t d_window_bytes;
    const bool d_drop_cache;
    source_state d_cur;
    source_state d_next;
    bool d_have_next = false;
    bool d_follow;
    double d_follow_timeout;
    bool d_done = false;
    bool d_tag_pending = true;
    bool d_idle = false; // follow mode: waiting for the file to grow since d_idle_since
    std::chrono::steady_clock::time_point d_idle_since;
    std::string d_next_name;
    pmt::pmt_t d_begin_tag = pmt::PMT_NIL;
    pmt::pmt_t d_filename_pmt = pmt::PMT_NIL;
    uint64_t d_pos = 0; // absolute item index of the next item
    std::atomic<uint64_t> d_pub_pos{ 0 };
    std::atomic<uint64_t> d_pub_size{ 0 };
    std::atomic<uint64_t> d_pub_seg_start{ 0 };
    std::atomic<uint64_t> d_pub_seg_len{ 0 };
    std::atomic<uint64_t> d_passes{ 0 };

    //! Items (samples) the file holds at \p bytes.
    uint64_t items_at(const source_state& st, uint64_t bytes) const;
    //! Byte offset of item \p pos and the items that follow it contiguously.
    uint64_t byte_of(uint64_t pos, uint64_t* contiguous) const;
    //! Reads (and converts) k contiguous items from file byte \p byte into out;
    //! returns the items read.
    uint64_t read_items(uint64_t byte, uint64_t k, unsigned char* out);
    void add_sigmf_tags(uint64_t abs_out_offset, uint64_t pos, uint64_t k, bool first);
    source_state prepare(const std::string& filename,
                         bool repeat,
                         uint64_t offset,
                         uint64_t length,
                         bool follow) const;
    void apply_pending();
    //! Items in the file now (fstat); logs and handles a shrunken file.
    uint64_t file_items();
    uint64_t segment_end(uint64_t items_in_file) const;
    void publish();
    void add_pass_tags(uint64_t abs_out_offset);
    //! Follow mode: wait (interruptibly) until the file has more whole items than
    //! \p have. Returns false when the follow timeout expired or follow was switched off.
    bool wait_for_growth(gr::thread::scoped_lock& lock, uint64_t have);
    //! The file shrank under the reader: log it and end the stream.
    void end_truncated();

public:
    mmap_file_source_impl(const format_choice& choice,
                          const std::string& filename,
                          bool repeat,
                          uint64_t offset,
                          uint64_t length,
                          bool follow,
                          double follow_timeout,
                          size_t window_bytes,
                          bool drop_cache,
                          double scale,
                          unsigned channel);
    ~mmap_file_source_impl() override;

    bool seek(int64_t seek_point, int whence) override;
    void open(const std::string& filename,
              bool repeat,
              uint64_t offset,
              uint64_t length) override;
    void set_begin_tag(pmt::pmt_t val) override;
    void set_follow(bool follow) override;
    bool follow() const override;
    void set_follow_timeout(double seconds) override;
    double follow_timeout() const override;
    void set_repeat(bool repeat) override;
    bool repeat() const override;
    uint64_t position() const override { return d_pub_pos.load(); }
    uint64_t size() const override { return d_pub_size.load(); }
    double progress() const override;
    uint64_t passes() const override { return d_passes.load(); }
    std::string filename() const override;
    std::string format() const override;
    double sample_rate() const override;
    std::string metadata() const override;
    void set_annotation_tags(bool on) override;
    void set_pass_tags(bool on) override;

    bool start() override;
    bool stop() override;

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_MMAP_FILE_SOURCE_IMPL_H */
