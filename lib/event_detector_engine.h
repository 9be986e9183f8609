/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_DETECTOR_ENGINE_H
#define INCLUDED_STREAMPROC_EVENT_DETECTOR_ENGINE_H

#include <gnuradio/streamproc/api.h>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gr {
namespace streamproc {

//! Settings of the event (burst) detector; see event_detector_engine.
struct STREAMPROC_API detector_config {
    size_t window = 64;         //!< moving-average length in samples (>= 1)
    double threshold_db = 10.0; //!< above the noise floor (relative) or absolute, dB
    bool relative = true;       //!< threshold relative to the tracked noise floor
    double hysteresis_db = 3.0; //!< close below threshold_db - hysteresis_db
    uint64_t min_duration = 0;  //!< drop events shorter than this (samples)
    uint64_t merge_gap = 0;     //!< merge events separated by fewer samples
    uint64_t max_duration = 0;  //!< close (truncated) events longer; 0 = no limit
    double max_rate = 0.0; //!< at most this many events per second of signal; 0 = no cap
    double sample_rate = 1.0; //!< samples per second (for max_rate and times)
    //! samples the tracked floor looks back over (rounded to 8 sub-blocks of whole
    //! windows, see sub_block())
    uint64_t floor_horizon = 131072;
    //! the floor is never below this power (one LSB of an integer capture; 0 = none)
    double min_floor = 0.0;
    //! degrees of freedom of one power sample: 2 for complex, 1 for real input (the
    //! tracked floor's bias correction)
    double dof = 2.0;
    //! squared correlation coefficients rho(k)^2, k = 0, 1, ..., of the noise at the
    //! detector's input (empty: white); see noise_filter()
    std::vector<double> noise_rho2;
    bool fixed_floor = false; //!< use floor_db instead of tracking the floor
    double floor_db = 0.0;    //!< the floor in dB of power when fixed_floor

    //! Samples per floor sub-block: round(floor_horizon / (8 window)) windows, >= 1.
    uint64_t sub_block() const;
    //! The 10th percentile of a window's mean power over the mean for Gaussian noise:
    //! Wilson-Hilferty for a Gamma distribution of shape a, (1 - 1/(9a) - 1.2816 /
    //! sqrt(9a))^3, at least 0.0158 (the exact value for a = 1/2), with a = (dof / 2)
    //! W / sum_{|k| < W} (1 - |k|/W) rho(k)^2 (W x dof / 2 for white noise).
    double quantile_bias() const;
    /*!
     * Sets noise_rho2 for white noise filtered by real \p taps and decimated by \p
     * decimation: rho(k) = sum_i h[i] h[i + kD] / sum_i h[i]^2.
     */
    void noise_filter(const std::vector<float>& taps, unsigned decimation);

    //! Throws std::invalid_argument naming the first bad value.
    void validate() const;
};

//! One detected event. Indices are absolute sample indices of the input stream.
struct STREAMPROC_API detected_event {
    uint64_t id = 0;
    uint64_t start = 0;       //!< first sample (corrected for the smoothing delay)
    uint64_t end = 0;         //!< one past the last sample
    double peak_power = 0.0;  //!< largest smoothed power seen during the event
    uint64_t peak_index = 0;  //!< where (corrected for the smoothing delay)
    double mean_power = 0.0;  //!< mean instantaneous power over [start, end)
    double energy = 0.0;      //!< sum of instantaneous power over [start, end)
    double noise_floor = 0.0; //!< tracked floor when the event opened (both modes)
    double snr_db = 0.0;      //!< 10 log10(mean_power / noise_floor); 0 without a floor
    bool truncated = false;   //!< closed by max_duration or by the end of the stream
    uint64_t merged = 0;      //!< events merged into this one (merge_gap)
    //! frequency extent (Hz, relative to the band's centre), when has_extent: not set
    //! by the engine (it sees powers only) but by event_detector (event_extent.h)
    double freq_center = 0.0, bandwidth = 0.0;
    bool has_extent = false;
};

//! What the detector saw in one window-sized chunk (event_detector's diagnostics).
struct STREAMPROC_API chunk_diagnostics {
    float power = 0.0f;     //!< smoothed power at the chunk's last sample (its mean)
    float floor = 0.0f;     //!< the noise floor in force during the chunk
    float threshold = 0.0f; //!< the open threshold in force during the chunk
};

//! Where an emitted event starts or ends (see event_detector_engine::process()).
struct STREAMPROC_API event_edge {
    uint64_t offset = 0; //!< start: the event's first sample; end: its last (end - 1)
    bool start = false;  //!< true for the start, false for the end
};

/*!
 * What happened to the events in a process() or finish() call, in order (for a caller
 * that follows the samples of events, as event_detector does for their frequency
 * extent; see event_detector_engine::set_steps()). Offsets are stream positions.
 */
struct STREAMPROC_API event_step {
    enum kind_t : uint8_t {
        open,  //!< an event opens; it starts at offset (the open one)
        merge, //!< the event that just opened merges into the waiting one (it goes on)
        close, //!< the open event closes; it ends at offset and waits
        emit,  //!< the waiting event is emitted: out[index]
        drop   //!< the waiting event is dropped (too short, rate cap)
    };
    kind_t kind = open;
    uint64_t offset = 0;
    size_t index = 0;
};

/*!
 * \brief The detection state machine behind event_detector_f/_c: plain C++, no
 * scheduler, constant memory, exact across any split of the input into calls.
 *
 * Input: instantaneous power p[n] (x^2 or |x|^2), computed by the caller. Rules, in
 * the order they apply to sample n:
 *  - Non-finite p[n] is replaced by the current moving-average mean (it neither opens
 *    nor closes anything) and counted.
 *  - Smoothed power s[n] = mean(p[n-W+1 .. n]) over the window W (samples before the
 *    stream count as 0): a running sum in double, recomputed from the ring each time
 *    the ring wraps (at every multiple of W, as four interleaved partial sums added
 *    pairwise), so it does not drift on unbounded streams. That sum is also the
 *    chunk's total for the noise floor. (Quiet chunks, where no sample can reach the
 *    open threshold, are skipped in one step with the same results.) Nothing opens
 *    before sample W - 1.
 *  - Noise floor (tracked; minimum statistics over a finite horizon): the stream is cut
 *    into chunks of W samples and sub-blocks of L = sub_block() samples (B = L / W
 *    chunks), both aligned at its first sample. A chunk is usable when its powers are
 *    finite and not all equal (exact zeros and stuck samples of a float stream carry
 *    no noise), or only finite when W = 1 or min_floor > 0 (an integer capture's
 *    stuck stretches are as quiet as it gets: they count); its value
 *    is its mean power. A sub-block's value is the 10th percentile of its usable chunk
 *    values (the value of rank floor((m-1)/10) of m in ascending order; none when m =
 *    0) divided by quantile_bias() (so that it is the mean power for Gaussian noise),
 *    so bursts in up to 90 % of it do not move it. The floor in force after
 *    sub-block k is max(min_floor, the smallest value of sub-blocks k-7 .. k), or
 *    min_floor when none of them has one; never below the smallest normal float
 *    (1.18e-38). It takes effect from the sample after the sub-block's last one, and
 *    the floor after the first 8 sub-blocks (the first horizon) also applies to them:
 *    their samples are held (8 L floats) and run through the detection once they are
 *    complete (or at finish(), with the floor of the sub-blocks so far, the last one
 *    partial). So the floor at any sample depends on the last 8 L samples only: a
 *    range of a file processed with a pre-roll of at least 8 L samples (aligned at a
 *    multiple of L) has the same floor as a run over the whole file. With fixed_floor the
 *    floor is 10^(floor_db/10) throughout and nothing is held. Tracked in both modes
 *    (noise_floor and snr_db); only relative mode sets the thresholds by it.
 *  - Thresholds: on = floor * 10^(threshold_db/10), off = floor *
 *    10^((threshold_db - hysteresis_db)/10) (relative) or 10^(threshold_db/10) and
 *    10^((threshold_db - hysteresis_db)/10) (absolute).
 *  - Closed (idle): s[n] > on opens an event at n: start = n - W/2, or 0 when n =
 *    W - 1 (the first sample that can open one: the signal was on at the start).
 *  - Open: s[n] < off closes it at n: end = n - W/2 (at least start + 1). If
 *    max_duration > 0 and n - W/2 - start >= max_duration it is closed at n as
 *    truncated (end = start + max_duration); a new one may open at the next sample.
 *  - A closed event waits: if another opens with start - previous end < merge_gap, the
 *    two merge (the gap's power counts in the energy). Once the gap reaches merge_gap
 *    (or at once when merge_gap = 0) it is final: dropped if end - start <
 *    min_duration, else emitted, unless the rate cap (a token bucket of max_rate
 *    events per second of signal, burst max(1, max_rate)) has no token: then it is
 *    dropped and counted.
 *  - An event that starts at the first sample (start = 0) is flagged truncated too:
 *    it may have begun before the stream.
 *  - finish(): an open event is closed at the end of the stream, flagged truncated,
 *    and the waiting one is emitted.
 *  - set_thresholds() changes threshold_db and hysteresis_db from the next sample on;
 *    restart() finishes the stream so far and starts a new one (new settings) at the
 *    next sample: positions go on counting, the floor and the averages start over.
 *
 * Edges (optional): the start of an event is reported once it is certain to be
 * emitted (it has lasted min_duration, counting a merge), the end when it is emitted;
 * events dropped as too short never get an edge. Each edge is reported at most
 * edge_latency() samples after its offset (events of the first horizon come when it is
 * complete, so a tracked floor adds 8 L); with max_rate > 0 an event may be dropped
 * after its start was reported (the rate cap decides when the event ends).
 */
class STREAMPROC_API event_detector_engine
{
public:
    explicit event_detector_engine(const detector_config& config);

    /*!
     * Processes n power samples (the next ones of the stream). Finished events are
     * appended to \p out (which the caller clears; reserve it to avoid allocation).
     */
    void process(const float* power, size_t n, std::vector<detected_event>& out);
    //! The same, and appends the starts and ends of emitted events to \p edges.
    void process(const float* power,
                 size_t n,
                 std::vector<detected_event>& out,
                 std::vector<event_edge>& edges);
    /*!
     * For real input: skips the leading quiet chunks of the samples \p x (as
     * process() would on their powers x*x, rounded to float; the same state after),
     * without the caller computing the powers. Returns the samples skipped (whole
     * chunks, 0 when the detector is not at a quiet chunk boundary); the caller passes
     * the rest to process().
     */
    size_t skip_quiet_samples(const float* x, size_t count);
    /*!
     * While \p out is set, every chunk appends its chunk_diagnostics to it (in stream
     * order; those of the held first horizon when it is run). nullptr: none.
     */
    void set_diagnostics(std::vector<chunk_diagnostics>* out) { d_diag = out; }
    /*!
     * While \p out is set, process(), finish() and restart() append an event_step for
     * every open, merge, close, emit and drop (nullptr: none). An open event's samples
     * are those from its start; its end, when it closes, is at least
     * samples() - window / 2 - 1 of the last call (so a caller may take its samples up
     * to samples() - window / 2 while it is open, lagging behind).
     */
    void set_steps(std::vector<event_step>* out) { d_steps = out; }
    //! Samples of the stream's start held until the floor is known, for settings \p c
    //! (8 L; 0 with a fixed floor): process() runs them through the detection only
    //! when they are complete.
    static size_t held_of(const detector_config& c);
    //! Whether the stream's first held_of(config()) samples are still being held.
    bool holding() const { return d_warming; }
    //! Back to the state of a new stream (the settings stay).
    void reset();
    //! Samples to the next chunk boundary when nothing is going on mid-chunk, else 0.
    size_t quiet_until_boundary() const
    {
        return d_pos != 0 && quiet() ? d_cfg.window - d_pos : 0;
    }
    //! End of stream: emits the open and the waiting event (see above).
    void finish(std::vector<detected_event>& out);
    void finish(std::vector<detected_event>& out, std::vector<event_edge>& edges);
    /*!
     * New threshold_db and hysteresis_db from the next sample on (validated like the
     * constructor's; std::invalid_argument leaves the old ones).
     */
    void set_thresholds(double threshold_db, double hysteresis_db);
    /*!
     * Finishes the stream so far (as finish(), into \p out and \p edges) and goes on
     * with \p config as a new stream from the next sample: positions keep counting from
     * the stream's first sample, ids and counters go on, the averages and the floor
     * start over. For changes of window or floor settings.
     */
    void restart(const detector_config& config,
                 std::vector<detected_event>& out,
                 std::vector<event_edge>& edges);
    //! Most samples between an edge's offset and the sample that reports it.
    uint64_t edge_latency() const { return latency_of(d_cfg); }
    static constexpr size_t k_sub_blocks = 8; //!< in the floor's horizon
    //! The same for other settings (e.g. before a restart()).
    static uint64_t latency_of(const detector_config& c);

    uint64_t samples() const { return d_origin + d_n; }
    uint64_t events_found() const { return d_found; }
    uint64_t events_dropped_short() const { return d_dropped_short; }
    uint64_t events_merged() const { return d_merged; }
    uint64_t events_dropped_rate() const { return d_dropped_rate; }
    uint64_t nonfinite_samples() const { return d_nonfinite; }
    double noise_floor() const { return d_floor; }
    bool in_event() const { return d_open; }
    const detector_config& config() const { return d_cfg; }

private:
    //! Nothing going on: no event open or waiting, the floor known (the quiet-chunk
    //! fast path may run from the next chunk boundary on).
    bool quiet() const { return !d_open && !d_waiting && d_have_floor && !d_warming; }
    void configure(const detector_config& config);
    void run(const float* power, size_t n, std::vector<detected_event>& out);
    void run_samples(const float* power, size_t n, std::vector<detected_event>& out);
    void step(uint64_t n, double p, double smooth, std::vector<detected_event>& out);
    size_t run_open(const float* power, size_t count);
    size_t run_idle(const float* power, size_t count);
    size_t warm(const float* power, size_t n, std::vector<detected_event>& out);
    void replay(std::vector<detected_event>& out);
    void confirm(uint64_t n);
    void open_at(uint64_t n);
    void close_at(uint64_t end, bool truncated);
    void settle(detected_event& ev, std::vector<detected_event>& out);
    void flush_waiting(uint64_t n, std::vector<detected_event>& out, bool force);
    void end_of_chunk(bool usable);
    void push_chunk(double mean, bool usable);
    void end_of_sub_block();
    void set_floor(double floor);
    size_t skip_quiet_chunks(const float* power, size_t count, bool squares);

    detector_config d_cfg;
    uint64_t d_delay; // W / 2
    double d_on_factor;
    double d_off_factor;
    std::vector<double> d_ring; // last W powers
    size_t d_pos = 0;           // ring index of the next sample
    double d_sum = 0.0;         // sum of the ring
    bool d_chunk_bad = false;   // a non-finite sample in this chunk
    uint64_t d_origin = 0;      // stream position of this stream's sample 0 (restart)
    uint64_t d_n = 0;           // samples seen since d_origin
    double d_floor = 0.0;
    bool d_have_floor = false;
    // tracked floor: usable chunk values of this sub-block, sub-block values (NaN: none)
    std::vector<double> d_chunk_vals;
    size_t d_nvals = 0;      // usable values in this sub-block
    size_t d_sub_chunks = 0; // chunks in this sub-block so far
    size_t d_chunks_per_sub = 1;
    double d_bias = 1.0;      // d_cfg.quantile_bias()
    bool d_keep_flat = false; // chunks of equal powers count (W = 1, min_floor > 0)
    double d_sub[k_sub_blocks];
    size_t d_sub_next = 0, d_sub_count = 0;
    // the first sub-block, held until its floor is known (tracked floor only)
    std::vector<float> d_warm;
    size_t d_warm_n = 0;
    bool d_warming = false;
    bool d_replaying = false;
    std::vector<chunk_diagnostics>* d_diag = nullptr;
    std::vector<event_step>* d_steps = nullptr;
    void note(event_step::kind_t kind, uint64_t offset, size_t index = 0)
    {
        if (d_steps)
            d_steps->push_back(event_step{ kind, d_origin + offset, index });
    }
    static constexpr size_t k_sum_batch = 16; // quiet chunks summed at a time
    double d_on = 0.0, d_off = 0.0;

    bool d_open = false;
    detected_event d_cur;
    bool d_cur_certain = false;  // its start edge is out (it will be emitted)
    bool d_wait_certain = false; // the same for d_wait
    std::vector<event_edge>* d_edges = nullptr; // during process()/finish() with edges
    bool d_waiting = false;                     // a closed event waiting for merge_gap
    detected_event d_wait;
    double d_gap_energy = 0.0; // power since d_wait.end (for a merge)
    double d_tokens = 0.0;
    uint64_t d_token_time = 0;

    uint64_t d_next_id = 0;
    uint64_t d_found = 0, d_dropped_short = 0, d_merged = 0, d_dropped_rate = 0;
    uint64_t d_nonfinite = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_DETECTOR_ENGINE_H */
