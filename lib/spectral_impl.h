/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_SPECTRAL_IMPL_H
#define INCLUDED_STREAMPROC_SPECTRAL_IMPL_H

#include "frame_cursor.h"
#include "stft_engine.h"
#include "tag_queue.h"
#include "upstream_buffer.h"
#include <gnuradio/streamproc/stft.h>
#include <gnuradio/streamproc/welch.h>
#include <type_traits>
#include <memory>

namespace gr {
namespace streamproc {

/*!
 * One implementation for stft<T> (WELCH = false: complex spectra out) and welch<T>
 * (WELCH = true: averaged power out). T is the input type.
 */
template <class T, bool WELCH>
class spectral_impl : public std::conditional_t<WELCH, welch<T>, stft<T>>
{
private:
    static constexpr bool is_real = std::is_same<T, float>::value;
    stft_engine<T> d_engine;
    std::unique_ptr<psd_averager> d_psd; // WELCH only
    const bool d_onesided;               // real input: N/2+1 bins out
    const bool d_shift;                  // complex input: fftshift order
    const size_t d_vlen;
    const size_t d_frames_per_out;
    frame_cursor d_cursor;           // frame starts, skips between frames, tag placement
    volk::vector<gr_complex> d_full; // real input, two-sided: expanded spectra
    tag_queue d_tags;
    upstream_buffer d_upstream; // a large input buffer whatever the upstream

    const gr_complex* expand(const gr_complex* half, size_t nframes);
    void write_spectra(const gr_complex* spec, size_t nframes, gr_complex* out) const;

public:
    spectral_impl(int fft_size,
                  int hop,
                  const std::vector<float>& window,
                  int navg,
                  const std::string& scaling,
                  double sample_rate,
                  bool onesided,
                  bool shift,
                  bool db);
    ~spectral_impl() override;

    void set_window(const std::vector<float>& window) override;
    std::vector<float> window() const override;
    int fft_size() const override { return int(d_engine.fft_size()); }
    int hop() const override { return int(d_engine.hop()); }
    int vlen() const override { return int(d_vlen); }

    bool start() override
    {
        d_upstream.started(*this);
        // a new run is a new stream (GNU Radio's item counters start at 0 again)
        d_cursor.reset();
        d_tags.reset();
        if (d_psd)
            d_psd->reset();
        return true;
    }
    bool stop() override
    {
        d_upstream.stopped(*this);
        return true;
    }
    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_SPECTRAL_IMPL_H */
