/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ols_fir_impl.h"
#include "scheduler_peek.h"
#include "taps_message.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace gr {
namespace streamproc {

namespace {
template <class T>
std::vector<T> convert_taps(const std::vector<float>& taps)
{
    return std::vector<T>(taps.begin(), taps.end());
}
template <class T>
std::vector<T> convert_taps(const std::vector<gr_complex>& taps)
{
    return taps; // only instantiated with T = gr_complex
}

// Output buffer (items): large, so that the scheduler's cost per work call is spread
// over many outputs (8192 -> 131072 items took ols_fir_fff with 129 taps from 230 to
// 510 Msamples/s on the project machine), and at least a few blocks.
constexpr size_t k_min_out_items = size_t(1) << 17;
} // namespace

template <class T, class TAP_T>
typename ols_fir<T, TAP_T>::sptr
ols_fir<T, TAP_T>::make(int decimation, const std::vector<TAP_T>& taps, int fft_size)
{
    return gnuradio::make_block_sptr<ols_fir_impl<T, TAP_T>>(decimation, taps, fft_size);
}

static unsigned checked_decimation(int decimation)
{
    if (decimation < 1)
        throw std::invalid_argument("ols_fir: decimation must be >= 1, got " +
                                    std::to_string(decimation));
    return unsigned(decimation);
}

static int checked_fft_size(int fft_size)
{
    if (fft_size < ols_fir<float, float>::overlap_save_auto)
        throw std::invalid_argument(
            "ols_fir: fft_size must be 0 (automatic), a positive FFT size, -1 (direct "
            "form) or -2 (overlap-save, automatic size), got " +
            std::to_string(fft_size));
    return fft_size;
}

template <class T, class TAP_T>
ols_fir_impl<T, TAP_T>::ols_fir_impl(int decimation,
                                     const std::vector<TAP_T>& taps,
                                     int fft_size)
    : gr::block("ols_fir",
                gr::io_signature::make(1, 1, sizeof(T)),
                gr::io_signature::make(1, 1, sizeof(T))),
      d_decim(checked_decimation(decimation)),
      d_fixed_fft(checked_fft_size(fft_size)),
      d_stream(d_decim, make_engine(taps, 0)),
      d_taps(taps)
{
    this->set_relative_rate(1, d_decim);
    apply_scheduler_hints();
    this->set_tag_propagation_policy(gr::block::TPP_DONT);
    this->message_port_register_in(d_taps_port);
    this->set_msg_handler(d_taps_port,
                          [this](const pmt::pmt_t& msg) { this->handle_taps_msg(msg); });
}

template <class T, class TAP_T>
ols_fir_impl<T, TAP_T>::~ols_fir_impl() = default;

template <class T, class TAP_T>
std::unique_ptr<typename ols_fir_impl<T, TAP_T>::engine_t>
ols_fir_impl<T, TAP_T>::make_engine(const std::vector<TAP_T>& taps, size_t max_span) const
{
    if (taps.empty())
        throw std::invalid_argument("ols_fir: taps must not be empty");
    for (size_t i = 0; i < taps.size(); ++i)
        if (!std::isfinite(std::abs(taps[i])))
            throw std::invalid_argument(
                "ols_fir: tap " + std::to_string(i) +
                " is not finite (NaN or Inf taps would make every "
                "output non-finite)");
    constexpr bool is_complex = std::is_same<T, gr_complex>::value;
    const size_t L = taps.size();
    fir_method method = fir_method::overlap_save;
    size_t nfft = 0;
    if (d_fixed_fft > 0) {
        nfft = size_t(d_fixed_fft);
    } else if (d_fixed_fft == ols_fir<T, TAP_T>::direct_form) {
        method = fir_method::direct;
    } else {
        if (d_fixed_fft == 0)
            method = engine_t::choose_method(
                L, d_decim, is_complex, !detail::taps_all_real(taps));
        if (method == fir_method::overlap_save) {
            nfft = engine_t::choose_fft_size(L, d_decim, is_complex, max_span);
            if (nfft == 0)
                throw std::invalid_argument(
                    "ols_fir: " + std::to_string(L) +
                    " taps do not fit the input buffer this running flowgraph allocated "
                    "(at most " +
                    std::to_string(max_span) +
                    " items); start the flowgraph with the longer filter instead");
        }
    }
    auto e = std::make_unique<engine_t>(convert_taps<T>(taps), d_decim, nfft, method);
    this->d_logger->debug(
        "{} taps, decimation {}: {} (fft_size {}, {} outputs per block)",
        L,
        d_decim,
        method == fir_method::direct ? "direct form" : "overlap-save",
        e->fft_size(),
        e->block_outputs());
    return e;
}

template <class T, class TAP_T>
void ols_fir_impl<T, TAP_T>::apply_scheduler_hints()
{
    // history, sample delay and output buffer of the engine in use
    const engine_t& e = d_stream.engine();
    d_generation_seen = d_stream.generation();
    this->set_history(unsigned(d_stream.history()));
    this->declare_sample_delay(unsigned((e.ntaps() - 1) / 2));
    scheduler_peek::set_min_output_buffer_quietly(
        *this, this->d_logger, long(std::max(k_min_out_items, 4 * e.block_outputs())));
    // room for a few blocks after the history, also for long filters whose history
    // alone exceeds the default request (4097 taps: ~32 Ki items)
    d_upstream.request(*this,
                       std::max(upstream_buffer::default_items, 4 * d_stream.history()));
}

template <class T, class TAP_T>
void ols_fir_impl<T, TAP_T>::set_taps(const std::vector<TAP_T>& taps)
{
    auto engine = make_engine(taps, 0); // validates; plans FFTs outside the lock
    gr::thread::scoped_lock lock(this->d_setlock);
    if (!d_running) {
        d_stream.reset(std::move(engine));
        apply_scheduler_hints();
        d_taps = taps;
        return;
    }
    // While running the input buffer is fixed: the new filter must fit it, both while
    // the history grows and afterwards.
    const size_t cap = scheduler_peek::input0_capacity(*this);
    auto fits = [&](const engine_t& e) {
        return cap == 0 || d_stream.span_needed(e) <= cap;
    };
    if (!fits(*engine)) {
        if (d_fixed_fft != 0 && d_fixed_fft != ols_fir<T, TAP_T>::overlap_save_auto)
            throw std::invalid_argument(
                "ols_fir: " + std::to_string(taps.size()) + " taps with fft_size " +
                std::to_string(d_fixed_fft) +
                " do not fit the input buffer of this running flowgraph (" +
                std::to_string(cap) + " items)");
        const size_t old_block = d_stream.engine().block_outputs() * d_decim;
        lock.unlock();
        const size_t span = cap > old_block ? cap - old_block : 0;
        engine = make_engine(taps, span);
        lock.lock();
        if (!fits(*engine))
            throw std::invalid_argument(
                "ols_fir: " + std::to_string(taps.size()) +
                " taps do not fit the input buffer of this running flowgraph (" +
                std::to_string(cap) + " items)");
    }
    d_stream.set_pending(std::move(engine));
    d_taps = taps;
}

template <class T, class TAP_T>
void ols_fir_impl<T, TAP_T>::handle_taps_msg(const pmt::pmt_t& msg)
{
    std::vector<TAP_T> taps;
    if (!taps_from_pmt(msg, taps)) {
        this->d_logger->warn("taps message ignored: expected {}, got {}",
                             std::is_same<TAP_T, float>::value ? "an f32vector"
                                                               : "a c32vector",
                             pmt::write_string(msg).substr(0, 80));
        return;
    }
    try {
        set_taps(taps);
    } catch (const std::invalid_argument& e) {
        this->d_logger->error("taps message ignored: {}", e.what());
    }
}

template <class T, class TAP_T>
std::vector<TAP_T> ols_fir_impl<T, TAP_T>::taps() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(this->d_setlock));
    return d_taps;
}

template <class T, class TAP_T>
int ols_fir_impl<T, TAP_T>::fft_size() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(this->d_setlock));
    return int(d_stream.engine().fft_size());
}

template <class T, class TAP_T>
std::string ols_fir_impl<T, TAP_T>::method() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(this->d_setlock));
    return d_stream.engine().method() == fir_method::direct ? "direct" : "overlap-save";
}

template <class T, class TAP_T>
int ols_fir_impl<T, TAP_T>::block_outputs() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(this->d_setlock));
    return int(d_stream.engine().block_outputs());
}

template <class T, class TAP_T>
unsigned long long ols_fir_impl<T, TAP_T>::direct_blocks() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(this->d_setlock));
    return d_stream.engine().direct_blocks();
}

template <class T, class TAP_T>
bool ols_fir_impl<T, TAP_T>::start()
{
    gr::thread::scoped_lock lock(this->d_setlock);
    d_running = true;
    d_upstream.started(*this);
    return true;
}

template <class T, class TAP_T>
bool ols_fir_impl<T, TAP_T>::stop()
{
    gr::thread::scoped_lock lock(this->d_setlock);
    d_running = false;
    // The next start is a new stream (GNU Radio's item counters start at 0 again, and
    // the input buffer is made anew from the history declared now).
    d_stream.restart();
    d_tags.reset();
    apply_scheduler_hints(); // history, delay, buffers of the engine in use
    d_upstream.stopped(*this);
    if (d_stream.engine().direct_blocks() > 0)
        this->d_logger->warn("{} blocks held NaN or Inf input and were filtered directly",
                             d_stream.engine().direct_blocks());
    return true;
}

template <class T, class TAP_T>
void ols_fir_impl<T, TAP_T>::forecast(int noutput_items,
                                      gr_vector_int& ninput_items_required)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    ninput_items_required[0] = int(d_stream.input_required(
        size_t(noutput_items), scheduler_peek::input0_done(*this)));
}

template <class T, class TAP_T>
int ols_fir_impl<T, TAP_T>::general_work(int noutput_items,
                                         gr_vector_int& ninput_items,
                                         gr_vector_const_void_star& input_items,
                                         gr_vector_void_star& output_items)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    // Once the input has ended, what is in the buffer is final: use all of it.
    const auto input = scheduler_peek::input0(*this);
    const long avail = input.done ? std::max<long>(ninput_items[0], input.available)
                                  : long(ninput_items[0]);

    // Tags: in[history - 1] is input item nitems_read(0); a tag on input item t
    // belongs to output t / D (GNU Radio has already added the declared delay).
    const size_t hist = d_stream.history();
    const uint64_t read_end =
        this->nitems_read(0) + uint64_t(std::max(0L, avail - long(hist - 1)));
    if (read_end > d_tags.fetched()) {
        this->get_tags_in_range(d_tags.scratch(), 0, d_tags.fetched(), read_end);
        d_tags.fetched_until(read_end);
    }

    const auto r = d_stream.process(static_cast<const T*>(input_items[0]),
                                    size_t(avail),
                                    input.done,
                                    static_cast<T*>(output_items[0]),
                                    size_t(noutput_items));
    if (!d_tags.empty()) {
        const uint64_t D = d_decim;
        for (const auto& tag : d_tags.take_ready(this->nitems_written(0) + r.produced,
                                                 [D](uint64_t t) { return t / D; }))
            this->add_item_tag(0, tag);
    }
    this->consume(0, int(r.consumed));
    if (r.history_changed)
        this->set_history(unsigned(d_stream.history()));
    if (d_stream.generation() != d_generation_seen) {
        d_generation_seen = d_stream.generation();
        this->declare_sample_delay(unsigned((d_stream.engine().ntaps() - 1) / 2));
    }
    return int(r.produced);
}

template class ols_fir<float, float>;
template class ols_fir<gr_complex, gr_complex>;
template class ols_fir<gr_complex, float>;
template class ols_fir_impl<float, float>;
template class ols_fir_impl<gr_complex, gr_complex>;
template class ols_fir_impl<gr_complex, float>;

} // namespace streamproc
} // namespace gr
