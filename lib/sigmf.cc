/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "json_text.h"
#include "sample_format.h"
#include "sigmf.h"
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gr {
namespace streamproc {

using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& file, const std::string& what)
{
    throw std::runtime_error("SigMF " + file + ": " + what);
}

std::string read_text(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        fail(path, std::string("cannot read the metadata: ") + std::strerror(errno));
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

uint64_t file_size(const std::string& path, const std::string& meta)
{
    struct stat st {
    };
    if (::stat(path.c_str(), &st) != 0)
        fail(meta, "the data file " + path + " cannot be read: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        fail(meta, "the data file " + path + " is not a regular file");
    return uint64_t(st.st_size);
}

// A POSIX tar archive: the offset and size of its members' data.
struct tar_member {
    std::string name;
    uint64_t offset = 0;
    uint64_t size = 0;
};

uint64_t octal(const char* p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && p[i]; ++i)
        if (p[i] >= '0' && p[i] <= '7')
            v = v * 8 + uint64_t(p[i] - '0');
    return v;
}

std::vector<tar_member> tar_members(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        fail(path, std::string("cannot read the archive: ") + std::strerror(errno));
    std::vector<tar_member> out;
    std::string pax_path;
    uint64_t pos = 0;
    char h[512];
    for (int guard = 0; guard < 100000; ++guard) {
        if (!f.read(h, 512))
            break;
        if (h[0] == '\0')
            break; // end of archive
        const uint64_t size = octal(h + 124, 12);
        const char type = h[156];
        std::string name(h, strnlen(h, 100));
        if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0')
            name = std::string(h + 345, strnlen(h + 345, 155)) + "/" + name;
        const uint64_t data = pos + 512;
        if (type == 'x') { // pax header: a long name in "path=" records
            std::string rec(size_t(std::min<uint64_t>(size, 1 << 20)), '\0');
            f.read(&rec[0], std::streamsize(rec.size()));
            const auto at = rec.find(" path=");
            if (at != std::string::npos)
                pax_path = rec.substr(at + 6, rec.find('\n', at) - at - 6);
        } else if (type == '0' || type == '\0') {
            out.push_back({ pax_path.empty() ? name : pax_path, data, size });
            pax_path.clear();
        }
        pos = data + (size + 511) / 512 * 512;
        f.clear();
        f.seekg(std::streamoff(pos));
    }
    return out;
}

template <class T>
T get_uint(const json& obj,
           const char* key,
           T def,
           const std::string& file,
           const std::string& where)
{
    const auto it = obj.find(key);
    if (it == obj.end())
        return def;
    if (!it->is_number_unsigned() &&
        !(it->is_number_integer() && it->get<int64_t>() >= 0))
        fail(file,
             where + std::string(key) + " must be a whole number >= 0, got " +
                 it->dump());
    return T(it->get<uint64_t>());
}

} // namespace

bool sigmf_recording::is_sigmf_path(const std::string& path)
{
    return ends_with(path, ".sigmf-meta") || ends_with(path, ".sigmf-data") ||
           ends_with(path, ".sigmf");
}

bool sigmf_recording::parse_datetime(const std::string& text,
                                     uint64_t& secs,
                                     double& frac)
{
    int y, mo, d, h, mi;
    double s;
    char tail[16] = { 0 };
    if (std::sscanf(
            text.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%15s", &y, &mo, &d, &h, &mi, &s, tail) <
        6)
        return false;
    const std::string z(tail);
    if (!(z == "Z" || z.empty() || z == "+00:00"))
        return false;
    if (!(s >= 0.0 && s < 61.0) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = int(s);
    const time_t t = timegm(&tm);
    if (t < 0)
        return false;
    secs = uint64_t(t);
    frac = s - std::floor(s);
    return true;
}

sigmf_recording::sigmf_recording(const std::string& path,
                                 const std::string& datatype_override)
    : d_override(datatype_override)
{
    std::string text;
    if (ends_with(path, ".sigmf")) {
        const auto members = tar_members(path);
        const tar_member* meta = nullptr;
        for (const auto& m : members)
            if (ends_with(m.name, ".sigmf-meta") && !meta)
                meta = &m;
        if (!meta)
            fail(path, "the archive holds no .sigmf-meta member");
        const std::string base = meta->name.substr(0, meta->name.size() - 11);
        const tar_member* data = nullptr;
        for (const auto& m : members)
            if (m.name == base + ".sigmf-data")
                data = &m;
        if (!data)
            fail(path, "the archive holds no " + base + ".sigmf-data member");
        std::ifstream f(path, std::ios::binary);
        f.seekg(std::streamoff(meta->offset));
        text.resize(size_t(meta->size));
        f.read(&text[0], std::streamsize(meta->size));
        d_meta_path = path + ":" + meta->name;
        d_data_path = path;
        d_data_offset = data->offset;
        d_data_bytes = data->size;
        parse(text);
        return;
    }
    const std::string stem = path.substr(0, path.rfind(".sigmf-"));
    d_meta_path = stem + ".sigmf-meta";
    text = read_text(d_meta_path);
    d_data_path = stem + ".sigmf-data";
    parse(text);
}

void sigmf_recording::parse(const std::string& text)
{
    try {
        parse_json(text);
    } catch (const json::exception& e) {
        // a field of an unexpected type deep inside: name it anyway
        fail(d_meta_path, std::string("malformed metadata: ") + e.what());
    }
}

void sigmf_recording::parse_json(const std::string& text)
{
    const std::string& file = d_meta_path;
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        fail(file, std::string("bad JSON: ") + e.what());
    }
    if (!doc.is_object() || !doc.contains("global") || !doc["global"].is_object())
        fail(file, "no \"global\" object");
    const json& global = doc["global"];
    if (!global.contains("core:datatype"))
        fail(file, "global has no core:datatype");
    if (!global["core:datatype"].is_string())
        fail(file,
             "core:datatype must be a string, got " + global["core:datatype"].dump());
    d_metadata_datatype = global["core:datatype"].get<std::string>();
    d_datatype = d_metadata_datatype;
    if (!d_override.empty() &&
        (!sample_format::valid(d_metadata_datatype) ||
         sample_format(d_override).name() != sample_format(d_metadata_datatype).name())) {
        d_warnings.push_back(file + ": read as " + d_override +
                             ", not as its core:datatype " + d_metadata_datatype);
        d_datatype = d_override;
    } else if (!sample_format::valid(d_datatype)) {
        fail(file,
             "core:datatype \"" + d_datatype +
                 "\" is not a SigMF datatype "
                 "((c|r)(f64|f32|i32|i16|i8|u32|u16|u8)(_le|_be))");
    }
    const auto rate = global.find("core:sample_rate");
    if (rate == global.end())
        d_warnings.push_back(file +
                             ": no core:sample_rate (times and frequencies need one)");
    else if (!rate->is_number() || !(rate->get<double>() > 0.0))
        d_warnings.push_back(file + ": core:sample_rate " + rate->dump() +
                             " is not a positive number; ignored");
    else
        d_sample_rate = rate->get<double>();
    const uint64_t channels =
        get_uint<uint64_t>(global, "core:num_channels", 1u, file, "global ");
    if (channels < 1 || channels > 1024)
        fail(file,
             "core:num_channels must be between 1 and 1024, got " +
                 std::to_string(channels));
    d_channels = unsigned(channels);
    d_core_offset = get_uint<uint64_t>(global, "core:offset", 0, file, "global ");
    d_trailing = get_uint<uint64_t>(global, "core:trailing_bytes", 0, file, "global ");
    if (global.contains("core:dataset")) {
        if (!global["core:dataset"].is_string())
            fail(file, "core:dataset must be a file name");
        if (d_data_offset != 0)
            fail(file, "core:dataset (a separate data file) inside an archive");
        const std::string ds = global["core:dataset"].get<std::string>();
        const auto slash = d_meta_path.rfind('/');
        d_data_path = (ds.size() && ds[0] == '/') || slash == std::string::npos
                          ? ds
                          : d_meta_path.substr(0, slash + 1) + ds;
    }
    if (d_data_offset == 0)
        d_data_bytes = file_size(d_data_path, file);

    const size_t sb = sample_format(d_datatype, 1.0, d_channels, 0).file_bytes();
    d_sample_bytes = sb;
    // captures: sorted by sample_start, each placed after the one before
    if (doc.contains("captures") && !doc["captures"].is_array())
        fail(file, "\"captures\" must be an array");
    uint64_t byte = 0, prev_start = 0;
    size_t i = 0;
    for (const auto& c : doc.value("captures", json::array())) {
        const std::string where = "captures[" + std::to_string(i++) + "] ";
        if (!c.is_object())
            fail(file, where + "is not an object");
        sigmf_capture cap;
        cap.sample_start = get_uint<uint64_t>(c, "core:sample_start", 0, file, where);
        cap.header_bytes = get_uint<uint64_t>(c, "core:header_bytes", 0, file, where);
        // (each sample takes at least one byte: this also keeps the sums below exact)
        if (cap.sample_start > d_data_bytes || cap.header_bytes > d_data_bytes)
            fail(file,
                 where + "core:sample_start " + std::to_string(cap.sample_start) +
                     " is past the end of the data (" + d_data_path + " holds " +
                     std::to_string(d_data_bytes) + " bytes)");
        if (cap.sample_start < prev_start)
            fail(file,
                 where + "core:sample_start " + std::to_string(cap.sample_start) +
                     " comes before the capture before it");
        byte += (cap.sample_start - prev_start) * sb + cap.header_bytes;
        cap.byte_start = byte;
        prev_start = cap.sample_start;
        if (c.contains("core:frequency")) {
            if (!c["core:frequency"].is_number())
                fail(file, where + "core:frequency must be a number");
            cap.has_frequency = true;
            cap.frequency = c["core:frequency"].get<double>();
        }
        if (c.contains("core:datetime")) {
            const json& t = c["core:datetime"];
            if (t.is_string()) {
                cap.datetime = t.get<std::string>();
                if (!parse_datetime(cap.datetime, cap.time_secs, cap.time_frac))
                    fail(file,
                         where + "core:datetime \"" + cap.datetime +
                             "\" is not an ISO 8601 UTC time");
                cap.has_time = true;
            } else if (t.is_number() && t.get<double>() >= 0 &&
                       t.get<double>() < 1.0e12) {
                const double v = t.get<double>();
                d_warnings.push_back(file + ": " + where + "core:datetime is a number (" +
                                     t.dump() + "), read as seconds since 1970");
                cap.has_time = true;
                cap.time_secs = uint64_t(v);
                cap.time_frac = v - std::floor(v);
            } else {
                fail(file, where + "core:datetime must be an ISO 8601 string");
            }
        }
        if (c.contains("core:global_index")) {
            cap.has_global_index = true;
            cap.global_index = get_uint<uint64_t>(c, "core:global_index", 0, file, where);
        }
        d_captures.push_back(cap);
    }
    if (d_captures.empty())
        d_captures.push_back(sigmf_capture{});
    const sigmf_capture& last = d_captures.back();
    if (d_trailing > d_data_bytes)
        fail(file,
             "core:trailing_bytes " + std::to_string(d_trailing) +
                 " is more than the data file holds (" + std::to_string(d_data_bytes) +
                 " bytes)");
    const uint64_t end = d_data_bytes - d_trailing;
    if (last.byte_start > end)
        fail(file,
             "capture at core:sample_start " + std::to_string(last.sample_start) +
                 " is past the end of the data (" + d_data_path + " holds " +
                 std::to_string(d_data_bytes) + " bytes)");
    d_samples = last.sample_start + (end - last.byte_start) / sb;
    if ((end - last.byte_start) % sb)
        d_warnings.push_back(file + ": the data ends in a partial sample (" +
                             std::to_string((end - last.byte_start) % sb) +
                             " bytes); ignored");

    if (doc.contains("annotations") && !doc["annotations"].is_array())
        fail(file, "\"annotations\" must be an array");
    i = 0;
    for (const auto& a : doc.value("annotations", json::array())) {
        const std::string where = "annotations[" + std::to_string(i++) + "] ";
        if (!a.is_object())
            fail(file, where + "is not an object");
        sigmf_annotation ann;
        if (!a.contains("core:sample_start"))
            fail(file, where + "has no core:sample_start");
        ann.sample_start = get_uint<uint64_t>(a, "core:sample_start", 0, file, where);
        ann.sample_count = get_uint<uint64_t>(a, "core:sample_count", 0, file, where);
        if (a.contains("core:label") && a["core:label"].is_string())
            ann.label = a["core:label"].get<std::string>();
        if (a.contains("core:comment") && a["core:comment"].is_string())
            ann.comment = a["core:comment"].get<std::string>();
        ann.json = json_text(a);
        d_annotations.push_back(ann);
    }
    std::sort(d_annotations.begin(),
              d_annotations.end(),
              [](const sigmf_annotation& x, const sigmf_annotation& y) {
                  return x.sample_start < y.sample_start;
              });
    d_global_json = json_text(global);
    d_meta_json = json_text(doc);
}

uint64_t sigmf_recording::byte_of(uint64_t s, uint64_t* contiguous) const
{
    // the last capture starting at or before s
    auto it = std::upper_bound(
        d_captures.begin(), d_captures.end(), s, [](uint64_t v, const sigmf_capture& c) {
            return v < c.sample_start;
        });
    const uint64_t sb = d_sample_bytes;
    uint64_t byte;
    if (it == d_captures.begin()) {
        byte = s * sb; // before the first capture: from the start of the data
    } else {
        const sigmf_capture& c = *(it - 1);
        byte = c.byte_start + (s - c.sample_start) * sb;
    }
    if (contiguous) {
        const uint64_t next = it == d_captures.end() ? d_samples : it->sample_start;
        *contiguous = next > s ? next - s : 0;
    }
    return byte;
}

namespace {
pmt::pmt_t to_pmt(const json& v)
{
    if (v.is_object()) {
        pmt::pmt_t d = pmt::make_dict();
        for (auto it = v.begin(); it != v.end(); ++it)
            d = pmt::dict_add(d, pmt::string_to_symbol(it.key()), to_pmt(it.value()));
        return d;
    }
    if (v.is_array()) {
        pmt::pmt_t l = pmt::PMT_NIL;
        for (auto it = v.rbegin(); it != v.rend(); ++it)
            l = pmt::cons(to_pmt(*it), l);
        return l;
    }
    if (v.is_string())
        return pmt::string_to_symbol(v.get<std::string>());
    if (v.is_boolean())
        return pmt::from_bool(v.get<bool>());
    if (v.is_number_unsigned())
        return pmt::from_uint64(v.get<uint64_t>());
    if (v.is_number_integer())
        return pmt::from_long(v.get<long>());
    if (v.is_number())
        return pmt::from_double(v.get<double>());
    return pmt::PMT_NIL;
}
} // namespace

pmt::pmt_t json_to_pmt(const std::string& text) { return to_pmt(json::parse(text)); }

} // namespace streamproc
} // namespace gr
