/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_BURST_EXTRACTOR_H
#define INCLUDED_STREAMPROC_BURST_EXTRACTOR_H

#include <gnuradio/gr_complex.h>
#include <gnuradio/streamproc/api.h>
#include <gnuradio/sync_block.h>
#include <cstdint>

namespace gr {
namespace streamproc {

/*!
 * \brief Cuts the bursts an event detector marked out of its pass-through stream and
 * posts each as a GNU Radio PDU.
 * \ingroup streamproc
 *
 * \details
 * Input: the pass-through output of event_detector_f/_c made with tag_edges = true: a
 * "sob" tag on the first sample of every event and an "eob" tag, whose value is the
 * event's dict, on its last. For each event the block posts on message port "pdus" a
 * PDU (meta . samples): the samples from start - pre to end + post (fewer at the ends
 * of the stream), at most max_length of them (a longer burst is cut there and flagged
 * burst_cut), as a c32vector (burst_extractor_c) or f32vector (_f). meta = the event
 * dict plus sample_rate, burst_start (stream index of the first sample),
 * burst_samples, pre (padding samples before start), burst_cut, and rx_freq / rx_time
 * (UHD tuple, of the first sample) when such tags came with the stream; and the event's
 * frequency extent: freq_center and bandwidth (Hz, relative to the centre of the band;
 * freq_center_abs = rx_freq + freq_center when rx_freq is known) of its averaged
 * spectrum over [start, end), by event_detector's rule (Hann-windowed 256-point FFTs,
 * the first 8 segments and then 4 per doubling of the length: bounded cost; the run of
 * bins around the strongest within 10 dB of it, its middle and its width; a resolution
 * of sample_rate / 256). PDUs go out
 * in event order, as soon as the post padding is in (the last ones when the input
 * ends). Memory: a ring of pre samples and, per burst in progress, max_length samples
 * (two preallocated; bursts overlapping in their padding take more, at most 16, then
 * they are dropped and counted); when a receiver holds 64 PDUs not yet handled (a slow
 * disk) the block waits for it, so memory stays bounded. Gr-pdu's blocks and any PDU
 * consumer take its output (burst_file_sink writes files).
 */
template <class T>
class STREAMPROC_API burst_extractor : virtual public gr::sync_block
{
public:
    using sptr = std::shared_ptr<burst_extractor<T>>;

    /*!
     * \param pre samples before each event's start (>= 0)
     * \param post samples after each event's end (>= 0)
     * \param max_length at most this many samples per PDU (>= 1)
     * \param sample_rate samples per second (in the meta, and for rx_time)
     */
    static sptr make(int64_t pre = 0,
                     int64_t post = 0,
                     int64_t max_length = 1 << 20,
                     double sample_rate = 1.0);

    //! PDUs posted so far.
    virtual uint64_t bursts() const = 0;
    //! Of those, bursts cut at max_length.
    virtual uint64_t bursts_cut() const = 0;
    //! Bursts dropped: more than 16 in progress at once.
    virtual uint64_t bursts_dropped() const = 0;
};

using burst_extractor_c = burst_extractor<gr_complex>;
using burst_extractor_f = burst_extractor<float>;

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_BURST_EXTRACTOR_H */
