/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mmap_file_source_impl.h"
#include "scheduler_peek.h"
#include <gnuradio/io_signature.h>
#include <boost/thread/thread.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {
const pmt::pmt_t k_file_pos = pmt::mp("file_pos");
const pmt::pmt_t k_filename = pmt::mp("filename");
const pmt::pmt_t k_offset = pmt::mp("offset");
const pmt::pmt_t k_pass = pmt::mp("pass");
const pmt::pmt_t k_meta_port = pmt::mp("meta");
const pmt::pmt_t k_rx_rate = pmt::mp("rx_rate");
const pmt::pmt_t k_rx_freq = pmt::mp("rx_freq");
const pmt::pmt_t k_rx_time = pmt::mp("rx_time");
const pmt::pmt_t k_annotation = pmt::mp("annotation");
const pmt::pmt_t k_label = pmt::mp("label");
const pmt::pmt_t k_comment = pmt::mp("comment");
const pmt::pmt_t k_sample_start = pmt::mp("sample_start");
const pmt::pmt_t k_sample_count = pmt::mp("sample_count");

// Output buffer the block asks the scheduler for. Large, so that the source and a
// block that costs about as much per sample (a decimating FIR, the event detector) do
// not keep waiting for each other on two cores: 1 -> 8 MiB took ols_fir_ccc (129 taps,
// D = 8) from 450 to 625 Msamples/s and event_detector_f from 3.5 to 4.4 GB/s on the
// project machine; 16 MiB gained little more. It costs 7 MB more resident memory than
// 1 MiB (set_min_output_buffer() before start() overrides it).
constexpr size_t k_out_buffer_bytes = size_t(8) << 20;
// Longest a single work() call sleeps in follow mode before handing control back to
// the scheduler (which may have been told to stop).
constexpr int k_follow_poll_ms = 10;
constexpr int k_follow_max_wait_ms = 100;
} // namespace

namespace {
// The output item size, the file item size and the conversion, decided before the
// block exists (its io signature needs them).
mmap_file_source_impl::format_choice choose_format(size_t itemsize,
                                                   const std::string& filename,
                                                   const std::string& format,
                                                   double scale,
                                                   int channel)
{
    if (channel < 0)
        throw std::invalid_argument("mmap_file_source: channel must be >= 0, got " +
                                    std::to_string(channel));
    mmap_file_source_impl::format_choice c;
    std::string datatype = format;
    unsigned channels = 1;
    if (sigmf_recording::is_sigmf_path(filename)) {
        if (!format.empty() && !sample_format::valid(format))
            throw std::invalid_argument("mmap_file_source: format \"" + format +
                                        "\" is not a SigMF datatype");
        // a given format overrides core:datatype (with a warning when they differ)
        const sigmf_recording rec(filename, format);
        datatype = rec.datatype();
        c.override_datatype = !format.empty();
        channels = rec.num_channels();
    }
    if (datatype.empty()) {
        if (itemsize == 0)
            throw std::invalid_argument(
                "mmap_file_source: itemsize must be at least 1 byte, got 0");
        if (scale != 1.0 || channel != 0)
            throw std::invalid_argument(
                "mmap_file_source: scale and channel need a sample format");
        c.out_itemsize = c.file_itemsize = itemsize;
        return c;
    }
    try {
        c.format =
            std::make_shared<sample_format>(datatype, scale, channels, unsigned(channel));
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("mmap_file_source: ") + e.what());
    }
    c.out_itemsize = c.format->output_bytes();
    c.file_itemsize = c.format->file_bytes();
    if (itemsize != 0 && itemsize != c.out_itemsize)
        throw std::invalid_argument("mmap_file_source: itemsize " +
                                    std::to_string(itemsize) + " does not fit format " +
                                    c.format->name() + ", whose output items are " +
                                    std::to_string(c.out_itemsize) + " bytes (use 0 or " +
                                    std::to_string(c.out_itemsize) + ")");
    return c;
}
} // namespace

mmap_file_source::sptr mmap_file_source::make(size_t itemsize,
                                              const std::string& filename,
                                              bool repeat,
                                              uint64_t offset,
                                              uint64_t length,
                                              bool follow,
                                              double follow_timeout,
                                              size_t window_bytes,
                                              bool drop_cache,
                                              const std::string& format,
                                              double scale,
                                              int channel)
{
    return gnuradio::make_block_sptr<mmap_file_source_impl>(
        choose_format(itemsize, filename, format, scale, channel),
        filename,
        repeat,
        offset,
        length,
        follow,
        follow_timeout,
        window_bytes,
        drop_cache,
        scale,
        unsigned(channel));
}

static double checked_timeout(double seconds)
{
    if (!(seconds >= 0.0))
        throw std::invalid_argument(
            "mmap_file_source: follow_timeout must be >= 0 seconds, got " +
            std::to_string(seconds));
    return seconds;
}

mmap_file_source_impl::mmap_file_source_impl(const format_choice& choice,
                                             const std::string& filename,
                                             bool repeat,
                                             uint64_t offset,
                                             uint64_t length,
                                             bool follow,
                                             double follow_timeout,
                                             size_t window_bytes,
                                             bool drop_cache,
                                             double scale,
                                             unsigned channel)
    : gr::sync_block("mmap_file_source",
                     gr::io_signature::make(0, 0, 0),
                     gr::io_signature::make(1, 1, choice.out_itemsize)),
      d_itemsize(choice.out_itemsize),
      d_file_itemsize(choice.file_itemsize),
      d_format(choice.format),
      d_override_datatype(choice.override_datatype),
      d_scale(scale),
      d_channel(channel),
      d_window_bytes(window_bytes),
      d_drop_cache(drop_cache),
      d_follow(follow),
      d_follow_timeout(checked_timeout(follow_timeout))
{
    d_cur = prepare(filename, repeat, offset, length, follow);
    d_filename_pmt = pmt::string_to_symbol(filename);
    d_pos = d_cur.offset;
    publish();
    if (d_format)
        d_scratch.resize(sample_format::max_chunk() * d_file_itemsize);
    scheduler_peek::set_min_output_buffer_quietly(
        *this,
        this->d_logger,
        long(std::max<size_t>(1, k_out_buffer_bytes / d_itemsize)));
    message_port_register_out(k_meta_port);
}

mmap_file_source_impl::~mmap_file_source_impl() = default;

mmap_file_source_impl::source_state
mmap_file_source_impl::prepare(const std::string& filename,
                               bool repeat,
                               uint64_t offset,
                               uint64_t length,
                               bool follow) const
{
    if (follow && length > 0)
        throw std::invalid_argument(
            "mmap_file_source: follow reads what is appended to the file and cannot be "
            "combined with length " +
            std::to_string(length) + " (a fixed segment); use length 0 with follow");
    source_state s;
    std::string data_path = filename;
    if (sigmf_recording::is_sigmf_path(filename)) {
        auto rec = std::make_shared<const sigmf_recording>(
            filename, d_override_datatype ? d_format->name() : std::string());
        if (!d_format || sample_format(rec->datatype()).name() != d_format->name() ||
            rec->num_channels() != d_format->channels())
            throw std::invalid_argument(
                "mmap_file_source: " + rec->meta_path() + " holds " + rec->datatype() +
                " x " + std::to_string(rec->num_channels()) +
                " channels, not the format this source was made for (" +
                (d_format ? d_format->name() : std::string("raw items")) + ")");
        for (const auto& w : rec->warnings())
            d_logger->warn("{}", w);
        if (rec->sample_rate() > 0.0)
            d_logger->debug("{}: {} at {} samples/s, {} captures, {} annotations",
                            rec->meta_path(),
                            rec->datatype(),
                            rec->sample_rate(),
                            rec->captures().size(),
                            rec->annotations().size());
        data_path = rec->data_path();
        s.sigmf = std::move(rec);
    }
    s.file = std::make_unique<mapped_file>(data_path, d_window_bytes, d_drop_cache);
    const uint64_t bytes = s.file->size_bytes();
    const uint64_t items = items_at(s, bytes);
    if (!s.sigmf && bytes % d_file_itemsize != 0) {
        d_logger->warn("{}: size {} bytes is not a multiple of itemsize {}; the last {} "
                       "bytes are ignored",
                       filename,
                       bytes,
                       d_file_itemsize,
                       bytes % d_file_itemsize);
    }
    if (offset > items || (offset == items && items > 0 && !follow)) {
        throw std::invalid_argument("mmap_file_source: offset " + std::to_string(offset) +
                                    " items is past the end of '" + filename +
                                    "', which holds " + std::to_string(items) +
                                    " items of " + std::to_string(d_file_itemsize) +
                                    " bytes");
    }
    if (length > items - offset) {
        throw std::invalid_argument(
            "mmap_file_source: length " + std::to_string(length) + " items from offset " +
            std::to_string(offset) + " is past the end of '" + filename +
            "', which holds " + std::to_string(items) + " items of " +
            std::to_string(d_file_itemsize) + " bytes");
    }
    if (items == 0)
        d_logger->info("{} is empty", filename);
    s.offset = offset;
    s.length = length;
    s.repeat = repeat;
    return s;
}

void mmap_file_source_impl::open(const std::string& filename,
                                 bool repeat,
                                 uint64_t offset,
                                 uint64_t length)
{
    bool follow;
    {
        gr::thread::scoped_lock lock(d_setlock);
        follow = d_follow;
    }
    // Opening and checking happen outside the lock: they may touch the disk.
    source_state next = prepare(filename, repeat, offset, length, follow);
    gr::thread::scoped_lock lock(d_setlock);
    d_next = std::move(next);
    d_have_next = true;
    d_next_name = filename;
}

void mmap_file_source_impl::apply_pending()
{
    if (!d_have_next)
        return;
    d_cur = std::move(d_next);
    d_have_next = false;
    d_filename_pmt = pmt::string_to_symbol(d_next_name);
    d_pos = d_cur.offset;
    d_passes = 0;
    d_done = false;
    d_idle = false;
    d_tag_pending = true;
    d_jumped = true;
    publish();
}

uint64_t mmap_file_source_impl::segment_end(uint64_t items_in_file) const
{
    return d_cur.length ? d_cur.offset + d_cur.length : items_in_file;
}

uint64_t mmap_file_source_impl::items_at(const source_state& st, uint64_t bytes) const
{
    if (!st.sigmf)
        return bytes / d_file_itemsize;
    const sigmf_recording& rec = *st.sigmf;
    if (rec.data_offset() != 0) // an archive member: fixed
        return rec.samples();
    // the data file may have grown (follow) or shrunk since the metadata was read
    const sigmf_capture& last = rec.captures().back();
    const uint64_t end = bytes > rec.trailing_bytes() ? bytes - rec.trailing_bytes() : 0;
    if (end < last.byte_start)
        return std::min<uint64_t>(rec.samples(), end / rec.sample_bytes());
    return last.sample_start + (end - last.byte_start) / rec.sample_bytes();
}

uint64_t mmap_file_source_impl::byte_of(uint64_t pos, uint64_t* contiguous) const
{
    if (!d_cur.sigmf) {
        *contiguous = UINT64_MAX;
        return pos * d_file_itemsize;
    }
    return d_cur.sigmf->data_offset() + d_cur.sigmf->byte_of(pos, contiguous);
}

uint64_t mmap_file_source_impl::file_items()
{
    const uint64_t items = items_at(d_cur, d_cur.file->refresh_size());
    d_pub_size = items;
    return items;
}

void mmap_file_source_impl::publish()
{
    d_pub_pos = d_pos;
    d_pub_size = items_at(d_cur, d_cur.file->size_bytes());
    d_pub_seg_start = d_cur.offset;
    d_pub_seg_len = d_cur.length;
}

double mmap_file_source_impl::progress() const
{
    const uint64_t start = d_pub_seg_start.load();
    const uint64_t len = d_pub_seg_len.load();
    const uint64_t end = len ? start + len : d_pub_size.load();
    const uint64_t pos = d_pub_pos.load();
    if (end <= start)
        return 1.0;
    return std::min(1.0, double(pos - std::min(pos, start)) / double(end - start));
}

std::string mmap_file_source_impl::filename() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(d_setlock));
    return d_cur.file->path();
}

void mmap_file_source_impl::add_pass_tags(uint64_t abs_out_offset)
{
    pmt::pmt_t value = pmt::make_dict();
    value = pmt::dict_add(value, k_filename, d_filename_pmt);
    value = pmt::dict_add(value, k_offset, pmt::from_uint64(d_pos));
    value = pmt::dict_add(value, k_pass, pmt::from_uint64(d_passes.load()));
    add_item_tag(0, abs_out_offset, k_file_pos, value, alias_pmt());
    if (!pmt::is_null(d_begin_tag) && d_pos == d_cur.offset)
        add_item_tag(0,
                     abs_out_offset,
                     d_begin_tag,
                     pmt::from_uint64(d_passes.load()),
                     alias_pmt());
}

uint64_t mmap_file_source_impl::read_items(uint64_t byte, uint64_t k, unsigned char* out)
{
    if (!d_format) {
        const size_t want = size_t(k * d_itemsize);
        return d_cur.file->copy(byte, out, want) / d_itemsize;
    }
    // file bytes -> scratch (the guarded copy), then converted into the output
    uint64_t done = 0;
    while (done < k) {
        const size_t c = size_t(std::min<uint64_t>(k - done, sample_format::max_chunk()));
        const size_t want = c * d_file_itemsize;
        const size_t got =
            d_cur.file->copy(byte + done * d_file_itemsize, d_scratch.data(), want);
        const size_t whole = got / d_file_itemsize;
        d_format->convert(d_scratch.data(), whole, out + done * d_itemsize);
        done += whole;
        if (got < want)
            break;
    }
    return done;
}

void mmap_file_source_impl::add_sigmf_tags(uint64_t abs_out_offset,
                                           uint64_t pos,
                                           uint64_t k,
                                           bool first)
{
    const sigmf_recording& rec = *d_cur.sigmf;
    const auto& caps = rec.captures();
    // the capture that starts at pos (or, first, the one in effect at pos)
    auto it = std::upper_bound(
        caps.begin(), caps.end(), pos, [](uint64_t v, const sigmf_capture& c) {
            return v < c.sample_start;
        });
    if (it != caps.begin()) {
        const sigmf_capture& c = *(it - 1);
        if (first || c.sample_start == pos) {
            const double rate = rec.sample_rate();
            if (rate > 0.0)
                add_item_tag(
                    0, abs_out_offset, k_rx_rate, pmt::from_double(rate), alias_pmt());
            if (c.has_frequency)
                add_item_tag(0,
                             abs_out_offset,
                             k_rx_freq,
                             pmt::from_double(c.frequency),
                             alias_pmt());
            if (c.has_time) {
                double frac = c.time_frac;
                uint64_t secs = c.time_secs;
                if (rate > 0.0 && pos > c.sample_start) {
                    frac += double(pos - c.sample_start) / rate;
                    const double whole = std::floor(frac);
                    secs += uint64_t(whole);
                    frac -= whole;
                }
                add_item_tag(
                    0,
                    abs_out_offset,
                    k_rx_time,
                    pmt::make_tuple(pmt::from_uint64(secs), pmt::from_double(frac)),
                    alias_pmt());
            }
        }
    }
    if (!d_annotation_tags)
        return;
    const auto& anns = rec.annotations();
    auto a = std::lower_bound(
        anns.begin(), anns.end(), pos, [](const sigmf_annotation& x, uint64_t v) {
            return x.sample_start < v;
        });
    for (; a != anns.end() && a->sample_start < pos + k; ++a) {
        pmt::pmt_t d = pmt::make_dict();
        d = pmt::dict_add(d, k_sample_start, pmt::from_uint64(a->sample_start));
        d = pmt::dict_add(d, k_sample_count, pmt::from_uint64(a->sample_count));
        d = pmt::dict_add(d, k_label, pmt::string_to_symbol(a->label));
        d = pmt::dict_add(d, k_comment, pmt::string_to_symbol(a->comment));
        add_item_tag(
            0, abs_out_offset + (a->sample_start - pos), k_annotation, d, alias_pmt());
    }
}

std::string mmap_file_source_impl::format() const
{
    return d_format ? d_format->name() : std::string();
}

double mmap_file_source_impl::sample_rate() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(d_setlock));
    return d_cur.sigmf ? d_cur.sigmf->sample_rate() : 0.0;
}

std::string mmap_file_source_impl::metadata() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(d_setlock));
    return d_cur.sigmf ? d_cur.sigmf->meta_json() : std::string();
}

void mmap_file_source_impl::set_pass_tags(bool on)
{
    gr::thread::scoped_lock lock(d_setlock);
    d_pass_tags = on;
}

void mmap_file_source_impl::set_annotation_tags(bool on)
{
    gr::thread::scoped_lock lock(d_setlock);
    d_annotation_tags = on;
}

bool mmap_file_source_impl::start()
{
    gr::thread::scoped_lock lock(d_setlock);
    if (d_cur.sigmf)
        message_port_pub(k_meta_port, json_to_pmt(d_cur.sigmf->global_json()));
    return true;
}

bool mmap_file_source_impl::seek(int64_t seek_point, int whence)
{
    gr::thread::scoped_lock lock(d_setlock);
    apply_pending();
    const uint64_t items = file_items();
    const int64_t start = int64_t(d_cur.offset);
    const int64_t end = int64_t(segment_end(items));
    int64_t target;
    switch (whence) {
    case SEEK_SET:
        target = start + seek_point;
        break;
    case SEEK_CUR:
        target = int64_t(d_pos) + seek_point;
        break;
    case SEEK_END:
        target = end + seek_point;
        break;
    default:
        d_logger->warn("seek: unknown whence {} (use SEEK_SET, SEEK_CUR or SEEK_END)",
                       whence);
        return false;
    }
    if (target < start || target >= end) {
        d_logger->warn("seek: item {} (whence {}) is outside the segment [{}, {}) of {}",
                       seek_point,
                       whence,
                       start,
                       end,
                       d_cur.file->path());
        return false;
    }
    d_pos = uint64_t(target);
    d_done = false;
    d_tag_pending = true;
    d_jumped = true;
    d_pub_pos = d_pos;
    return true;
}

void mmap_file_source_impl::set_begin_tag(pmt::pmt_t val)
{
    gr::thread::scoped_lock lock(d_setlock);
    d_begin_tag = val;
}

void mmap_file_source_impl::set_follow(bool follow)
{
    gr::thread::scoped_lock lock(d_setlock);
    if (follow && (d_have_next ? d_next.length : d_cur.length) > 0)
        throw std::invalid_argument("mmap_file_source: follow cannot be switched on for "
                                    "a segment with length > 0");
    d_follow = follow;
}

bool mmap_file_source_impl::follow() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(d_setlock));
    return d_follow;
}

void mmap_file_source_impl::set_follow_timeout(double seconds)
{
    checked_timeout(seconds);
    gr::thread::scoped_lock lock(d_setlock);
    d_follow_timeout = seconds;
}

double mmap_file_source_impl::follow_timeout() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(d_setlock));
    return d_follow_timeout;
}

void mmap_file_source_impl::set_repeat(bool repeat)
{
    gr::thread::scoped_lock lock(d_setlock);
    d_cur.repeat = repeat;
}

bool mmap_file_source_impl::repeat() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(d_setlock));
    return d_cur.repeat;
}

bool mmap_file_source_impl::wait_for_growth(gr::thread::scoped_lock& lock, uint64_t have)
{
    const auto now = std::chrono::steady_clock::now();
    if (!d_idle) {
        d_idle = true;
        d_idle_since = now;
    }
    const auto call_end = now + std::chrono::milliseconds(k_follow_max_wait_ms);
    while (std::chrono::steady_clock::now() < call_end) {
        lock.unlock();
        // An interruption point: top_block.stop() ends the wait at once.
        boost::this_thread::sleep(boost::posix_time::milliseconds(k_follow_poll_ms));
        lock.lock();
        if (d_have_next || !d_follow)
            return true;
        if (file_items() != have)
            return true;
        if (d_follow_timeout > 0.0 &&
            std::chrono::steady_clock::now() - d_idle_since >=
                std::chrono::duration<double>(d_follow_timeout)) {
            d_logger->info("{} has not grown for {} s; ending the stream at item {}",
                           d_cur.file->path(),
                           d_follow_timeout,
                           d_pos);
            d_done = true;
            return false;
        }
    }
    return false;
}

void mmap_file_source_impl::end_truncated()
{
    d_logger->error("{} shrank to {} bytes while being read (another process truncated "
                    "it?); ending the stream at item {}",
                    d_cur.file->path(),
                    d_cur.file->size_bytes(),
                    d_pos);
    d_done = true;
}

bool mmap_file_source_impl::stop()
{
    gr::thread::scoped_lock lock(d_setlock);
    d_logger->debug(
        "{}: stopped at item {} of {} after {} complete passes, {} windows mapped",
        d_cur.file->path(),
        d_pos,
        d_pub_size.load(),
        d_passes.load(),
        d_cur.file->remaps());
    d_cur.file->unmap();
    return true;
}

int mmap_file_source_impl::work(int noutput_items,
                                gr_vector_const_void_star& /*input_items*/,
                                gr_vector_void_star& output_items)
{
    gr::thread::scoped_lock lock(d_setlock);
    auto* out = static_cast<unsigned char*>(output_items[0]);
    const uint64_t n = uint64_t(noutput_items);
    uint64_t produced = 0;
    // The file's size is looked up (fstat) once per call, and again only after a
    // switch to another file or a wait in follow mode: a tiny file with repeat makes
    // many passes per call.
    uint64_t items = 0;
    bool stale = true;

    while (produced < n) {
        if (d_have_next)
            stale = true;
        apply_pending();
        if (d_done)
            break;
        if (stale) {
            items = file_items();
            stale = false;
        }
        const uint64_t seg_end = segment_end(items);
        const uint64_t avail_end = std::min(seg_end, items);

        if (d_pos < avail_end) {
            const bool first = d_tag_pending; // a new pass, seek or open
            if (d_tag_pending) {
                if (d_pass_tags || d_jumped)
                    add_pass_tags(nitems_written(0) + produced);
                d_tag_pending = false;
                d_jumped = false;
            }
            uint64_t contiguous = 0;
            const uint64_t byte = byte_of(d_pos, &contiguous);
            const uint64_t k = std::min(
                { n - produced, avail_end - d_pos, std::max<uint64_t>(1, contiguous) });
            if (d_cur.sigmf) // capture tags; after a jump, the capture in effect here
                add_sigmf_tags(nitems_written(0) + produced, d_pos, k, first);
            const uint64_t whole = read_items(byte, k, out + produced * d_itemsize);
            produced += whole;
            d_pos += whole;
            d_idle = false;
            if (whole < k) {
                end_truncated();
                break;
            }
            continue;
        }

        // At the end of what the file has for the segment.
        if (avail_end < seg_end || d_pos > items) {
            end_truncated();
            break;
        }
        if (d_follow && d_cur.length == 0) {
            if (produced > 0)
                break; // hand over what we have before waiting
            stale = true;
            if (wait_for_growth(lock, items))
                continue;
            if (d_done)
                break;
            // Nothing yet: let the scheduler look at its own state, then call again.
            break;
        }
        if (d_cur.repeat && seg_end > d_cur.offset) {
            d_pos = d_cur.offset;
            ++d_passes;
            d_tag_pending = true;
            continue;
        }
        d_done = true;
        break;
    }

    d_pub_pos = d_pos;
    if (produced == 0 && d_done)
        return WORK_DONE;
    return int(produced);
}

} // namespace streamproc
} // namespace gr
