/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_ARRAY_H
#define INCLUDED_STREAMPROC_ARRAY_H

#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {
namespace array {

/*!
 * \brief The engines of the blocks on arrays, without a flowgraph: the C++ half of
 * streamproc.fir/convolve/stft/welch/fft (python/streamproc/arrays/, docs/array.md).
 *
 * Each class is fed the input in chunks of any size, in order, and keeps what the next
 * chunk needs (history, partial frames); its memory is fixed at construction and does
 * not grow with the input's length. None of them allocates in process().
 */

/*!
 * Reads samples stored in a SigMF datatype (bytes at any alignment) as float or
 * gr_complex: sample_format's conversion (file scaling, see sample_format.h), then
 * value = converted * scale + offset (offset on the real and imaginary parts alike).
 * scale and offset let arrays of integers be read by value: int16 with scale 32768.
 */
class STREAMPROC_API sample_reader
{
public:
    //! Throws std::invalid_argument for an unknown datatype.
    sample_reader(const std::string& datatype, double scale = 1.0, double offset = 0.0);
    ~sample_reader();
    sample_reader(const sample_reader&) = delete;
    sample_reader& operator=(const sample_reader&) = delete;

    bool is_complex() const;
    //! Bytes of one stored sample.
    size_t file_bytes() const;
    //! n stored samples at src -> n floats (real datatypes) or gr_complex (complex).
    void read(const void* src, size_t n, void* dst);
    //! n stored samples at src -> n gr_complex (real ones get a zero imaginary part).
    void read_complex(const void* src, size_t n, gr_complex* dst);

private:
    struct impl;
    std::unique_ptr<impl> d;
};

/*!
 * \brief y = lfilter(taps, 1, x)[::decimation] over a stream given in chunks.
 *
 * Output j is sum_k taps[k] x[j*D - k] (x before the stream start counts as 0); a
 * stream of n samples has ceil(n / D) outputs. Samples are copied into a buffer of
 * chunk() items (history kept in front) and filtered a whole buffer at a time:
 * process() writes the outputs of every buffer it fills, finish() those of the rest
 * (padded with zeros to a whole group of D). So the result, to the last bit, does not
 * depend on how the input is split into calls. Runs ols_engine (overlap-save with the
 * polyphase form, or the direct form: method "auto" picks the one its cost model says is
 * cheaper, "fft" and "direct" force one).
 */
template <class T>
class STREAMPROC_API fir_stream
{
public:
    /*!
     * \param taps at least one; for T = gr_complex real taps use the complex-by-real
     *        kernels
     * \param chunk input samples copied and filtered at once (the working set: about
     *        (chunk + taps) items plus the engine's FFT buffers)
     */
    fir_stream(const std::vector<T>& taps,
               unsigned decimation,
               const std::string& method = "auto",
               size_t chunk = 262144);
    ~fir_stream();
    fir_stream(const fir_stream&) = delete;
    fir_stream& operator=(const fir_stream&) = delete;

    //! Outputs process() writes for the next \p n input samples.
    size_t outputs_for(size_t n) const;
    //! Filters n samples at in, writes outputs_for(n) outputs to out, returns that.
    size_t process(const T* in, size_t n, T* out);
    //! The end of the input: writes the outputs held back, starts a new stream.
    size_t finish(T* out);
    //! Outputs finish() would write now (at most ceil(chunk() / D)).
    size_t remaining() const;
    //! Input items filtered at once (a multiple of the engine's block step).
    size_t chunk() const;
    size_t ntaps() const;
    unsigned decimation() const;
    //! "fft" or "direct": what the engine runs.
    std::string method() const;
    size_t fft_size() const;

private:
    struct impl;
    std::unique_ptr<impl> d;
};

/*!
 * \brief The STFT of contiguous frames: frame k starts at in + k*hop (stft_engine,
 * the engine of stft_cc/stft_fc, so the bins equal the blocks').
 *
 * Complex input: fft_size bins per frame (FFT order, or fftshift order with shift);
 * real input: fft_size/2+1 bins (onesided) or all fft_size (the other half by
 * conjugate symmetry).
 */
template <class T>
class STREAMPROC_API stft_frames
{
public:
    stft_frames(size_t fft_size,
                size_t hop,
                const std::vector<float>& window,
                bool shift_or_onesided);
    ~stft_frames();
    stft_frames(const stft_frames&) = delete;
    stft_frames& operator=(const stft_frames&) = delete;

    size_t nbins() const;
    //! Input samples nframes frames span: (nframes-1)*hop + fft_size.
    size_t span(size_t nframes) const;
    //! Writes nframes * nbins() bins for the frames starting at in.
    void transform(const T* in, size_t nframes, gr_complex* out);

private:
    struct impl;
    std::unique_ptr<impl> d;
};

/*!
 * \brief Sums |X_k|^2 of windowed frames in double (the average of welch()).
 *
 * With detrend, each frame's mean is taken out before the window (scipy.signal.welch's
 * detrend="constant"): X - mean * FFT(window), so the frames are transformed once.
 * Real input: fft_size/2+1 bins; complex input: fft_size bins in FFT order.
 */
template <class T>
class STREAMPROC_API power_sum
{
public:
    power_sum(size_t fft_size,
              size_t hop,
              const std::vector<float>& window,
              bool detrend);
    ~power_sum();
    power_sum(const power_sum&) = delete;
    power_sum& operator=(const power_sum&) = delete;

    size_t nbins() const;
    size_t span(size_t nframes) const;
    //! Adds the powers of nframes frames starting at in to acc (nbins() doubles).
    void add(const T* in, size_t nframes, double* acc);

private:
    struct impl;
    std::unique_ptr<impl> d;
};

//! Progress of fft(): (items done, items in all); may throw to stop the transform.
using progress_fn = std::function<void(uint64_t, uint64_t)>;

//! What a detector_stream runs: detect_chain's arguments and the detector's settings.
struct STREAMPROC_API detect_settings {
    int window = 64;            //!< samples of the detector (after decimation)
    double threshold_db = 10.0; //!< over the floor (relative) or absolute
    bool relative = true;
    double hysteresis_db = 3.0;
    uint64_t min_duration = 0; //!< detector samples
    uint64_t merge_gap = 0;    //!< detector samples
    uint64_t max_duration = 0; //!< detector samples; 0: none
    double sample_rate = 1.0;  //!< of the detector's samples
    int64_t floor_horizon = 131072;
    bool fixed_floor = false;
    double floor_db = 0.0;
    double min_floor = 0.0; //!< the floor is never below this power (0: no bound)
    //! the chain's filter (empty: none): in the detector (prefilter, decimation 1, at
    //! most 24 taps, as detect_chain does) or a fir_stream in front (decimation)
    std::vector<float> taps;
    unsigned decimation = 1;
    bool prefilter = false;
};

/*!
 * \brief The events of a stream of samples given in chunks, as event_detector_f/_c
 * behind detect_chain's filter finds them (the same event_core, the same filter engine
 * and blocks): no flowgraph, no threads. Each event as the JSON line event_file_sink
 * writes for it (positions in input samples: the filter's decimation and delay taken
 * out). Working set: the filter's buffer, the detector's held first horizon and
 * 8192-sample power buffer; the events found wait in take_events().
 */
template <class T>
class STREAMPROC_API detector_stream
{
public:
    //! Throws std::invalid_argument for settings the detector refuses.
    explicit detector_stream(const detect_settings& settings);
    ~detector_stream();
    detector_stream(const detector_stream&) = delete;
    detector_stream& operator=(const detector_stream&) = delete;

    //! The stream's next n samples.
    void process(const T* in, size_t n);
    //! The end of the stream: the events still open go out.
    void finish();
    //! The JSON lines of the events found since the last call.
    std::vector<std::string> take_events();
    //! Input samples given so far.
    uint64_t samples() const;

private:
    struct impl;
    std::unique_ptr<impl> d;
};

//! How fft() splits a length N: N = n1 * n2, and what each pass holds.
struct STREAMPROC_API fft_layout {
    uint64_t n = 0;
    bool in_memory = false;
    uint64_t n1 = 0, n2 = 0; //!< the split n = n1 * n2 (0: one plan)
    uint64_t columns = 0;    //!< columns per block of pass 1 (and k2 per block of pass 3)
    uint64_t rows = 0;       //!< rows per block of pass 2
    unsigned passes = 0;     //!< passes over the data (each reads and writes it once)
};

//! Where fft() keeps an array of n items: memory (ptr), or a file (fd, at byte offset).
struct STREAMPROC_API fft_store {
    gr_complex* ptr = nullptr;
    int fd = -1;
    uint64_t offset = 0;
    std::string what = "output"; //!< for error messages ("output", "scratch file")
};

/*!
 * The layout fft() uses for n points within max_memory bytes of working arrays
 * (out_in_memory: out is anonymous memory, not a mapped file). Throws
 * std::invalid_argument when n has a prime factor above 7 (naming it and the next
 * length to pad to) or when max_memory is too small (naming the least that works).
 */
STREAMPROC_API fft_layout plan_fft(uint64_t n,
                                   uint64_t max_memory,
                                   bool out_in_memory = true);

/*!
 * \brief The exact DFT of n samples (forward: X_k = sum x_j e^{-2 pi i jk/n}; inverse:
 * x_j = (1/n) sum X_k e^{+2 pi i jk/n}, numpy's convention), in float32 with twiddles
 * computed in double.
 *
 * Reads the n samples at \p src (or, src null, from the file \p src_fd at byte
 * \p src_offset with pread) through \p reader (any SigMF datatype), writes n
 * gr_complex to \p out (memory, or a file written with pwrite: out of core only). x is
 * seen as an n1 x n2 matrix (row-major), X_{k1 + n1 k2} = sum_j2 W_n^{j2 k1} (sum_j1
 * x_{n2 j1 + j2} W_n1^{j1 k1}) W_n2^{j2 k2}: column transforms, twiddles, row transforms,
 * a transpose.
 *  - passes = 1 (up to 2^20 points, or when out is all max_memory holds, out in
 *    memory): the samples read into out and transformed there by one FFTW plan.
 *  - passes = 2 (in memory: out and a 4 MiB block within max_memory; no scratch): n2
 *    the largest with n2 | n1 (n2^2 | n); column blocks transformed in a cache-sized
 *    block and put back into out, row blocks twiddled and transformed in place, then
 *    out transposed in place (n1 / n2 squares, then their rows interleaved). Measured
 *    block plans beat one estimated plan of n points (1.3x at 2^24).
 *  - passes = 3 (out of core: out not in memory or too large, \p scratch a file of n
 *    items): every write a contiguous block (scattered writes into a mapped file make
 *    the kernel write back a page or a whole folio each time), files written with
 *    pwrite (the pages of a mapping are zero-filled before they are written) and
 *    read back with pread. A failed write (a full disk) throws std::system_error. n1 as
 * small as lets two rows of n2 fit max_memory, so the reads are long runs: pass 1 column
 * blocks of x, transforms, twiddles, written to out as blocks; pass 2 rows gathered from
 * them, transforms, each row block transposed into scratch; pass 3 k2 blocks assembled
 * from the row blocks into out. The data is read three times and written three times.
 * Plans of up to 8 MiB are measured (FFTW_MEASURE, kept in GNU Radio's wisdom file),
 * larger ones estimated. progress(done, total) after each block (total = passes * n).
 */
STREAMPROC_API fft_layout fft(const void* src,
                              int src_fd,
                              uint64_t src_offset,
                              sample_reader& reader,
                              uint64_t n,
                              const fft_store& out,
                              const fft_store& scratch,
                              bool inverse,
                              uint64_t max_memory,
                              const progress_fn& progress = progress_fn());

} // namespace array
} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_ARRAY_H */
