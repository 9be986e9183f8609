/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_WELCH_H
#define INCLUDED_STREAMPROC_WELCH_H

#include <gnuradio/block.h>
#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <type_traits>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Welch power spectra: one vector per navg frames, any overlap.
 * \ingroup streamproc
 *
 * \details
 *  Frame k starts at input sample k * hop and is fft_size samples long; hop may be
 *  smaller than (overlap), equal to or larger than (skip) fft_size.
 *  Output: the mean of |X|^2 over navg frames, scaled like scipy.signal.welch
 *  (scaling "density": / (sample_rate * sum w^2), V^2/Hz; "spectrum": / (sum w)^2,
 *  V^2), optionally in dB (10 log10). navg = 1 gives a power spectrogram.
 *  welch_cf (complex input): fft_size bins in FFT order or, with shift, fftshift
 *  order. welch_ff (real input): onesided, fft_size/2+1 bins with all but DC and
 *  Nyquist doubled, else all fft_size bins in FFT order.
 *
 * Frames are windowed straight from the input and transformed in batches with one
 * FFTW plan (no copies of overlapped input, no allocation in work()). Input tags go to
 * the output vector whose frame starts at or after them. set_window() is thread-safe.
 * Bad arguments (fft_size < 2, hop < 1, navg < 1, an unknown scaling, sample_rate <= 0,
 * a window whose length is not fft_size) throw std::invalid_argument naming the value.
 */
template <class T>
class STREAMPROC_API welch : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<welch<T>>;

    /*!
     * \param fft_size samples per frame and FFT size (>= 2)
     * \param hop samples from one frame start to the next (>= 1)
     * \param window fft_size window values (e.g. fft.window.hann(fft_size))
     * \param navg frames averaged per output vector (>= 1)
     * \param scaling "density" or "spectrum"
     * \param sample_rate samples per second (for "density")
     * \param shift_or_onesided complex input: fftshift order (Python: shift, default
     *        false); real input: fft_size/2+1 bins (Python: onesided, default true)
     * \param db output 10*log10 of the power
     */
    static sptr make(int fft_size,
                     int hop,
                     const std::vector<float>& window,
                     int navg,
                     const std::string& scaling = "density",
                     double sample_rate = 1.0,
                     bool shift_or_onesided = std::is_same<T, float>::value,
                     bool db = false);

    //! New window (fft_size values), effective from the next frame.
    virtual void set_window(const std::vector<float>& window) = 0;
    virtual std::vector<float> window() const = 0;
    virtual int fft_size() const = 0;
    virtual int hop() const = 0;
    //! Values per output vector.
    virtual int vlen() const = 0;
};

using welch_cf = welch<gr_complex>;
using welch_ff = welch<float>;

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_WELCH_H */
