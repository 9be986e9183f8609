/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pydoc_macros.h"
#define D(...) DOC(gr, streamproc, __VA_ARGS__)
/*
  Docstrings for the Python bindings. With Doxygen installed they are regenerated
  from the header during the build; without it this text is used as it is.
 */

static const char* __doc_gr_streamproc_event_detector =
    R"doc(Finds events (bursts) and posts each as a PMT dict on message port "events".

Power (x**2 or |x|**2) smoothed over `window` samples; an event opens above the threshold
(threshold_db above the noise floor, or absolute dB) and closes below
threshold_db - hysteresis_db. The floor is tracked by minimum statistics over a finite
horizon (exact zeros and stuck samples ignored) or fixed; see set_floor_mode(). Dict keys: id, start, end (absolute input indices,
half-open, corrected for the smoothing delay), duration, peak_power, peak_index,
mean_power, energy, noise_floor, snr_db, truncated, merged, time, freq (with rx_freq).
The input passes through to the optional output. See docs/event_detector.md.)doc";

static const char* __doc_gr_streamproc_event_detector_make = R"doc(Make an event detector.

Args:
    window: moving-average length (>= 1)
    threshold_db: dB above the noise floor (relative) or absolute dB
    relative: threshold relative to the tracked noise floor
    hysteresis_db: close below threshold_db - hysteresis_db
    min_duration: drop events shorter than this (samples)
    merge_gap: merge events separated by fewer samples
    max_duration: close longer events as truncated (0 = no limit)
    sample_rate: samples per second
    max_rate: at most this many events per second of signal (0 = no cap)
    tag_edges: tag the first (sob) and last (eob) sample of every emitted event on the
        pass-through output, which then lags by edge_latency() samples (not with max_rate))doc";

static const char* __doc_gr_streamproc_event_detector_events_found =
    R"doc(Events posted so far.)doc";

static const char* __doc_gr_streamproc_event_detector_events_dropped =
    R"doc(Events dropped by the rate cap.)doc";

static const char* __doc_gr_streamproc_event_detector_events_too_short =
    R"doc(Events dropped as shorter than min_duration.)doc";

static const char* __doc_gr_streamproc_event_detector_events_merged =
    R"doc(Merges done (merge_gap).)doc";

static const char* __doc_gr_streamproc_event_detector_nonfinite_samples =
    R"doc(Non-finite input samples replaced by the moving average (counted).)doc";

static const char* __doc_gr_streamproc_event_detector_noise_floor =
    R"doc(Current noise floor estimate (linear power).)doc";

static const char* __doc_gr_streamproc_event_detector_work_calls =
    R"doc(Calls of work() so far.)doc";

static const char* __doc_gr_streamproc_event_detector_edge_latency =
    R"doc(Samples the pass-through output lags the input with tag_edges (else 0).)doc";

static const char* __doc_gr_streamproc_event_detector_set_prefilter =
    R"doc(Filter the input with real taps (at most 24) before the detection, in this block.

The same floats as ols_fir_fff/ccf(1, taps) in front (their direct form), one block and
one thread less. Positions are the filtered stream's indices (add set_index_map(1,
(ntaps - 1) // 2) for input samples); the pass-through output stays unfiltered. Call
before the flowgraph first starts. Empty taps: none.)doc";

static const char* __doc_gr_streamproc_event_detector_set_index_map =
    R"doc(Report positions in samples of the input of an upstream FIR filter.

start, end and peak_index become k * decimation - delay (not below 0); the detector's
own indices stay in stream_start and stream_end. Call before the flowgraph starts.

Args:
    decimation: the filter's decimation (>= 1)
    delay: its group delay in its input samples, e.g. (ntaps - 1) // 2)doc";

static const char* __doc_gr_streamproc_event_detector_set_max_pending =
    R"doc(Bound the events in flight: when the fullest receiver queue holds max_pending messages,
wait until it drains (drop=False, default: nothing lost, the stream slows down) or drop the
event and count it in events_lost() (drop=True, for live input). Default 4096.)doc";

static const char* __doc_gr_streamproc_event_detector_events_lost =
    R"doc(Events dropped because the receivers' queues were full (drop mode).)doc";

static const char* __doc_gr_streamproc_event_detector_set_compact_messages =
    R"doc(Post events as compact blobs (one allocation) for an event_file_sink that is the only
receiver; it writes the same lines. Other receivers see blobs: off by default.)doc";

static const char* __doc_gr_streamproc_event_detector_set_unpublished_window =
    R"doc(Post only the events that do not lie wholly in [start, stop) (input samples): those
are counted (events_found, events_unpublished) but not posted. start >= stop: all are
posted (the default).)doc";

static const char* __doc_gr_streamproc_event_detector_events_unpublished =
    R"doc(Events not posted because they lay wholly in the unpublished window.)doc";

static const char* __doc_gr_streamproc_event_detector_set_thresholds =
    R"doc(New threshold_db and hysteresis_db from the next sample on (validated; any time).)doc";

static const char* __doc_gr_streamproc_event_detector_threshold_db =
    R"doc(The threshold in dB (above the floor, or absolute).)doc";

static const char* __doc_gr_streamproc_event_detector_hysteresis_db =
    R"doc(The hysteresis in dB.)doc";

static const char* __doc_gr_streamproc_event_detector_set_window =
    R"doc(New moving-average window; while running it applies at the next work call (open
events finished as truncated, detection starts over, positions go on).)doc";

static const char* __doc_gr_streamproc_event_detector_window =
    R"doc(The moving-average window in samples (a pending change included).)doc";

static const char* __doc_gr_streamproc_event_detector_set_floor_mode =
    R"doc(Noise floor tracked (fixed=False, default) or fixed at floor_db (dB of power);
applies like set_window().)doc";

static const char* __doc_gr_streamproc_event_detector_floor_fixed =
    R"doc(True when the floor is fixed (set_floor_mode).)doc";

static const char* __doc_gr_streamproc_event_detector_set_floor_horizon =
    R"doc(Samples the tracked floor looks back over (default 131072; 8 sub-blocks of whole
windows); longer bursts become the floor. Applies like set_window().)doc";

static const char* __doc_gr_streamproc_event_detector_floor_horizon =
    R"doc(The floor horizon in samples as set.)doc";

static const char* __doc_gr_streamproc_event_detector_set_min_floor =
    R"doc(The floor is never below this linear power (0 = no limit; streamproc detect sets one
LSB of an integer capture). Applies like set_window().)doc";

static const char* __doc_gr_streamproc_event_detector_min_floor =
    R"doc(The lowest floor allowed (linear power).)doc";

static const char* __doc_gr_streamproc_event_detector_set_noise_filter =
    R"doc(The input is white noise shaped by these real taps, then decimated (as behind
ols_fir(decimation, taps)): the tracked floor's bias correction accounts for it (without
it the floor behind a narrow filter comes out low). set_prefilter and detect_chain set it
themselves. Applies like set_window().)doc";
