/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_QA_RANDOM_H
#define INCLUDED_STREAMPROC_QA_RANDOM_H

// Seeded Gaussian test signals for the C++ suites (float or complex).

#include <gnuradio/gr_complex.h>
#include <type_traits>
#include <random>
#include <vector>

namespace gr {
namespace streamproc {
namespace qa {

template <class T>
T random_value(std::mt19937& rng)
{
    std::normal_distribution<float> n(0.0f, 1.0f);
    if constexpr (std::is_same<T, float>::value)
        return n(rng);
    else
        return T(n(rng), n(rng));
}

template <class T>
std::vector<T> random_vector(size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::vector<T> v(n);
    for (auto& x : v)
        x = random_value<T>(rng);
    return v;
}

} // namespace qa
} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_QA_RANDOM_H */
