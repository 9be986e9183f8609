/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_OLS_STREAM_H
#define INCLUDED_STREAMPROC_OLS_STREAM_H

#include "ols_engine.h"
#include <gnuradio/streamproc/api.h>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gr {
namespace streamproc {

/*!
 * \brief The stream bookkeeping of ols_fir: block cursor, tap switches, history
 * growth and the last partial block, without the scheduler.
 *
 * Blocks of M = block_outputs() outputs are laid out from the start of the stream, so
 * the output does not depend on how the input arrives. The caller (ols_fir's
 * general_work, or a test) keeps history() - 1 items before the first unconsumed one
 * (zeros at the stream start) and passes, in each call, everything readable from there:
 *
 *   in[0 .. history()-2] history, in[history()-1] the first unconsumed item
 *   avail                items readable at in (history included)
 *   done                 the input has ended: what is readable is all there is
 *
 * process() writes at most nout outputs and says how many input items to consume.
 * When it reports history_changed, the caller's history becomes history() from the
 * next call on while in[0] stays where it is: the items it held back (not consumed)
 * become the longer history that new taps need. So the output continues without a
 * lost or repeated sample when the tap count changes.
 */
template <class T>
class STREAMPROC_API ols_stream
{
public:
    using engine_t = ols_engine<T>;

    ols_stream(unsigned decimation, std::unique_ptr<engine_t> engine);

    struct result {
        size_t produced = 0;
        size_t consumed = 0;
        bool history_changed = false;
    };

    //! Items of history the caller keeps (ntaps + M*D of the engine in use, or more
    //! while new taps are waiting).
    size_t history() const { return d_hist; }
    unsigned decimation() const { return d_decim; }
    const engine_t& engine() const { return *d_engine; }
    //! Engines taken over so far (reset() and switches): changes when the taps do.
    uint64_t generation() const { return d_generation; }

    //! Items readable at in (history included) needed to produce nout more outputs.
    size_t input_required(size_t nout, bool done) const;

    result process(const T* in, size_t avail, bool done, T* out, size_t nout);

    //! Not running: takes \p e at once and starts a new stream.
    void reset(std::unique_ptr<engine_t> e);
    //! A new stream with the engine in use (or the pending one).
    void restart() { reset(d_pending ? std::move(d_pending) : std::move(d_engine)); }
    //! Running: \p e takes over at the next block boundary.
    void set_pending(std::unique_ptr<engine_t> e) { d_pending = std::move(e); }
    //! Items the input buffer must hold at once for \p e to take over (0 = fits any).
    size_t span_needed(const engine_t& e) const;
    //! History an engine needs: ntaps + M*D.
    size_t history_for(const engine_t& e) const
    {
        return e.ntaps() + e.block_outputs() * d_decim;
    }

private:
    void swap_in_pending();

    const unsigned d_decim;
    std::unique_ptr<engine_t> d_engine;
    std::unique_ptr<engine_t> d_pending; // new taps, waiting for a block boundary
    size_t d_hist = 0;                   // history in items
    size_t d_lag = 0;     // items held back (not consumed) to grow the history
    size_t d_emitted = 0; // outputs of the current block already produced
    bool d_block_ready = false;
    const T* d_result = nullptr; // the current block's outputs when d_block_ready
    uint64_t d_generation = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_OLS_STREAM_H */
