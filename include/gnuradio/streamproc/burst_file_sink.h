/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_BURST_FILE_SINK_H
#define INCLUDED_STREAMPROC_BURST_FILE_SINK_H

#include <gnuradio/block.h>
#include <gnuradio/streamproc/api.h>
#include <cstdint>
#include <string>

namespace gr {
namespace streamproc {

/*!
 * \brief Writes every PDU it gets (e.g. from burst_extractor) to a file of its own,
 * and a JSON-lines index of them.
 * \ingroup streamproc
 *
 * \details
 * Message port "pdus": (meta . c32vector or f32vector). Each burst goes to
 * DIR/PREFIX_NNNNNN[_FREQM]_RATEk.EXT (NNNNNN: the event id, else a counter; FREQ from
 * rx_freq or freq in MHz, RATE from sample_rate in kHz: the naming rtl_433 and other
 * SDR tools read rate and frequency from), in \p format: "cf32" (float32 pairs,
 * .cf32), "ci16" (int16 pairs, round(x * 32768) clipped, .cs16), "cu8" (RTL-SDR bytes,
 * round(x * 128 + 127.5) clipped, .cu8), or "sigmf" (.sigmf-data in cf32_le plus a
 * .sigmf-meta with the sample rate, the frequency and time of the capture, and the
 * event as an annotation). Real PDUs are written as single components (.f32, .s16,
 * .u8; SigMF rf32_le). Rounding is to nearest, ties to even. DIR/index.jsonl gets one
 * line per burst once its file is complete: "file" and the meta's fields.
 *
 * Files are written under a temporary name and renamed when complete; an existing file
 * or index is never replaced unless \p overwrite. A failed write (disk full, the
 * directory gone) is logged once and reported by error(); the files and index lines
 * written before stay whole, later bursts are dropped (counted).
 */
class STREAMPROC_API burst_file_sink : virtual public gr::block
{
public:
    using sptr = std::shared_ptr<burst_file_sink>;

    /*!
     * \param directory where the files go (made with its parents if missing, as
     *        mkdir -p; an existing file there, or one that cannot be made, is an error)
     * \param format "cf32", "ci16", "cu8" or "sigmf"
     * \param prefix file name prefix
     * \param overwrite replace an existing index and files of the same names
     */
    static sptr make(const std::string& directory,
                     const std::string& format = "cf32",
                     const std::string& prefix = "burst",
                     bool overwrite = false);

    //! Bursts written (files complete, index line out).
    virtual uint64_t bursts_written() const = 0;
    //! Bursts dropped after a failed write or as malformed PDUs.
    virtual uint64_t bursts_dropped() const = 0;
    //! "" while every write succeeded; else the first failure.
    virtual std::string error() const = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_BURST_FILE_SINK_H */
