/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scheduler_peek.h"
#include "spectral_impl.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {
// Limits: GNU Radio counts items per call in int; one output vector needs
// fft_size + (navg - 1) * hop input items, which must stay well below 2^31.
constexpr int k_max_fft = 1 << 24;
constexpr uint64_t k_max_span = uint64_t(1) << 30;

size_t checked_positive(int value, const char* name, int minimum, int maximum = 1 << 30)
{
    if (value < minimum || value > maximum)
        throw std::invalid_argument(
            std::string(name) + " must be between " + std::to_string(minimum) + " and " +
            std::to_string(maximum) + ", got " + std::to_string(value));
    return size_t(value);
}

size_t out_bins(int fft_size, bool real_input, bool onesided)
{
    const size_t n = checked_positive(fft_size, "fft_size", 2, k_max_fft);
    return real_input && onesided ? n / 2 + 1 : n;
}
} // namespace

template <class T, bool WELCH>
spectral_impl<T, WELCH>::spectral_impl(int fft_size,
                                       int hop,
                                       const std::vector<float>& window,
                                       int navg,
                                       const std::string& scaling,
                                       double sample_rate,
                                       bool onesided,
                                       bool shift,
                                       bool db)
    : gr::block(WELCH ? (is_real ? "welch_ff" : "welch_cf")
                      : (is_real ? "stft_fc" : "stft_cc"),
                gr::io_signature::make(1, 1, sizeof(T)),
                gr::io_signature::make(1,
                                       1,
                                       out_bins(fft_size, is_real, onesided) *
                                           (WELCH ? sizeof(float) : sizeof(gr_complex)))),
      d_engine(checked_positive(fft_size, "fft_size", 2, k_max_fft),
               checked_positive(hop, "hop", 1),
               window),
      d_onesided(is_real && onesided),
      d_shift(!is_real && shift),
      d_vlen(out_bins(fft_size, is_real, onesided)),
      d_frames_per_out(WELCH ? checked_positive(navg, "navg", 1) : 1),
      d_cursor(d_engine.fft_size(), d_engine.hop(), d_frames_per_out)
{
    const uint64_t span = uint64_t(d_engine.fft_size()) +
                          uint64_t(d_frames_per_out - 1) * uint64_t(d_engine.hop());
    if (span > k_max_span || uint64_t(d_engine.hop()) * d_frames_per_out > k_max_span)
        throw std::invalid_argument(
            "fft_size + (navg - 1) x hop and hop x navg must stay below 2^30 input "
            "samples per output vector, got fft_size " +
            std::to_string(d_engine.fft_size()) + ", hop " +
            std::to_string(d_engine.hop()) + ", navg " +
            std::to_string(d_frames_per_out));
    if (WELCH)
        d_psd = std::make_unique<psd_averager>(d_engine.fft_size(),
                                               d_vlen,
                                               d_frames_per_out,
                                               psd_averager::parse_scaling(scaling),
                                               sample_rate,
                                               d_onesided,
                                               d_shift,
                                               db,
                                               window);
    if (is_real && !d_onesided)
        d_full.resize(d_engine.batch() * d_engine.fft_size());
    this->set_relative_rate(1, uint64_t(d_engine.hop()) * d_frames_per_out);
    // A frame needs fft_size items at once, more than a default upstream buffer may
    // hold (64 KiB: 8192 complex items): GNU Radio sizes the upstream buffer from the
    // history of the block downstream (twice hop x navg + history), so the history asks
    // for room for whole frames. The history items themselves are not used.
    this->set_history(unsigned(d_engine.fft_size()));
    // Room for several batches per call: GNU Radio's default output buffer (32 KiB)
    // holds only four 1024-bin vectors, and a partial batch costs a whole one.
    // The item count is rounded to what the double-mapped buffer allocates anyway
    // (whole pages), which also keeps GNU Radio from warning about odd item sizes
    // such as 513 bins.
    const size_t item_bytes = d_vlen * (WELCH ? sizeof(float) : sizeof(gr_complex));
    const size_t granule = 4096 / std::gcd(item_bytes, size_t(4096));
    const size_t want = std::max<size_t>(4 * d_engine.batch() / d_frames_per_out + 1,
                                         (size_t(1) << 20) / item_bytes);
    const long out_items = long((want + granule - 1) / granule * granule);
    scheduler_peek::set_min_output_buffer_quietly(*this, this->d_logger, out_items);
    // and a large input buffer behind any upstream, within what the output holds
    d_upstream.request(*this, upstream_buffer::default_items, 1, out_items / 2);
    this->set_tag_propagation_policy(gr::block::TPP_DONT);
}

template <class T, bool WELCH>
spectral_impl<T, WELCH>::~spectral_impl() = default;

template <class T, bool WELCH>
void spectral_impl<T, WELCH>::set_window(const std::vector<float>& window)
{
    stft_engine<T>::check_window(window, d_engine.fft_size());
    gr::thread::scoped_lock lock(this->d_setlock);
    d_engine.set_window(window);
    if (d_psd)
        d_psd->set_window(window);
}

template <class T, bool WELCH>
std::vector<float> spectral_impl<T, WELCH>::window() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(this->d_setlock));
    return d_engine.window();
}

template <class T, bool WELCH>
const gr_complex* spectral_impl<T, WELCH>::expand(const gr_complex* half, size_t nframes)
{
    // Real input, all N bins wanted: X[N-k] = conj(X[k]).
    const size_t n = d_engine.fft_size();
    const size_t nh = d_engine.nbins();
    for (size_t f = 0; f < nframes; ++f) {
        const gr_complex* h = half + f * nh;
        gr_complex* o = d_full.data() + f * n;
        std::copy(h, h + nh, o);
        for (size_t k = nh; k < n; ++k)
            o[k] = std::conj(h[n - k]);
    }
    return d_full.data();
}

template <class T, bool WELCH>
void spectral_impl<T, WELCH>::write_spectra(const gr_complex* spec,
                                            size_t nframes,
                                            gr_complex* out) const
{
    if (!d_shift) {
        std::memcpy(out, spec, nframes * d_vlen * sizeof(gr_complex));
        return;
    }
    const size_t n = d_vlen;
    const size_t h = n / 2 + n % 2; // first bin of the negative frequencies
    for (size_t f = 0; f < nframes; ++f) {
        std::copy(spec + f * n + h, spec + (f + 1) * n, out + f * n);
        std::copy(spec + f * n, spec + f * n + h, out + f * n + (n - h));
    }
}

template <class T, bool WELCH>
void spectral_impl<T, WELCH>::forecast(int noutput_items,
                                       gr_vector_int& ninput_items_required)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    size_t frames = size_t(noutput_items) * d_frames_per_out;
    if (d_psd)
        frames -= std::min(frames, d_psd->pending());
    const size_t hist = d_engine.fft_size() - 1; // history() - 1: not used
    ninput_items_required[0] =
        int(std::min<size_t>(hist + d_cursor.input_required(frames), size_t(INT32_MAX)));
}

template <class T, bool WELCH>
int spectral_impl<T, WELCH>::general_work(int noutput_items,
                                          gr_vector_int& ninput_items,
                                          gr_vector_const_void_star& input_items,
                                          gr_vector_void_star& output_items)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    // in[fft_size - 1] is the first unconsumed item (the history only sizes the buffer)
    const size_t hist = d_engine.fft_size() - 1;
    const size_t avail = size_t(std::max(0, ninput_items[0] - int(hist)));
    const T* in = static_cast<const T*>(input_items[0]) + hist + d_cursor.skip_now(avail);
    const size_t frames_avail = d_cursor.frames_ready(avail);
    const size_t hop = d_engine.hop();
    size_t frames = 0;
    size_t produced = 0;
    while (frames < frames_avail && produced < size_t(noutput_items)) {
        size_t nf = std::min(d_engine.batch(), frames_avail - frames);
        if (!WELCH)
            nf = std::min(nf, size_t(noutput_items) - produced);
        if (!WELCH && !d_shift && (d_onesided || !is_real)) {
            // plain STFT: the FFT writes straight into the output buffer when it can
            auto* out = static_cast<gr_complex*>(output_items[0]) + produced * d_vlen;
            d_engine.transform_into(in + frames * hop, nf, out);
            produced += nf;
            frames += nf;
            continue;
        }
        const gr_complex* spec = d_engine.transform(in + frames * hop, nf);
        if (is_real && !d_onesided)
            spec = expand(spec, nf);
        if constexpr (WELCH) {
            size_t used = 0;
            float* out = static_cast<float*>(output_items[0]) + produced * d_vlen;
            produced +=
                d_psd->add(spec, nf, out, size_t(noutput_items) - produced, &used);
            frames += used;
            if (used < nf)
                break;
        } else {
            gr_complex* out =
                static_cast<gr_complex*>(output_items[0]) + produced * d_vlen;
            write_spectra(spec, nf, out);
            produced += nf;
            frames += nf;
        }
    }
    const size_t consumed = d_cursor.take(frames, avail);

    // Tags: input item t goes to the output of the first frame starting at or after it.
    const uint64_t read_end = this->nitems_read(0) + consumed;
    if (read_end > d_tags.fetched()) {
        this->get_tags_in_range(d_tags.scratch(), 0, d_tags.fetched(), read_end);
        d_tags.fetched_until(read_end);
    }
    if (!d_tags.empty()) {
        const frame_cursor& cursor = d_cursor;
        for (const auto& tag :
             d_tags.take_ready(this->nitems_written(0) + produced,
                               [&cursor](uint64_t t) { return cursor.output_of(t); }))
            this->add_item_tag(0, tag);
    }

    this->consume(0, int(consumed));
    return int(produced);
}

// ------------------------------------------------------------------ make()

template <class T>
typename stft<T>::sptr stft<T>::make(int fft_size,
                                     int hop,
                                     const std::vector<float>& window,
                                     bool shift_or_onesided)
{
    constexpr bool real = std::is_same<T, float>::value;
    return gnuradio::make_block_sptr<spectral_impl<T, false>>(fft_size,
                                                              hop,
                                                              window,
                                                              1,
                                                              "density",
                                                              1.0,
                                                              real && shift_or_onesided,
                                                              !real && shift_or_onesided,
                                                              false);
}

template <class T>
typename welch<T>::sptr welch<T>::make(int fft_size,
                                       int hop,
                                       const std::vector<float>& window,
                                       int navg,
                                       const std::string& scaling,
                                       double sample_rate,
                                       bool shift_or_onesided,
                                       bool db)
{
    constexpr bool real = std::is_same<T, float>::value;
    return gnuradio::make_block_sptr<spectral_impl<T, true>>(fft_size,
                                                             hop,
                                                             window,
                                                             navg,
                                                             scaling,
                                                             sample_rate,
                                                             real && shift_or_onesided,
                                                             !real && shift_or_onesided,
                                                             db);
}

template class stft<gr_complex>;
template class stft<float>;
template class welch<gr_complex>;
template class welch<float>;
template class spectral_impl<gr_complex, false>;
template class spectral_impl<float, false>;
template class spectral_impl<gr_complex, true>;
template class spectral_impl<float, true>;

} // namespace streamproc
} // namespace gr
