/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_STFT_ENGINE_H
#define INCLUDED_STREAMPROC_STFT_ENGINE_H

#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <type_traits>
#include <volk/volk_alloc.hh>
#include <cstddef>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief Windowed, batched FFTs of overlapping (or skipping) frames.
 *
 * Plain C++ (no scheduler), the engine behind stft_* and welch_*. Frame k of an input
 * array starts at sample k*hop and is fft_size samples long; hop may be smaller than
 * (overlap), equal to or larger than (skip) fft_size. transform() windows up to
 * batch frames straight from the input into one FFTW input array (the window multiply
 * is the only pass over the input: overlapped samples are not copied into frames
 * first) and runs one fftwf_plan_many_dft[_r2c] plan over them. batch = 0 picks
 * min(16, 16384 / fft_size) frames (at least 1): the batch stays in the L2 cache.
 *
 * T = gr_complex: fft_size bins per frame (FFT order). T = float: fft_size/2+1 bins;
 * an even fft_size N goes through a complex FFT of N/2 points (the windowed frame's
 * even and odd samples as real and imaginary parts, which is how the frame already
 * lies in memory) and the split X[k] = Ze[k] + e^{-2 pi i k/N} Zo[k]: FFTW's r2c plans
 * measured 1.28 us per 1024-point frame on the project machine, its 512-point complex
 * plans 0.39 us (odd N: r2c). The transform is the plain DFT of the windowed frame
 * (not normalised).
 */
template <class T>
class STREAMPROC_API stft_engine
{
public:
    /*!
     * Throws std::invalid_argument for fft_size < 2, hop < 1 or a window whose length
     * is not fft_size, naming the value.
     */
    stft_engine(size_t fft_size,
                size_t hop,
                const std::vector<float>& window,
                size_t batch = 0);
    ~stft_engine();
    stft_engine(const stft_engine&) = delete;
    stft_engine& operator=(const stft_engine&) = delete;

    size_t fft_size() const { return d_n; }
    size_t hop() const { return d_hop; }
    //! Bins per frame: fft_size (complex input) or fft_size/2+1 (real input).
    size_t nbins() const { return d_nbins; }
    size_t batch() const { return d_batch; }
    const std::vector<float>& window() const { return d_window_vec; }
    void set_window(const std::vector<float>& window);

    //! Input samples that nframes frames span: (nframes-1)*hop + fft_size.
    size_t span(size_t nframes) const
    {
        return nframes ? (nframes - 1) * d_hop + d_n : 0;
    }

    /*!
     * Transforms up to batch() frames starting at in (frame k at in + k*hop) and
     * returns a pointer to nframes * nbins() bins (owned by the engine, valid until
     * the next call).
     */
    const gr_complex* transform(const T* in, size_t nframes);

    /*!
     * As transform(), but the bins end up in \p out (nframes * nbins()). A full batch
     * whose destination has the alignment of the engine's own array is transformed
     * straight into it (no copy); otherwise through the engine's array.
     */
    void transform_into(const T* in, size_t nframes, gr_complex* out);

    //! Checks a window for fft_size; throws std::invalid_argument naming the problem.
    static void check_window(const std::vector<float>& window, size_t fft_size);

private:
    static constexpr bool is_real = std::is_same<T, float>::value;
    const size_t d_n;
    const size_t d_hop;
    const size_t d_nbins;
    const size_t d_batch;
    std::vector<float> d_window_vec;
    volk::vector<float> d_window;
    volk::vector<T> d_in;           // batch * N windowed samples
    volk::vector<gr_complex> d_out; // batch * nbins bins
    void* d_plan = nullptr;         // fftwf_plan for batch frames
    // real input, even N: the N/2-point complex spectra and the split's twiddles
    bool d_half = false;
    volk::vector<gr_complex> d_half_out; // batch * N/2
    volk::vector<gr_complex> d_split_a;  // (1 - i W^k) / 2, k <= N/2
    volk::vector<gr_complex> d_split_b;  // (1 + i W^k) / 2

    void window_frames(const T* in, size_t nframes);
    void split(size_t nframes, gr_complex* out) const; // half spectra -> N/2+1 bins
};

/*!
 * \brief Averages |X|^2 of frames and scales it like scipy.signal.welch.
 *
 * scaling "density": 1 / (sample_rate * sum(w^2)) (V^2/Hz); "spectrum":
 * 1 / sum(w)^2 (V^2). onesided (real input): bins other than DC and (for even
 * fft_size) Nyquist are doubled. shift (complex input): output in fftshift order
 * (negative frequencies first). db: 10*log10 of the result.
 */
class STREAMPROC_API psd_averager
{
public:
    enum class scaling_t { density, spectrum };
    static scaling_t parse_scaling(const std::string& scaling);

    psd_averager(size_t fft_size,
                 size_t nbins,
                 size_t navg,
                 scaling_t scaling,
                 double sample_rate,
                 bool onesided,
                 bool shift,
                 bool db,
                 const std::vector<float>& window);

    size_t navg() const { return d_navg; }
    size_t nbins() const { return d_nbins; }
    //! Frames accumulated towards the next output.
    size_t pending() const { return d_count; }
    //! A new stream: nothing accumulated.
    void reset()
    {
        std::fill(d_acc.begin(), d_acc.end(), 0.0f);
        d_count = 0;
    }
    //! New window (same length): the scale factor follows.
    void set_window(const std::vector<float>& window);

    /*!
     * Adds nframes spectra (nbins each) and writes a finished average to out each time
     * navg frames are in. Returns the number of averages written (out advances by
     * nbins floats for each). At most max_out averages are written: frames after
     * the last of them are left for the next call, and *frames_used says how many
     * of the nframes were taken.
     */
    size_t add(const gr_complex* spectra,
               size_t nframes,
               float* out,
               size_t max_out,
               size_t* frames_used);

private:
    const size_t d_n;
    const size_t d_nbins;
    const size_t d_navg;
    const scaling_t d_scaling;
    const double d_rate;
    const bool d_onesided;
    const bool d_shift;
    const bool d_db;
    volk::vector<float> d_acc;
    volk::vector<float> d_mag;
    volk::vector<float> d_scale; // per bin: overall scale x (1 or 2 for one-sided)
    size_t d_count = 0;
    void compute_scale(const std::vector<float>& window);
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_STFT_ENGINE_H */
