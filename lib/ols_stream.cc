/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ols_stream.h"
#include <algorithm>
#include <cstring>

namespace gr {
namespace streamproc {

template <class T>
ols_stream<T>::ols_stream(unsigned decimation, std::unique_ptr<engine_t> engine)
    : d_decim(decimation)
{
    reset(std::move(engine));
}

template <class T>
void ols_stream<T>::reset(std::unique_ptr<engine_t> e)
{
    d_engine = std::move(e);
    d_pending.reset();
    d_hist = history_for(*d_engine);
    d_lag = 0;
    d_emitted = 0;
    d_block_ready = false;
    d_result = nullptr;
    ++d_generation;
}

template <class T>
void ols_stream<T>::swap_in_pending()
{
    d_engine = std::move(d_pending);
    d_block_ready = false;
    ++d_generation;
}

template <class T>
size_t ols_stream<T>::span_needed(const engine_t& e) const
{
    const size_t old_block = d_engine->block_outputs() * d_decim;
    const size_t hist = std::max(d_hist + d_lag, history_for(e));
    return hist - 1 + std::max(old_block, e.block_outputs() * d_decim);
}

template <class T>
size_t ols_stream<T>::input_required(size_t nout, bool done) const
{
    const size_t M = d_engine->block_outputs();
    const size_t want = d_emitted + nout;
    // Blocks are computed whole (so the output does not depend on the call sizes),
    // except the last one once the input has ended.
    const size_t need_new = done ? want * d_decim : (want + M - 1) / M * M * d_decim;
    return d_hist - 1 + d_lag + need_new;
}

template <class T>
typename ols_stream<T>::result
ols_stream<T>::process(const T* in, size_t avail, bool done, T* out, size_t nout)
{
    result r;
    const size_t D = d_decim;
    size_t cur = d_hist - 1 + d_lag; // index in `in` of the current block's first sample
    long avail_new = long(avail) - long(cur);
    bool switch_history = false;

    while (r.produced < nout) {
        if (d_pending && d_emitted == 0 && !d_block_ready) {
            const size_t need = history_for(*d_pending);
            if (need <= d_hist) {
                swap_in_pending(); // enough history already: switch here
            } else if (d_hist + d_lag >= need) {
                switch_history = true; // grown enough: switch between calls
                break;
            }
        }
        const size_t M = d_engine->block_outputs();
        const size_t L = d_engine->ntaps();
        const bool full = avail_new >= long(M * D);
        if (!d_block_ready) {
            if (!full && !(done && avail_new >= long((d_emitted + 1) * D)))
                break;
            // Everything readable from the block start: the engine reads what it needs
            // (and writes a whole block that goes out now straight to the output).
            T* dst = full && d_emitted == 0 && nout - r.produced >= M ? out + r.produced
                                                                      : nullptr;
            d_result = d_engine->compute_block(
                in + cur - (L - 1), L - 1 + size_t(avail_new), dst);
            d_block_ready = true;
        }
        const size_t limit = full ? M : size_t(avail_new) / D;
        const size_t k = std::min(nout - r.produced, limit - d_emitted);
        if (k == 0)
            break;
        if (d_result + d_emitted != out + r.produced)
            std::memcpy(out + r.produced, d_result + d_emitted, k * sizeof(T));
        r.produced += k;
        d_emitted += k;
        if (full && d_emitted == M) {
            // Block complete. While new taps need more history, hold items back.
            const size_t step = M * D;
            size_t hold = 0;
            if (d_pending) {
                const size_t need = history_for(*d_pending);
                if (need > d_hist + d_lag)
                    hold = std::min(step, need - d_hist - d_lag);
            }
            r.consumed += step - hold;
            d_lag += hold;
            cur += step;
            avail_new -= long(step);
            d_emitted = 0;
            d_block_ready = false;
        } else if (!full && d_emitted == limit) {
            // The input has ended and its last outputs are out.
            r.consumed += d_emitted * D;
            d_emitted = 0;
            d_block_ready = false;
            break;
        }
    }

    if (switch_history ||
        (d_pending && d_emitted == 0 && !d_block_ready &&
         d_hist + d_lag >= history_for(*d_pending) && history_for(*d_pending) > d_hist)) {
        // The items held back become history: the next call sees the same stream
        // position with the longer history the new taps need.
        d_hist += d_lag;
        d_lag = 0;
        swap_in_pending();
        r.history_changed = true;
    }
    return r;
}

template class ols_stream<float>;
template class ols_stream<gr_complex>;

} // namespace streamproc
} // namespace gr
