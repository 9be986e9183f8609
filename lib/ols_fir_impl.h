/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_OLS_FIR_IMPL_H
#define INCLUDED_STREAMPROC_OLS_FIR_IMPL_H

#include "ols_engine.h"
#include "tag_queue.h"
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
    const size_t d_fixed_fft; // 0 = automatic
    std::unique_ptr<engine_t> d_engine;
    std::unique_ptr<engine_t> d_pending; // new taps, waiting for a block boundary
    std::vector<TAP_T> d_taps;
    size_t d_hist = 0;    // history() in items: ntaps + M*D of the largest engine
    size_t d_lag = 0;     // items held back (not consumed) to grow the history
    size_t d_emitted = 0; // outputs of the current block already produced
    bool d_block_ready = false;
    const T* d_result = nullptr; // the current block's outputs when d_block_ready
    bool d_running = false;
    // Tags are carried by hand: outputs of a block may go out before its input is
    // consumed (tiny work calls), which GNU Radio's automatic propagation cannot follow.
    tag_queue d_tags;
    const pmt::pmt_t d_taps_port = pmt::mp("taps");

    std::unique_ptr<engine_t> make_engine(const std::vector<TAP_T>& taps,
                                          size_t max_span) const;
    size_t history_for(const engine_t& e) const
    {
        return e.ntaps() + e.block_outputs() * d_decim;
    }
    void install(std::unique_ptr<engine_t> e); // not running: take it at once
    void swap_in_pending();
    bool input_done() const;
    size_t input_capacity() const;
    void handle_taps_msg(const pmt::pmt_t& msg);
    void queue_tags(uint64_t end);
    void emit_tags(uint64_t out_end);

public:
    ols_fir_impl(int decimation, const std::vector<TAP_T>& taps, int fft_size);
    ~ols_fir_impl() override;

    void set_taps(const std::vector<TAP_T>& taps) override;
    std::vector<TAP_T> taps() const override;
    int fft_size() const override;
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
