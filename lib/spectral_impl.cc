/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "spectral_impl.h"
#include <gnuradio/io_signature.h>
#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {
size_t checked_positive(int value, const char* name, int minimum)
{
    if (value < minimum)
        throw std::invalid_argument(std::string(name) + " must be at least " +
                                    std::to_string(minimum) + ", got " +
                                    std::to_string(value));
    return size_t(value);
}

size_t out_bins(int fft_size, bool real_input, bool onesided)
{
    const size_t n = checked_positive(fft_size, "fft_size", 2);
    return real_input && onesided ? n / 2 + 1 : n;
}
} // namespace

template <class BASE, class T, bool WELCH>
spectral_impl<BASE, T, WELCH>::spectral_impl(const char* name,
                                             int fft_size,
                                             int hop,
                                             const std::vector<float>& window,
                                             int navg,
                                             const std::string& scaling,
                                             double sample_rate,
                                             bool onesided,
                                             bool shift,
                                             bool db)
    : gr::block(name,
                gr::io_signature::make(1, 1, sizeof(T)),
                gr::io_signature::make(1,
                                       1,
                                       out_bins(fft_size, is_real, onesided) *
                                           (WELCH ? sizeof(float) : sizeof(gr_complex)))),
      d_engine(checked_positive(fft_size, "fft_size", 2),
               checked_positive(hop, "hop", 1),
               window),
      d_onesided(is_real && onesided),
      d_shift(!is_real && shift),
      d_vlen(out_bins(fft_size, is_real, onesided)),
      d_frames_per_out(WELCH ? checked_positive(navg, "navg", 1) : 1)
{
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
    // Room for several batches per call: GNU Radio's default output buffer (32 KiB)
    // holds only four 1024-bin vectors, and a partial batch costs a whole one.
    // The item count is rounded to what the double-mapped buffer allocates anyway
    // (whole pages), which also keeps GNU Radio from warning about odd item sizes
    // such as 513 bins.
    const size_t item_bytes = d_vlen * (WELCH ? sizeof(float) : sizeof(gr_complex));
    const size_t granule = 4096 / std::gcd(item_bytes, size_t(4096));
    const size_t want = std::max<size_t>(4 * d_engine.batch() / d_frames_per_out + 1,
                                         (size_t(1) << 20) / item_bytes);
    this->set_min_output_buffer(long((want + granule - 1) / granule * granule));
    this->set_tag_propagation_policy(gr::block::TPP_DONT);
}

template <class BASE, class T, bool WELCH>
spectral_impl<BASE, T, WELCH>::~spectral_impl() = default;

template <class BASE, class T, bool WELCH>
void spectral_impl<BASE, T, WELCH>::set_window(const std::vector<float>& window)
{
    stft_engine<T>::check_window(window, d_engine.fft_size());
    gr::thread::scoped_lock lock(this->d_setlock);
    d_engine.set_window(window);
    if (d_psd)
        d_psd->set_window(window);
}

template <class BASE, class T, bool WELCH>
std::vector<float> spectral_impl<BASE, T, WELCH>::window() const
{
    gr::thread::scoped_lock lock(const_cast<gr::thread::mutex&>(this->d_setlock));
    return d_engine.window();
}

template <class BASE, class T, bool WELCH>
const gr_complex* spectral_impl<BASE, T, WELCH>::expand(const gr_complex* half,
                                                        size_t nframes)
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

template <class BASE, class T, bool WELCH>
void spectral_impl<BASE, T, WELCH>::write_spectra(const gr_complex* spec,
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

template <class BASE, class T, bool WELCH>
void spectral_impl<BASE, T, WELCH>::forecast(int noutput_items,
                                             gr_vector_int& ninput_items_required)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    size_t frames = size_t(noutput_items) * d_frames_per_out;
    if (d_psd)
        frames -= std::min(frames, d_psd->pending());
    ninput_items_required[0] = int(d_skip + d_engine.span(std::max<size_t>(frames, 1)));
}

template <class BASE, class T, bool WELCH>
int spectral_impl<BASE, T, WELCH>::general_work(int noutput_items,
                                                gr_vector_int& ninput_items,
                                                gr_vector_const_void_star& input_items,
                                                gr_vector_void_star& output_items)
{
    gr::thread::scoped_lock lock(this->d_setlock);
    const T* in = static_cast<const T*>(input_items[0]);
    size_t avail = size_t(ninput_items[0]);
    size_t consumed = 0;

    // hop > fft_size: the samples between frames are skipped
    const size_t s = std::min(d_skip, avail);
    in += s;
    avail -= s;
    consumed += s;
    d_skip -= s;

    const size_t n = d_engine.fft_size();
    const size_t hop = d_engine.hop();
    const size_t frames_avail = d_skip == 0 && avail >= n ? (avail - n) / hop + 1 : 0;
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

    const size_t advance = frames * hop;
    if (advance > avail) {
        consumed += avail;
        d_skip = advance - avail;
    } else {
        consumed += advance;
    }

    // Tags: input item t goes to the output of the first frame starting at or after it.
    const uint64_t read_end = this->nitems_read(0) + consumed;
    if (read_end > d_tags.fetched()) {
        this->get_tags_in_range(d_tags.scratch(), 0, d_tags.fetched(), read_end);
        d_tags.fetched_until(read_end);
    }
    d_frames_total += frames;
    if (!d_tags.empty()) {
        // the first frame starting at or after t; UINT64_MAX while not yet taken
        const uint64_t taken = d_frames_total;
        const uint64_t per_out = d_frames_per_out;
        auto out_of = [hop, taken, per_out](uint64_t t) {
            const uint64_t frame = (t + hop - 1) / hop;
            return frame < taken ? frame / per_out : UINT64_MAX;
        };
        for (const auto& tag :
             d_tags.take_ready(this->nitems_written(0) + produced, out_of))
            this->add_item_tag(0, tag);
    }

    this->consume(0, int(consumed));
    return int(produced);
}

// ------------------------------------------------------------------ make()

stft_cc::sptr
stft_cc::make(int fft_size, int hop, const std::vector<float>& window, bool shift)
{
    return gnuradio::make_block_sptr<spectral_impl<stft_cc, gr_complex, false>>(
        "stft_cc", fft_size, hop, window, 1, "density", 1.0, false, shift, false);
}

stft_fc::sptr
stft_fc::make(int fft_size, int hop, const std::vector<float>& window, bool onesided)
{
    return gnuradio::make_block_sptr<spectral_impl<stft_fc, float, false>>(
        "stft_fc", fft_size, hop, window, 1, "density", 1.0, onesided, false, false);
}

welch_cf::sptr welch_cf::make(int fft_size,
                              int hop,
                              const std::vector<float>& window,
                              int navg,
                              const std::string& scaling,
                              double sample_rate,
                              bool shift,
                              bool db)
{
    return gnuradio::make_block_sptr<spectral_impl<welch_cf, gr_complex, true>>(
        "welch_cf", fft_size, hop, window, navg, scaling, sample_rate, false, shift, db);
}

welch_ff::sptr welch_ff::make(int fft_size,
                              int hop,
                              const std::vector<float>& window,
                              int navg,
                              const std::string& scaling,
                              double sample_rate,
                              bool onesided,
                              bool db)
{
    return gnuradio::make_block_sptr<spectral_impl<welch_ff, float, true>>("welch_ff",
                                                                           fft_size,
                                                                           hop,
                                                                           window,
                                                                           navg,
                                                                           scaling,
                                                                           sample_rate,
                                                                           onesided,
                                                                           false,
                                                                           db);
}

template class spectral_impl<stft_cc, gr_complex, false>;
template class spectral_impl<stft_fc, float, false>;
template class spectral_impl<welch_cf, gr_complex, true>;
template class spectral_impl<welch_ff, float, true>;

} // namespace streamproc
} // namespace gr
