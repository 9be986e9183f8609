/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_STFT_FC_H
#define INCLUDED_STREAMPROC_STFT_FC_H

#include <gnuradio/block.h>
#include <gnuradio/streamproc/api.h>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Short-time Fourier transform of a real stream (real-input FFTs).
 * \ingroup streamproc
 *
 * \details
 *  Frame k starts at input sample k * hop and is fft_size samples long; hop may be
 *  smaller than (overlap), equal to or larger than (skip) fft_size.
 *  Output: the DFT of the windowed frame (not normalised): fft_size/2+1 bins (0 to
 *  Nyquist) when onesided, else all fft_size bins in FFT order.
 *
 * Frames are windowed straight from the input and transformed in batches with one
 * FFTW plan (no copies of overlapped input, no allocation in work()). Input tags go to
 * the output vector whose frame starts at or after them. set_window() is thread-safe.
 * Bad arguments (fft_size < 2, hop < 1, a window whose length is not
 * fft_size) throw std::invalid_argument naming the value.
 */
class STREAMPROC_API stft_fc : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<stft_fc>;

    /*!
     * \param fft_size samples per frame and FFT size (>= 2)
     * \param hop samples from one frame start to the next (>= 1)
     * \param window fft_size window values (e.g. fft.window.hann(fft_size))
     * \param onesided fft_size/2+1 bins (the others are their complex conjugates)
     */
    static sptr
    make(int fft_size, int hop, const std::vector<float>& window, bool onesided = true);

    //! New window (fft_size values), effective from the next frame.
    virtual void set_window(const std::vector<float>& window) = 0;
    virtual std::vector<float> window() const = 0;
    virtual int fft_size() const = 0;
    virtual int hop() const = 0;
    //! Values per output vector.
    virtual int vlen() const = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_STFT_FC_H */
