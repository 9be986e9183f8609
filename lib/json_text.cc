/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "json_text.h"
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace gr {
namespace streamproc {

namespace {

// Length of the valid UTF-8 sequence at s[i] (1-4), or 0 if it is not one.
size_t utf8_length(const std::string& s, size_t i)
{
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    size_t n;
    unsigned lo = 0x80, hi = 0xbf; // allowed range of the second byte
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; // no overlong forms
        if (c == 0xed)
            hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f; // <= U+10FFFF
    } else
        return 0;
    if (i + n > s.size())
        return 0;
    if (b(i + 1) < lo || b(i + 1) > hi)
        return 0;
    for (size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xbf)
            return 0;
    return n;
}

void newline(std::string& out, json_layout layout, int depth)
{
    if (layout != json_layout::indent1)
        return;
    out += '\n';
    out.append(size_t(depth), ' ');
}

void append_at(std::string& out, const nlohmann::json& v, json_layout layout, int depth)
{
    const char* item_sep = layout == json_layout::compact ? "," : ", ";
    const char* key_sep = layout == json_layout::compact ? ":" : ": ";
    if (layout == json_layout::indent1)
        item_sep = ",";
    switch (v.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
        out += "null";
        return;
    case nlohmann::json::value_t::boolean:
        out += v.get<bool>() ? "true" : "false";
        return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: {
        char buf[24];
        const auto r = v.is_number_unsigned()
                           ? std::to_chars(buf, buf + sizeof buf, v.get<uint64_t>())
                           : std::to_chars(buf, buf + sizeof buf, v.get<int64_t>());
        out.append(buf, r.ptr);
        return;
    }
    case nlohmann::json::value_t::number_float:
        append_json_number(out, v.get<double>());
        return;
    case nlohmann::json::value_t::string:
        append_json_string(out, v.get_ref<const std::string&>());
        return;
    case nlohmann::json::value_t::binary:
        out += "null";
        return;
    case nlohmann::json::value_t::array: {
        if (v.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        bool first = true;
        for (const auto& e : v) {
            if (!first)
                out += item_sep;
            first = false;
            newline(out, layout, depth + 1);
            append_at(out, e, layout, depth + 1);
        }
        newline(out, layout, depth);
        out += ']';
        return;
    }
    case nlohmann::json::value_t::object: {
        if (v.empty()) {
            out += "{}";
            return;
        }
        out += '{';
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!first)
                out += item_sep;
            first = false;
            newline(out, layout, depth + 1);
            append_json_string(out, it.key());
            out += key_sep;
            append_at(out, it.value(), layout, depth + 1);
        }
        newline(out, layout, depth);
        out += '}';
        return;
    }
    }
}

} // namespace

void append_json_number(std::string& out, double v)
{
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    // shortest round-trip digits and exponent: "-d.ddde+XX"
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    *r.ptr = '\0';
    const char* p = buf;
    if (*p == '-') {
        out += '-';
        ++p;
    }
    const char* e = std::strchr(p, 'e');
    std::string digits;
    for (const char* q = p; q < e; ++q)
        if (*q != '.')
            digits += *q;
    const int exp10 = std::atoi(e + 1);
    const int decpt = exp10 + 1; // digits before the point
    const int n = int(digits.size());
    if (exp10 >= -4 && exp10 < 16) {
        if (decpt <= 0) {
            out += "0.";
            out.append(size_t(-decpt), '0');
            out += digits;
        } else if (decpt >= n) {
            out += digits;
            out.append(size_t(decpt - n), '0');
            out += ".0";
        } else {
            out.append(digits, 0, size_t(decpt));
            out += '.';
            out.append(digits, size_t(decpt), std::string::npos);
        }
        return;
    }
    out += digits[0];
    if (n > 1) {
        out += '.';
        out.append(digits, 1, std::string::npos);
    }
    char ex[16]; // "e-324" at most; room for any int the compiler assumes
    std::snprintf(ex, sizeof ex, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += ex;
}

void append_json_string(std::string& out, const std::string& s)
{
    out += '"';
    for (size_t i = 0; i < s.size();) {
        const char c = s[i];
        const size_t n = utf8_length(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (n > 1) {
            out.append(s, i, n);
            i += n;
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
                out += buf;
            } else {
                out += c;
            }
        }
        ++i;
    }
    out += '"';
}

void append_json(std::string& out, const nlohmann::json& v, json_layout layout)
{
    append_at(out, v, layout, 0);
}

std::string json_text(const nlohmann::json& v, json_layout layout)
{
    std::string out;
    append_at(out, v, layout, 0);
    return out;
}

} // namespace streamproc
} // namespace gr
