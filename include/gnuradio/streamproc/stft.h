/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_STFT_H
#define INCLUDED_STREAMPROC_STFT_H

#include <gnuradio/block.h>
#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <type_traits>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Short-time Fourier transform: one vector of bins per frame, any overlap.
 * \ingroup streamproc
 *
 * \details
 *  Frame k starts at input sample k * hop and is fft_size samples long; hop may be
 *  smaller than (overlap), equal to or larger than (skip) fft_size.
 *  Output: the DFT of the windowed frame, sum_n w[n] x[k*hop + n] e^{-2 pi i f n / N}
 *  (not normalised). stft_cc (complex input): fft_size bins in FFT order or, with
 *  shift, fftshift order. stft_fc (real input, real-input FFTs): fft_size/2+1 bins (0
 *  to Nyquist) when onesided, else all fft_size bins in FFT order.
 *
 * Frames are windowed straight from the input and transformed in batches with one
 * FFTW plan (no copies of overlapped input, no allocation in work()). Input tags go to
 * the output vector whose frame starts at or after them. set_window() is thread-safe.
 * Bad arguments (fft_size < 2, hop < 1, a window whose length is not fft_size) throw
 * std::invalid_argument naming the value.
 */
template <class T>
class STREAMPROC_API stft : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<stft<T>>;

    /*!
     * \param fft_size samples per frame and FFT size (>= 2)
     * \param hop samples from one frame start to the next (>= 1)
     * \param window fft_size window values (e.g. fft.window.hann(fft_size))
     * \param shift_or_onesided complex input: fftshift order (Python: shift, default
     *        false); real input: fft_size/2+1 bins (Python: onesided, default true)
     */
    static sptr make(int fft_size,
                     int hop,
                     const std::vector<float>& window,
                     bool shift_or_onesided = std::is_same<T, float>::value);

    //! New window (fft_size values), effective from the next frame.
    virtual void set_window(const std::vector<float>& window) = 0;
    virtual std::vector<float> window() const = 0;
    virtual int fft_size() const = 0;
    virtual int hop() const = 0;
    //! Values per output vector.
    virtual int vlen() const = 0;
};

using stft_cc = stft<gr_complex>;
using stft_fc = stft<float>;

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_STFT_H */
