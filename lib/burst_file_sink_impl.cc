/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "burst_file_sink_impl.h"
#include "json_text.h"
#include "pmt_values.h"
#include <gnuradio/io_signature.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

namespace gr {
namespace streamproc {

using json = nlohmann::json;

namespace {
const pmt::pmt_t k_port = pmt::mp("pdus");

bool write_all(int fd, const void* data, size_t n)
{
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return false;
        }
        p += w;
        n -= size_t(w);
    }
    return true;
}

json to_json(const pmt::pmt_t& v)
{
    if (pmt::is_bool(v))
        return pmt::to_bool(v);
    if (pmt::is_uint64(v))
        return pmt::to_uint64(v);
    if (pmt::is_integer(v))
        return pmt::to_long(v);
    if (pmt::is_real(v)) {
        const double d = pmt::to_double(v);
        return std::isfinite(d) ? json(d) : json(nullptr);
    }
    if (pmt::is_symbol(v))
        return pmt::symbol_to_string(v);
    if (pmt::is_tuple(v)) {
        json a = json::array();
        for (size_t i = 0; i < pmt::length(v); ++i)
            a.push_back(to_json(pmt::tuple_ref(v, i)));
        return a;
    }
    return pmt::write_string(v);
}

std::string trim_number(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    std::string s(buf);
    while (!s.empty() && s.back() == '0')
        s.pop_back();
    if (!s.empty() && s.back() == '.')
        s.pop_back();
    return s;
}

template <class OUT>
OUT quantise(float x, double scale, double offset, double lo, double hi)
{
    // round to nearest, ties to even (numpy's round), clipped to the type
    const double v = std::nearbyint(double(x) * scale + offset);
    return OUT(std::min(hi, std::max(lo, std::isnan(v) ? 0.0 : v)));
}
} // namespace

burst_file_sink::sptr burst_file_sink::make(const std::string& directory,
                                            const std::string& format,
                                            const std::string& prefix,
                                            bool overwrite)
{
    return gnuradio::make_block_sptr<burst_file_sink_impl>(
        directory, format, prefix, overwrite);
}

burst_file_sink_impl::burst_file_sink_impl(const std::string& directory,
                                           const std::string& format,
                                           const std::string& prefix,
                                           bool overwrite)
    : gr::block("burst_file_sink",
                gr::io_signature::make(0, 0, 0),
                gr::io_signature::make(0, 0, 0)),
      d_dir(directory),
      d_format(format),
      d_prefix(prefix),
      d_overwrite(overwrite)
{
    if (format != "cf32" && format != "ci16" && format != "cu8" && format != "sigmf")
        throw std::invalid_argument("burst_file_sink: format must be cf32, ci16, cu8 or "
                                    "sigmf, got '" +
                                    format + "'");
    if (prefix.empty() || prefix.find('/') != std::string::npos)
        throw std::invalid_argument(
            "burst_file_sink: prefix must be a non-empty file name part without '/'");
    struct stat st;
    if (::stat(directory.c_str(), &st) != 0) {
        // a directory that does not exist yet is made, with its parents (mkdir -p)
        std::error_code ec;
        std::filesystem::create_directories(directory, ec);
        if (ec)
            throw std::runtime_error("burst_file_sink: cannot create directory '" +
                                     directory + "': " + ec.message());
    }
    if (::stat(directory.c_str(), &st) != 0)
        throw std::runtime_error("burst_file_sink: directory '" + directory +
                                 "': " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode))
        throw std::runtime_error("burst_file_sink: '" + directory +
                                 "' is not a directory");
    if (::access(directory.c_str(), W_OK) != 0)
        throw std::runtime_error("burst_file_sink: directory '" + directory +
                                 "' is not writable: " + std::strerror(errno));
    const std::string index = d_dir + "/index.jsonl";
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
    d_index_fd = ::open(index.c_str(), flags, 0644);
    if (d_index_fd < 0)
        throw std::runtime_error(
            "burst_file_sink: " + index + ": " +
            (errno == EEXIST ? std::string("exists (pass overwrite to replace it)")
                             : std::string(std::strerror(errno))));
    message_port_register_in(k_port);
    set_msg_handler(k_port, [this](const pmt::pmt_t& msg) { handle(msg); });
}

burst_file_sink_impl::~burst_file_sink_impl()
{
    if (d_index_fd >= 0)
        ::close(d_index_fd);
}

std::string burst_file_sink_impl::error() const
{
    std::lock_guard<std::mutex> l(d_error_mutex);
    return d_error;
}

void burst_file_sink_impl::fail(const std::string& what)
{
    {
        std::lock_guard<std::mutex> l(d_error_mutex);
        if (!d_error.empty())
            return;
        d_error = what;
    }
    d_logger->error("{}; the files and index lines written before are whole, later "
                    "bursts are dropped",
                    what);
}

bool burst_file_sink_impl::write_file(const std::string& name, const void* data, size_t n)
{
    // a temporary name, renamed when complete: a failed write leaves no torn file
    const std::string path = d_dir + "/" + name;
    const std::string part = d_dir + "/." + name + ".part";
    if (!d_overwrite && ::access(path.c_str(), F_OK) == 0) {
        fail("burst_file_sink: " + path + " exists (pass overwrite to replace it)");
        return false;
    }
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fail("burst_file_sink: cannot create " + part + ": " + std::strerror(errno));
        return false;
    }
    const bool ok = write_all(fd, data, n);
    const int err = errno;
    if (::close(fd) != 0 || !ok) {
        fail("burst_file_sink: writing " + path +
             " failed: " + std::strerror(ok ? errno : err));
        ::unlink(part.c_str());
        return false;
    }
    if (::rename(part.c_str(), path.c_str()) != 0) {
        fail("burst_file_sink: renaming " + part + " failed: " + std::strerror(errno));
        ::unlink(part.c_str());
        return false;
    }
    return true;
}

void burst_file_sink_impl::handle(const pmt::pmt_t& msg)
{
    if (!error().empty()) {
        ++d_dropped;
        return;
    }
    if (!pmt::is_pair(msg) ||
        !(pmt::is_c32vector(pmt::cdr(msg)) || pmt::is_f32vector(pmt::cdr(msg)))) {
        if (d_dropped++ % 1000 == 0)
            d_logger->warn("ignoring a message that is not a PDU of c32 or f32 samples "
                           "({} so far)",
                           d_dropped.load());
        return;
    }
    const pmt::pmt_t meta =
        pmt::is_dict(pmt::car(msg)) ? pmt::car(msg) : pmt::make_dict();
    const pmt::pmt_t vec = pmt::cdr(msg);
    const bool cplx = pmt::is_c32vector(vec);
    size_t n = 0;
    const float* x = cplx
                         ? reinterpret_cast<const float*>(pmt::c32vector_elements(vec, n))
                         : pmt::f32vector_elements(vec, n);
    const size_t comps = n * (cplx ? 2 : 1);

    double id = 0.0, rate = 0.0, freq = 0.0;
    const uint64_t number_of =
        real_number(meta, "id", id) && id >= 0.0 ? uint64_t(id) : d_counter;
    ++d_counter;
    std::string name = d_prefix;
    char num[32];
    std::snprintf(num, sizeof num, "_%06llu", static_cast<unsigned long long>(number_of));
    name += num;
    const bool have_freq =
        real_number(meta, "rx_freq", freq) || real_number(meta, "freq", freq);
    if (have_freq)
        name += "_" + trim_number(freq / 1e6) + "M";
    const bool have_rate = real_number(meta, "sample_rate", rate) && rate > 0.0;
    if (have_rate)
        name += "_" + trim_number(rate / 1e3) + "k";

    // the samples in the file's format
    std::string ext;
    const void* data = x;
    size_t bytes = comps * sizeof(float);
    if (d_format == "cf32" || d_format == "sigmf") {
        ext = d_format == "sigmf" ? ".sigmf-data" : (cplx ? ".cf32" : ".f32");
    } else if (d_format == "ci16") {
        ext = cplx ? ".cs16" : ".s16";
        d_bytes.resize(comps * 2);
        auto* o = reinterpret_cast<int16_t*>(d_bytes.data());
        for (size_t i = 0; i < comps; ++i)
            o[i] = quantise<int16_t>(x[i], 32768.0, 0.0, -32768.0, 32767.0);
        data = d_bytes.data();
        bytes = d_bytes.size();
    } else { // cu8
        ext = cplx ? ".cu8" : ".u8";
        d_bytes.resize(comps);
        for (size_t i = 0; i < comps; ++i)
            d_bytes[i] = quantise<uint8_t>(x[i], 128.0, 127.5, 0.0, 255.0);
        data = d_bytes.data();
        bytes = d_bytes.size();
    }
    if (!write_file(name + ext, data, bytes)) {
        ++d_dropped;
        return;
    }

    json line;
    line["file"] = name + ext;
    const pmt::pmt_t items = pmt::dict_items(meta);
    for (size_t i = 0; i < pmt::length(items); ++i) {
        const pmt::pmt_t kv = pmt::nth(i, items);
        if (pmt::is_symbol(pmt::car(kv)))
            line[pmt::symbol_to_string(pmt::car(kv))] = to_json(pmt::cdr(kv));
    }
    if (d_format == "sigmf") {
        json g = { { "core:datatype", cplx ? "cf32_le" : "rf32_le" },
                   { "core:version", "1.0.0" },
                   { "core:description", "a burst cut out by gr-streamproc" } };
        if (have_rate)
            g["core:sample_rate"] = rate;
        json cap = { { "core:sample_start", 0 } };
        if (have_freq)
            cap["core:frequency"] = freq;
        const pmt::pmt_t t = pmt::dict_ref(meta, pmt::mp("rx_time"), pmt::PMT_NIL);
        if (pmt::is_tuple(t) && pmt::length(t) == 2 &&
            pmt::is_uint64(pmt::tuple_ref(t, 0))) {
            const time_t secs = time_t(pmt::to_uint64(pmt::tuple_ref(t, 0)));
            const double frac = pmt::to_double(pmt::tuple_ref(t, 1));
            struct tm tm;
            char when[64];
            gmtime_r(&secs, &tm);
            std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
            char f[16];
            std::snprintf(f, sizeof f, "%.6f", frac);
            cap["core:datetime"] = std::string(when) + (f + 1) + "Z";
        }
        double pre = 0.0, start = 0.0, end = 0.0;
        json ann = { { "core:sample_start",
                       real_number(meta, "pre", pre) ? uint64_t(pre) : 0 },
                     { "core:label", "event" } };
        if (real_number(meta, "stream_start", start) ||
            real_number(meta, "start", start)) {
            if (real_number(meta, "stream_end", end) || real_number(meta, "end", end))
                ann["core:sample_count"] = uint64_t(
                    std::min(end - start, double(n) - double(ann["core:sample_start"])));
        }
        for (auto it = line.begin(); it != line.end(); ++it)
            if (it.key() != "file")
                ann["streamproc:" + it.key()] = it.value();
        const json doc = { { "global", g },
                           { "captures", json::array({ cap }) },
                           { "annotations", json::array({ ann }) } };
        const std::string text = json_text(doc, json_layout::indent1) + "\n";
        if (!write_file(name + ".sigmf-meta", text.data(), text.size())) {
            ++d_dropped;
            return;
        }
    }
    const std::string text = json_text(line) + "\n";
    if (!write_all(d_index_fd, text.data(), text.size())) {
        fail("burst_file_sink: writing " + d_dir +
             "/index.jsonl failed: " + std::strerror(errno));
        ++d_dropped;
        return;
    }
    ++d_written;
}

bool burst_file_sink_impl::stop()
{
    if (d_written > 0 || d_dropped > 0)
        d_logger->info("{} bursts written to {}{}",
                       d_written.load(),
                       d_dir,
                       d_dropped > 0
                           ? " (" + std::to_string(d_dropped.load()) + " dropped)"
                           : std::string());
    return true;
}

} // namespace streamproc
} // namespace gr
