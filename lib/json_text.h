/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_JSON_TEXT_H
#define INCLUDED_STREAMPROC_JSON_TEXT_H

#include <nlohmann/json.hpp>
#include <string>

namespace gr {
namespace streamproc {

/*!
 * The one printer of every JSON text the module writes (event lines, burst index lines,
 * SigMF metadata): the text Python's json.dumps() gives for the same values, so a file
 * written by a block and one rewritten by the Python package (the batch merge) are the
 * same bytes on any machine.
 *
 * - a double: Python's repr(): the shortest digits that read back as the same double
 *   (std::to_chars), fixed notation when the decimal exponent is in [-4, 16) with at
 *   least one digit after the point ("3420.0", "0.0005"), else d.ddde+XX ("1e-05",
 *   "1.5e+16"); null for NaN and infinities (JSON has none);
 * - a string: UTF-8 kept as it is (ensure_ascii=False), invalid bytes as U+FFFD, '"'
 *   '\\' and \b \f \n \r \t escaped by name, other control characters as \u00XX;
 * - objects with their keys in byte order (sort_keys=True; nlohmann keeps them so).
 */
void append_json_number(std::string& out, double v);
void append_json_string(std::string& out, const std::string& s);

//! The separators of json.dumps(): Python's default (", " and ": ", the event lines),
//! compact (separators=(",", ":"), the index lines), or indent=1 (SigMF metadata).
enum class json_layout { spaced, compact, indent1 };

void append_json(std::string& out, const nlohmann::json& v, json_layout layout);
std::string json_text(const nlohmann::json& v, json_layout layout = json_layout::compact);

} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_JSON_TEXT_H */
