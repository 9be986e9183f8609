/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_MAPPED_FILE_H
#define INCLUDED_STREAMPROC_MAPPED_FILE_H

#include <gnuradio/streamproc/api.h>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gr {
namespace streamproc {

/*!
 * \brief A read-only regular file read through a sliding mmap() window.
 *
 * Plain C++ (no scheduler): the engine behind mmap_file_source, tested directly.
 * At most one window of window_bytes is mapped at a time; moving past it unmaps it
 * (optionally dropping its pages from the page cache) and maps the next one, with
 * MADV_SEQUENTIAL on the window and POSIX_FADV_WILLNEED on the window after it.
 * Copies are guarded against SIGBUS, so a file truncated by another process makes
 * copy() return short instead of killing the process.
 */
class STREAMPROC_API mapped_file
{
public:
    static constexpr size_t default_window_bytes = size_t(4) << 20;

    /*!
     * Opens \p path. Throws std::runtime_error naming the path and the reason for a
     * missing or unreadable file, a directory, a FIFO, a socket or a device.
     */
    explicit mapped_file(const std::string& path,
                         size_t window_bytes = 0,
                         bool drop_cache = false);
    ~mapped_file();
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;

    const std::string& path() const { return d_path; }
    //! File size in bytes as of the last refresh_size() (or the constructor).
    uint64_t size_bytes() const { return d_size; }
    //! Re-reads the file size with fstat() and returns it.
    uint64_t refresh_size();
    size_t window_bytes() const { return d_window; }
    //! Number of times a window was mapped (for tests and statistics).
    uint64_t remaps() const { return d_remaps; }
    void set_drop_cache(bool drop) { d_drop_cache = drop; }

    /*!
     * Copies \p nbytes starting at file byte \p offset into \p dst, sliding the
     * window as needed. The range must lie within size_bytes(). Returns the number
     * of bytes copied: less than nbytes only when the file shrank underneath the
     * mapping (SIGBUS caught); the caller then calls refresh_size() and ends.
     */
    size_t copy(uint64_t offset, void* dst, size_t nbytes);

    //! Unmaps the current window (the next copy maps again).
    void unmap();

    //! Installs the process-wide SIGBUS handler (chaining to the previous one) if it
    //! is not the current handler. Called by the constructor; idempotent.
    static void install_sigbus_handler();

private:
    void map_window(uint64_t offset);

    const std::string d_path;
    int d_fd = -1;
    uint64_t d_size = 0;
    size_t d_window = default_window_bytes;
    size_t d_page = 4096;
    bool d_drop_cache = false;
    const unsigned char* d_map = nullptr;
    uint64_t d_map_start = 0; // file offset of d_map[0]
    size_t d_map_len = 0;
    uint64_t d_remaps = 0;
};

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_MAPPED_FILE_H */
