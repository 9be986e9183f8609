/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_EXTENT_H
#define INCLUDED_STREAMPROC_EVENT_EXTENT_H

#include <gnuradio/fft/fft.h>
#include <gnuradio/gr_complex.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace gr {
namespace streamproc {

/*!
 * \brief The frequency extent of an event: the centre and the -10 dB width of its
 * averaged spectrum, from its samples fed in order (the detector's events and the
 * burst extractor's PDUs use this one rule).
 *
 * The event's samples, from its start, are cut into segments of k_nfft = 256 samples
 * (k = 0, 1, ...). The segments used: the first k_level = 8, then every 2nd of the next
 * 8, every 4th of the next 16, every 8th of the next 32, ... (segment k >= 8 is used
 * when k is a multiple of 2^j, j = floor(log2(k / 8)) + 1): 4 transforms per doubling of
 * the event's length, so a long event costs a few dozen FFTs. An event shorter than one
 * segment uses its samples zero-padded to 256; otherwise a partial last segment is not
 * used. A gap (samples between two merged events) restarts the segment boundaries at
 * the next sample (the numbering goes on). Each segment used is multiplied by a
 * periodic Hann window and transformed (a real FFT for real input); the power
 * spectra are summed. Extent: the strongest bin (frequency order
 * -fs/2 .. fs/2 for complex input, 0 .. fs/2 for real; the first of equals), widened
 * to both sides while the neighbouring bins stay at or above a tenth of it; centre =
 * the middle of that run, bandwidth = (bins in the run) x fs / 256. The resolution is
 * fs / 256.
 */
template <class T>
class extent_accumulator
{
public:
    static constexpr size_t k_nfft = 256, k_level = 8;

    extent_accumulator();
    //! A new event.
    void reset();
    //! The event's next n samples.
    void feed(const T* x, size_t n);
    //! The next sample does not follow the last one (merged events).
    void gap() { d_fill = 0; }
    //! The extent of what was fed (Hz, relative to the band's centre); false when
    //! nothing was.
    bool extent(double sample_rate, double& center, double& bandwidth);

private:
    //! Whether segment k is one of those used.
    static bool used(uint64_t k);
    //! Segment d_k, whose samples are at seg, is complete.
    void complete(const T* seg);
    void transform(const T* x, size_t len);

    // real input: a real FFT (129 bins); movable: blocks swap accumulators
    std::unique_ptr<gr::fft::fft<T, true>> d_fft;
    std::vector<float> d_psd, d_mag;
    std::vector<T> d_seg; // the current segment's samples (when used)
    size_t d_fill = 0;    // samples of the current segment seen
    uint64_t d_k = 0;     // index of the current segment
    uint64_t d_segments = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_EXTENT_H */
