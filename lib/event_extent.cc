/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "event_extent.h"
#include <type_traits>
#include <volk/volk.h>
#include <algorithm>
#include <cmath>

namespace gr {
namespace streamproc {

namespace {
// the periodic Hann window of the segments
const std::vector<float>& hann()
{
    static const std::vector<float> w = [] {
        constexpr size_t n = extent_accumulator<float>::k_nfft;
        std::vector<float> v(n);
        for (size_t i = 0; i < n; ++i)
            v[i] = float(0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(n)));
        return v;
    }();
    return w;
}
} // namespace

template <class T>
extent_accumulator<T>::extent_accumulator()
    : d_fft(std::make_unique<gr::fft::fft<T, true>>(int(k_nfft), 1)),
      d_psd(k_nfft),
      d_mag(k_nfft),
      d_seg(k_nfft)
{
    hann();
}

template <class T>
void extent_accumulator<T>::reset()
{
    std::fill(d_psd.begin(), d_psd.end(), 0.0f);
    d_fill = 0;
    d_k = 0;
    d_segments = 0;
}

template <class T>
bool extent_accumulator<T>::used(uint64_t k)
{
    if (k < k_level)
        return true;
    // j = floor(log2(k / k_level)) + 1: the segment's octave
    unsigned j = 1;
    while ((k_level << j) <= k)
        ++j;
    return (k & ((uint64_t(1) << j) - 1)) == 0;
}

template <class T>
void extent_accumulator<T>::feed(const T* x, size_t n)
{
    while (n > 0) {
        if (d_fill == 0 && n >= k_nfft) { // a whole segment: from x
            complete(x);
            x += k_nfft;
            n -= k_nfft;
            continue;
        }
        const size_t take = std::min(n, k_nfft - d_fill);
        // a used segment's samples are kept; the first partial segment is kept too
        // (an event shorter than one segment uses it)
        if (used(d_k))
            std::copy(x, x + take, d_seg.begin() + ptrdiff_t(d_fill));
        d_fill += take;
        x += take;
        n -= take;
        if (d_fill == k_nfft) {
            complete(d_seg.data());
            d_fill = 0;
        }
    }
}

template <class T>
void extent_accumulator<T>::complete(const T* seg)
{
    if (used(d_k)) {
        transform(seg, k_nfft);
        ++d_segments;
    }
    ++d_k;
}

template <class T>
void extent_accumulator<T>::transform(const T* x, size_t len)
{
    const float* w = hann().data();
    T* buf = d_fft->get_inbuf();
    size_t bins;
    if constexpr (std::is_same<T, float>::value) {
        volk_32f_x2_multiply_32f(buf, x, w, unsigned(len));
        bins = k_nfft / 2 + 1;
    } else {
        volk_32fc_32f_multiply_32fc(buf, x, w, unsigned(len));
        bins = k_nfft;
    }
    std::fill(buf + len, buf + k_nfft, T(0.0f));
    d_fft->execute();
    volk_32fc_magnitude_squared_32f(d_mag.data(), d_fft->get_outbuf(), unsigned(bins));
    volk_32f_x2_add_32f(d_psd.data(), d_psd.data(), d_mag.data(), unsigned(bins));
}

template <class T>
bool extent_accumulator<T>::extent(double sample_rate, double& center, double& bandwidth)
{
    if (d_segments == 0) {
        // shorter than one segment: its samples, zero-padded (only when they are the
        // event's first: after a gap the partial segment is not the event's start)
        if (d_fill == 0 || d_k != 0)
            return false;
        transform(d_seg.data(), d_fill);
        d_segments = 1;
        d_fill = 0;
    }
    const bool cplx = !std::is_same<T, float>::value;
    const size_t nb = cplx ? k_nfft : k_nfft / 2 + 1;
    const auto power = [&](size_t b) {
        return d_psd[cplx ? (b + k_nfft / 2) % k_nfft : b];
    };
    size_t peak = 0;
    for (size_t b = 1; b < nb; ++b)
        if (power(b) > power(peak))
            peak = b;
    const float limit = power(peak) * 0.1f;
    size_t lo = peak, hi = peak;
    while (lo > 0 && power(lo - 1) >= limit)
        --lo;
    while (hi + 1 < nb && power(hi + 1) >= limit)
        ++hi;
    const double bin = sample_rate / double(k_nfft);
    const double first = cplx ? -sample_rate / 2.0 : 0.0;
    center = first + (double(lo) + double(hi)) / 2.0 * bin;
    bandwidth = double(hi - lo + 1) * bin;
    return true;
}

template class extent_accumulator<float>;
template class extent_accumulator<gr_complex>;

} // namespace streamproc
} // namespace gr
