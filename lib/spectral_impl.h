/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_SPECTRAL_IMPL_H
#define INCLUDED_STREAMPROC_SPECTRAL_IMPL_H

#include "stft_engine.h"
#include "tag_queue.h"
#include <gnuradio/streamproc/stft_cc.h>
#include <gnuradio/streamproc/stft_fc.h>
#include <gnuradio/streamproc/welch_cf.h>
#include <gnuradio/streamproc/welch_ff.h>
#include <memory>

namespace gr {
namespace streamproc {

/*!
 * One implementation for stft_cc, stft_fc (WELCH = false: complex spectra out) and
 * welch_cf, welch_ff (WELCH = true: averaged power out). T is the input type.
 */
template <class BASE, class T, bool WELCH>
class spectral_impl : public BASE
{
private:
    static constexpr bool is_real = std::is_same<T, float>::value;
    stft_engine<T> d_engine;
    std::unique_ptr<psd_averager> d_psd; // WELCH only
    const bool d_onesided;               // real input: N/2+1 bins out
    const bool d_shift;                  // complex input: fftshift order
    const size_t d_vlen;
    const size_t d_frames_per_out;
    size_t d_skip = 0;           // input items to skip before the next frame (hop > N)
    uint64_t d_frames_total = 0; // frames taken so far
    volk::vector<gr_complex> d_full; // real input, two-sided: expanded spectra
    tag_queue d_tags;

    const gr_complex* expand(const gr_complex* half, size_t nframes);
    void write_spectra(const gr_complex* spec, size_t nframes, gr_complex* out) const;

public:
    spectral_impl(const char* name,
                  int fft_size,
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

    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_SPECTRAL_IMPL_H */
