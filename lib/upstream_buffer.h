/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_UPSTREAM_BUFFER_H
#define INCLUDED_STREAMPROC_UPSTREAM_BUFFER_H

#include <gnuradio/block.h>
#include <algorithm>
#include <cmath>
#include <cstddef>

namespace gr {
namespace streamproc {

/*!
 * \brief Asks GNU Radio for a large buffer in front of a block, whatever the upstream.
 *
 * GNU Radio allocates the buffer between two blocks when the flowgraph starts, from
 * the upstream's own size (64 KiB by default: 8192 complex items) and, for each
 * downstream block, 2 * (decimation * output_multiple + history) items
 * (flat_flowgraph::allocate_block_detail, decimation = 1 / relative_rate). Behind a
 * default buffer our blocks, which compute whole FFT blocks or scan thousands of
 * samples per call at a few ns each, got a few thousand items per work call and spent
 * as much time waiting for the upstream's thread as computing (GNU Radio's performance
 * counters: ols_fir_ccf with 129 taps behind null_source -> head used 0.10 s of CPU in
 * work() for a run of 0.20 s, 11000 calls of 1800 outputs; with a 32 Ki-item upstream
 * buffer 2000 calls and 0.11 s).
 *
 * request() declares an output multiple that makes that formula give at least the
 * wanted number of items while the flowgraph is being set up; started() (from the
 * block's start(), which GNU Radio calls after all buffers exist) puts back the
 * multiple the block needs at run time, so work calls of any size still come (tiny
 * set_max_noutput_items included) and a live stream is not held back; stopped() (from
 * stop()) declares the large one again for the next start. The block's own output
 * buffer becomes at least twice the declared multiple (GNU Radio's rule), which the
 * blocks' output buffers hold anyway.
 */
class upstream_buffer
{
public:
    //! Items of input the buffer in front of a block should hold (1 MiB of float, 2
    //! MiB of complex; this machine's L2 holds 4 MiB per core). 32 Ki items were
    //! enough in the measurement above; 256 Ki were 5-20 % faster again behind
    //! default-buffer upstreams in alternated runs of 2026-11-28 (medians of 3, in
    //! Msamples/s, 32 Ki -> 256 Ki: ols_fir_fff 129 taps behind vector_source -> head
    //! 237 -> 274, ols_fir_ccc 155 -> 167, ols_fir_ccf(8) 1025 taps behind
    //! blocks.file_source 210 -> 240; 512 Ki and 1 Mi gave about the same, with more
    //! memory), where an earlier run had found 64 Ki slower (that machine's noise).
    static constexpr size_t default_items = size_t(1) << 18;

    /*!
     * Call from the constructor, after set_history() and set_relative_rate(), and
     * again whenever they change before the flowgraph starts. \p run_multiple is the
     * output multiple the block needs while running (1: none); \p max_multiple caps
     * the declared one (blocks with large output items: their output buffer becomes
     * at least twice it).
     */
    void request(gr::block& b,
                 size_t items = default_items,
                 int run_multiple = 1,
                 long max_multiple = long(1) << 20)
    {
        d_run_multiple = std::max(1, run_multiple);
        const double decimation = 1.0 / b.relative_rate();
        const double want = double(items) / 2.0 - double(b.history());
        long multiple = 1;
        if (want > 0.0 && decimation > 0.0)
            multiple = long(std::ceil(want / decimation));
        // a multiple of the run-time one, within the cap
        multiple = std::min<long>(multiple, std::max<long>(1, max_multiple));
        multiple = std::max<long>(multiple, d_run_multiple);
        multiple = (multiple + d_run_multiple - 1) / d_run_multiple * d_run_multiple;
        d_setup_multiple = int(multiple);
        if (!d_running)
            b.set_output_multiple(d_setup_multiple);
    }

    //! From start(): the run-time multiple.
    void started(gr::block& b)
    {
        d_running = true;
        b.set_output_multiple(d_run_multiple);
    }

    //! From stop(): the large multiple again, for the buffers of the next start.
    void stopped(gr::block& b)
    {
        d_running = false;
        b.set_output_multiple(d_setup_multiple);
    }

private:
    int d_setup_multiple = 1;
    int d_run_multiple = 1;
    bool d_running = false;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_UPSTREAM_BUFFER_H */
