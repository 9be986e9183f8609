/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_EVENT_DETECTOR_H
#define INCLUDED_STREAMPROC_EVENT_DETECTOR_H

#include <gnuradio/block.h>
#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <cstdint>

namespace gr {
namespace streamproc {

/*!
 * \brief Finds events (bursts) in a stream and emits each one as a message.
 * \ingroup streamproc
 *
 * \details
 * Power p = x^2 (event_detector_f) or |x|^2 (event_detector_c) is smoothed by a moving
 * average over \p window samples. An event opens when the smoothed power rises above
 * the threshold (threshold_db above the noise floor, or an absolute level in dB when
 * relative is false) and closes when it falls below threshold_db - hysteresis_db. The
 * noise floor is tracked by minimum statistics over a finite horizon (the lower median
 * of window means per sub-block, the smallest of the last 8 sub-blocks; exact zeros and
 * stuck samples ignored; never below set_min_floor()), or fixed (set_floor_mode()). The
 * exact rules are those of event_detector_engine (docs/event_detector.md); they do not
 * depend on how the stream is split into work calls.
 *
 * Each event is posted on message port "events" as a PMT dict: id, start, end
 * (absolute input sample indices, half-open, corrected for the smoothing delay),
 * duration, peak_power, peak_index, mean_power, energy, noise_floor, snr_db,
 * truncated, merged, time (start / sample_rate, offset by the last rx_time tag before
 * it), freq (the last rx_freq tag, when one was seen) and the frequency extent of the
 * event's averaged spectrum: freq_center and bandwidth (Hz, relative to the band's
 * centre; resolution sample_rate / 256) and freq_center_abs (freq + freq_center, with
 * an rx_freq tag). After set_index_map() the positions are those of the input of an
 * upstream filter (see there).
 *
 * Optional diagnostics on outputs 1, 2, 3 (float, one value per window-sized chunk;
 * output 0 must be connected too): the chunk's smoothed power at its last sample, the
 * noise floor and the open threshold in force (values not taken by a stalled consumer are
 * dropped beyond 65536).
 *
 * The input is passed through to the optional output, item for item. With tag_edges,
 * a "sob" tag (value #t) marks the first sample and an "eob" tag (value: the event's
 * dict, as posted) the last sample of every emitted event, and a "streamproc_end" tag
 * the stream's last item (burst_extractor flushes there) (never of one dropped as too
 * short; usable by pdu.tags_to_pdu); the output then lags the input by edge_latency() =
 * window/2 + min_duration + merge_gap
 * + 1 samples (the last ones follow when the input ends: nothing is lost), and
 * tag_edges cannot be combined with max_rate. Constant memory; no allocation in work()
 * except the messages. Non-finite samples are replaced by the current moving average
 * (they neither open nor close an event), counted and reported once.
 */
template <class T>
class STREAMPROC_API event_detector : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<event_detector<T>>;

    /*!
     * \param window moving-average length in samples (>= 1)
     * \param threshold_db threshold in dB above the noise floor (relative) or absolute
     * \param relative threshold relative to the tracked noise floor
     * \param hysteresis_db close below threshold_db - hysteresis_db (>= 0, and not
     *        above threshold_db in relative mode)
     * \param min_duration drop events shorter than this many samples
     * \param merge_gap merge events separated by fewer samples
     * \param max_duration close longer events, flagged truncated (0 = no limit)
     * \param sample_rate samples per second (times and max_rate)
     * \param max_rate at most this many events per second of signal; more are dropped
     *        and counted (0 = no cap)
     * \param tag_edges add sob/eob tags to the pass-through output (not with
     *        max_rate > 0)
     */
    static sptr make(int window = 64,
                     double threshold_db = 10.0,
                     bool relative = true,
                     double hysteresis_db = 3.0,
                     int64_t min_duration = 0,
                     int64_t merge_gap = 0,
                     int64_t max_duration = 0,
                     double sample_rate = 1.0,
                     double max_rate = 0.0,
                     bool tag_edges = false);

    //! Events posted so far.
    virtual uint64_t events_found() const = 0;
    //! Events dropped by the rate cap.
    virtual uint64_t events_dropped() const = 0;
    //! Events dropped because they were shorter than min_duration.
    virtual uint64_t events_too_short() const = 0;
    //! Merges done (merge_gap).
    virtual uint64_t events_merged() const = 0;
    //! Non-finite input samples skipped.
    virtual uint64_t nonfinite_samples() const = 0;
    //! The current noise floor estimate (linear power).
    virtual double noise_floor() const = 0;
    //! Calls of work() so far (for reports: samples per call).
    virtual uint64_t work_calls() const = 0;
    //! Samples the pass-through output lags the input with tag_edges (else 0).
    virtual uint64_t edge_latency() const = 0;

    /*!
     * Report positions in samples of the input of an upstream FIR filter with this
     * decimation and group delay (in its input samples, e.g. (ntaps-1)/2): start,
     * end, peak_index become k * decimation - delay (not below 0), duration and time
     * follow; the detector's own start and end stay in stream_start and stream_end.
     * Call before the flowgraph starts; (1, 0) is the identity (the default).
     */
    virtual void set_index_map(int decimation, int delay) = 0;

    /*!
     * Filters the input with real \p taps (at most 24) before the detection, in this
     * block's own thread: y[n] = sum_k taps[k] x[n-k], the same floats as
     * ols_fir_fff/ccf(1, taps) in front of the block (their direct form), one block and
     * one thread less (streamproc detect does this for short smoothing kernels).
     * Positions are the filtered stream's indices, as behind ols_fir (combine with
     * set_index_map(1, (ntaps - 1) / 2) to report input samples); the pass-through
     * output stays unfiltered. Empty taps: none. Before the flowgraph first starts;
     * std::invalid_argument for more than 24 taps, non-finite taps or a late call.
     */
    virtual void set_prefilter(const std::vector<float>& taps) = 0;

    /*!
     * Bounds the events in flight: GNU Radio 3.10's message queues grow without limit
     * when a receiver is slower than the detector (a stalled FIFO reader, a slow Python
     * handler, a slow disk). When the fullest receiver queue holds \p max_pending
     * messages, the detector either waits until it drains (drop = false, the default:
     * nothing is lost, the stream slows down; right for files) or drops the event and
     * counts it in events_lost() (drop = true; right for live input). Default 4096.
     */
    virtual void set_max_pending(int max_pending, bool drop) = 0;
    //! Events dropped because the receivers' queues were full (drop mode).
    virtual uint64_t events_lost() const = 0;

    /*!
     * New threshold and hysteresis (dB), from the next sample on; validated like the
     * constructor's (std::invalid_argument names the bad value). Any time.
     */
    virtual void set_thresholds(double threshold_db, double hysteresis_db) = 0;
    virtual double threshold_db() const = 0;
    virtual double hysteresis_db() const = 0;
    /*!
     * New moving-average window. While running it applies at the next work call: the
     * events open then are finished (truncated) and detection starts over (averages and
     * floor; positions go on). With tag_edges the new edge latency must not exceed the
     * one set at construction.
     */
    virtual void set_window(int window) = 0;
    virtual int window() const = 0;
    /*!
     * Noise floor: tracked (fixed = false, the default) or fixed at \p floor_db (dB of
     * power). Applies like set_window().
     */
    virtual void set_floor_mode(bool fixed, double floor_db) = 0;
    virtual bool floor_fixed() const = 0;
    /*!
     * The tracked floor looks back over about \p samples (8 sub-blocks of
     * round(samples / (8 window)) windows; default 131072): longer bursts become the
     * floor. Applies like set_window().
     */
    virtual void set_floor_horizon(int64_t samples) = 0;
    virtual int64_t floor_horizon() const = 0;
    /*!
     * The floor is never below \p power (linear; 0 = no limit, the default):
     * `streamproc detect` sets one LSB of an integer capture. Applies like set_window().
     */
    virtual void set_min_floor(double power) = 0;
    virtual double min_floor() const = 0;
    /*!
     * The input is white noise shaped by real \p taps and then decimated by \p
     * decimation (as behind ols_fir(decimation, taps)): the tracked floor's bias
     * correction (it assumes white noise) then accounts for the correlation; without it
     * the floor behind a narrow filter comes out low. set_prefilter() and detect_chain
     * set it themselves. Empty taps: white. Applies like set_window().
     */
    virtual void set_noise_filter(const std::vector<float>& taps, int decimation) = 0;

    /*!
     * Post each event as a compact blob instead of the dict (one allocation instead of
     * about forty), for an event_file_sink that is the only receiver: it writes exactly
     * the same lines. Other receivers see a blob, not the documented dict: off by
     * default; `streamproc detect` switches it on for its own sink (floods: 60 000 ->
     * about 200 000 events/s into a file on the project machine).
     */
    virtual void set_compact_messages(bool on) = 0;

    /*!
     * Post only the events that do not lie wholly in [\p start, \p stop) (input samples,
     * the positions the messages give): those are counted, in events_found() and
     * events_unpublished(), but not posted. For a caller that needs only the events near
     * the ends of a stream (a batch range that counts its events and proves its halo
     * from its ends: no message, no file line per event between). start >= stop: every
     * event is posted (the default). Any time; with tag_edges the eob tags still carry
     * every event.
     */
    virtual void set_unpublished_window(uint64_t start, uint64_t stop) = 0;
    //! Events not posted because they lay wholly in the unpublished window.
    virtual uint64_t events_unpublished() const = 0;
};

using event_detector_f = event_detector<float>;
using event_detector_c = event_detector<gr_complex>;

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_EVENT_DETECTOR_H */
