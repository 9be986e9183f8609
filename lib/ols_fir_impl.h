/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_OLS_FIR_IMPL_H
#define INCLUDED_STREAMPROC_OLS_FIR_IMPL_H

#include "ols_stream.h"
#include "tag_queue.h"
#include "upstream_buffer.h"
#include <gnuradio/streamproc/ols_fir.h>
#include <memory>

namespace gr {
namespace streamproc {

template <class T, class TAP_T>
class ols_fir_impl : public ols_fir<T, TAP_T>
{
private:
    using engine_t = ols_engine<T>;

    const unsigned d_decim;
    const int d_fixed_fft;          // 0 = automatic, -1 direct, -2 automatic size
    ols_stream<T> d_stream;         // block cursor, tap switches, history growth
    uint64_t d_generation_seen = 0; // to notice a tap switch (sample delay)
    std::vector<TAP_T> d_taps;
    bool d_running = false;
    upstream_buffer d_upstream; // a large input buffer whatever the upstream
    // Tags are carried by hand: outputs of a block may go out before its input is
    // consumed (tiny work calls), which GNU Radio's automatic propagation cannot follow.
    tag_queue d_tags;
    const pmt::pmt_t d_taps_port = pmt::mp("taps");

    std::unique_ptr<engine_t> make_engine(const std::vector<TAP_T>& taps,
                                          size_t max_span) const;
    void apply_scheduler_hints();
    void handle_taps_msg(const pmt::pmt_t& msg);

public:
    ols_fir_impl(int decimation, const std::vector<TAP_T>& taps, int fft_size);
    ~ols_fir_impl() override;

    void set_taps(const std::vector<TAP_T>& taps) override;
    std::vector<TAP_T> taps() const override;
    int fft_size() const override;
    std::string method() const override;
    int decimation() const override { return int(d_decim); }
    int block_outputs() const override;
    unsigned long long direct_blocks() const override;

    bool start() override;
    bool stop() override;
    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_OLS_FIR_IMPL_H */
