/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace gr {
namespace streamproc {

namespace {

// The jump buffer of the copy this thread is inside, or nullptr. volatile plus the
// signal fences below keep the compiler from moving or dropping the stores around
// memcpy (which, as far as it knows, does not read this variable).
thread_local sigjmp_buf* volatile t_copy_jmp = nullptr;
struct sigaction g_prev_action {
};
std::mutex g_handler_mutex;

void sigbus_handler(int sig, siginfo_t* info, void* ctx)
{
    if (t_copy_jmp != nullptr) {
        // The fault happened inside one of our guarded copies: the mapped file
        // shrank. Leave the copy; copy() reports a short count.
        siglongjmp(*t_copy_jmp, 1);
    }
    // Not ours: behave as the handler we replaced would have.
    if (g_prev_action.sa_flags & SA_SIGINFO) {
        if (g_prev_action.sa_sigaction != nullptr) {
            g_prev_action.sa_sigaction(sig, info, ctx);
            return;
        }
    } else if (g_prev_action.sa_handler == SIG_IGN) {
        return;
    } else if (g_prev_action.sa_handler != SIG_DFL &&
               g_prev_action.sa_handler != nullptr) {
        g_prev_action.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

// memcpy that returns false instead of dying when the source page is gone.
bool guarded_memcpy(void* dst, const void* src, size_t n)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) != 0) {
        t_copy_jmp = nullptr;
        return false;
    }
    t_copy_jmp = &jb;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    std::memcpy(dst, src, n);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    t_copy_jmp = nullptr;
    return true;
}

std::string describe_type(mode_t mode)
{
    if (S_ISDIR(mode))
        return "is a directory";
    if (S_ISFIFO(mode))
        return "is a FIFO (named pipe); pipes cannot be memory-mapped, use "
               "blocks.file_source to read them";
    if (S_ISSOCK(mode))
        return "is a socket; sockets cannot be memory-mapped";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "is a device; devices cannot be memory-mapped, use blocks.file_source";
    return "is not a regular file";
}

[[noreturn]] void fail(const std::string& path, const std::string& why)
{
    throw std::runtime_error("mmap_file_source: cannot read '" + path + "': " + why);
}

} // namespace

void mapped_file::install_sigbus_handler()
{
    std::lock_guard<std::mutex> guard(g_handler_mutex);
    struct sigaction current {
    };
    if (sigaction(SIGBUS, nullptr, &current) != 0)
        return;
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == &sigbus_handler)
        return;
    struct sigaction ours {
    };
    ours.sa_sigaction = &sigbus_handler;
    ours.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&ours.sa_mask);
    if (sigaction(SIGBUS, &ours, &g_prev_action) != 0)
        g_prev_action = current;
}

mapped_file::mapped_file(const std::string& path, size_t window_bytes, bool drop_cache)
    : d_path(path), d_drop_cache(drop_cache)
{
    const long page = sysconf(_SC_PAGESIZE);
    d_page = page > 0 ? size_t(page) : 4096;
    size_t w = window_bytes ? window_bytes : default_window_bytes;
    w = std::max(w, 2 * d_page);
    d_window = (w + d_page - 1) / d_page * d_page;

    // stat() before open(): opening a FIFO for reading would block until a writer
    // comes along.
    struct stat st {
    };
    if (::stat(path.c_str(), &st) != 0)
        fail(path, std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        fail(path, describe_type(st.st_mode));

    d_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (d_fd < 0)
        fail(path, std::strerror(errno));
    if (::fstat(d_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int err = errno;
        ::close(d_fd);
        d_fd = -1;
        fail(path, S_ISREG(st.st_mode) ? std::strerror(err) : describe_type(st.st_mode));
    }
    d_size = uint64_t(st.st_size);
    install_sigbus_handler();
    if (d_size > 0)
        posix_fadvise(
            d_fd, 0, off_t(std::min<uint64_t>(d_size, d_window)), POSIX_FADV_WILLNEED);
}

mapped_file::~mapped_file()
{
    unmap();
    if (d_fd >= 0)
        ::close(d_fd);
}

uint64_t mapped_file::refresh_size()
{
    struct stat st {
    };
    if (::fstat(d_fd, &st) == 0)
        d_size = uint64_t(st.st_size);
    return d_size;
}

void mapped_file::unmap()
{
    if (d_map != nullptr) {
        ::munmap(const_cast<unsigned char*>(d_map), d_map_len);
        d_map = nullptr;
        d_map_len = 0;
    }
}

void mapped_file::map_window(uint64_t offset)
{
    const uint64_t start = offset / d_page * d_page;
    if (d_map != nullptr && d_drop_cache && start > d_map_start) {
        // Everything before the new window has been read.
        posix_fadvise(
            d_fd, off_t(d_map_start), off_t(start - d_map_start), POSIX_FADV_DONTNEED);
    }
    unmap();
    const size_t len = size_t(std::min<uint64_t>(d_window, d_size - start));
    void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, d_fd, off_t(start));
    if (p == MAP_FAILED)
        throw std::runtime_error("mmap_file_source: mmap of '" + d_path + "' at byte " +
                                 std::to_string(start) +
                                 " failed: " + std::strerror(errno));
    d_map = static_cast<const unsigned char*>(p);
    d_map_start = start;
    d_map_len = len;
    ++d_remaps;
    ::madvise(p, len, MADV_SEQUENTIAL);
    ::madvise(p, len, MADV_WILLNEED);
    // Read ahead the window after this one while this one is copied.
    const uint64_t next = start + len;
    if (next < d_size)
        posix_fadvise(d_fd,
                      off_t(next),
                      off_t(std::min<uint64_t>(d_window, d_size - next)),
                      POSIX_FADV_WILLNEED);
}

size_t mapped_file::copy(uint64_t offset, void* dst, size_t nbytes)
{
    auto* out = static_cast<unsigned char*>(dst);
    size_t done = 0;
    uint64_t faulted_at = UINT64_MAX;
    while (done < nbytes) {
        const uint64_t pos = offset + done;
        if (pos >= d_size)
            break;
        if (d_map == nullptr || pos < d_map_start || pos >= d_map_start + d_map_len)
            map_window(pos);
        const size_t avail = size_t(d_map_start + d_map_len - pos);
        const size_t n = std::min(nbytes - done, avail);
        if (!guarded_memcpy(out + done, d_map + (pos - d_map_start), n)) {
            // The file shrank below this window (or its storage failed): drop the
            // mapping, learn the new size and copy again what still exists, once.
            unmap();
            refresh_size();
            if (faulted_at == pos)
                break;
            faulted_at = pos;
            continue;
        }
        done += n;
    }
    return done;
}

} // namespace streamproc
} // namespace gr
