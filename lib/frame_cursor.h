/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_FRAME_CURSOR_H
#define INCLUDED_STREAMPROC_FRAME_CURSOR_H

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace gr {
namespace streamproc {

/*!
 * \brief Frame, skip and tag bookkeeping of the STFT/Welch blocks, without the
 * scheduler.
 *
 * Frame k covers input samples [k*hop, k*hop + fft_size). With hop > fft_size the
 * samples between frames are skipped, possibly across calls. A call hands the
 * unconsumed input (avail items); the cursor says where the first frame starts
 * (skip_now()), how many whole frames are readable, and, once the caller has taken
 * some, how many items to consume. Output vector j holds frames
 * [j*frames_per_out, (j+1)*frames_per_out) (1 for STFT, navg for Welch); an input tag
 * at sample t belongs to the output of the first frame starting at or after t.
 */
class frame_cursor
{
public:
    frame_cursor(size_t fft_size, size_t hop, size_t frames_per_out)
        : d_n(fft_size), d_hop(hop), d_per_out(frames_per_out)
    {
    }

    size_t fft_size() const { return d_n; }
    size_t hop() const { return d_hop; }
    //! A new stream.
    void reset()
    {
        d_skip = 0;
        d_frames = 0;
    }
    //! Frames taken since the stream start.
    uint64_t frames_taken() const { return d_frames; }

    //! Items to read for \p frames more frames (at least one).
    size_t input_required(size_t frames) const
    {
        const size_t f = std::max<size_t>(frames, 1);
        return d_skip + (f - 1) * d_hop + d_n;
    }

    //! Of \p avail unconsumed items, how many lie before the next frame start.
    size_t skip_now(size_t avail) const { return std::min(d_skip, avail); }

    //! Whole frames readable in \p avail unconsumed items.
    size_t frames_ready(size_t avail) const
    {
        const size_t s = skip_now(avail);
        if (s < d_skip || avail - s < d_n)
            return 0;
        return (avail - s - d_n) / d_hop + 1;
    }

    //! Records that \p frames frames were taken from \p avail unconsumed items;
    //! returns the items to consume now (the rest of a skip waits for later input).
    size_t take(size_t frames, size_t avail)
    {
        const size_t s = skip_now(avail);
        d_skip -= s;
        d_frames += frames;
        const size_t advance = frames * d_hop;
        const size_t left = avail - s;
        if (advance > left) {
            d_skip = advance - left;
            return avail;
        }
        return s + advance;
    }

    //! Output vector of an input tag at sample \p t, or UINT64_MAX while the frame it
    //! belongs to has not been taken.
    uint64_t output_of(uint64_t t) const
    {
        const uint64_t frame = (t + d_hop - 1) / d_hop;
        return frame < d_frames ? frame / d_per_out : UINT64_MAX;
    }

private:
    const size_t d_n;
    const size_t d_hop;
    const size_t d_per_out;
    size_t d_skip = 0;     // items to skip before the next frame (hop > fft_size)
    uint64_t d_frames = 0; // frames taken
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_FRAME_CURSOR_H */
