/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * fir-methods: the engine's cost per output of each FIR method (overlap-save at the
 * automatic size, the direct form) for each kind, tap count and decimation, next to
 * the model choose_method() uses; the measurements behind the constants in
 * ols_engine.cc and the crossover in docs/ols_fir.md. Not a test: run from the build
 * tree, `lib/fir-methods` (all), `lib/fir-methods --short`, `lib/fir-methods KIND TAPS
 * D` (one row) or `lib/fir-methods --sweep KIND TAPS D` (overlap-save at every FFT size
 * the automatic choice considers, measured beside the model: checks the size it picks).
 */

#include "ols_engine.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace gr::streamproc;

namespace {

template <class T>
std::vector<T> make_taps(size_t n, bool complex_taps, std::mt19937& rng)
{
    std::normal_distribution<float> g;
    std::vector<T> h(n);
    for (auto& t : h) {
        if constexpr (std::is_same<T, float>::value)
            t = g(rng);
        else
            t = T(g(rng), complex_taps ? g(rng) : 0.0f);
    }
    return h;
}

// ns per output of the engine filtering a 2 M-sample array, best of 5 passes
template <class T>
double ns_per_output(ols_engine<T>& e, const std::vector<T>& x)
{
    const size_t n_new = x.size() - (e.ntaps() - 1);
    std::vector<T> out(n_new / e.decimation() + 1);
    double best = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        const size_t n = e.filter(x.data(), n_new, out.data());
        const double dt = std::chrono::duration<double, std::nano>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
        best = std::min(best, dt / double(n));
    }
    return best;
}

template <class T>
void row(const char* kind, size_t L, unsigned D, bool complex_taps, std::mt19937& rng)
{
    constexpr bool cplx = !std::is_same<T, float>::value;
    std::vector<T> x = make_taps<T>((size_t(1) << 21) + L, true, rng);
    const auto h = make_taps<T>(L, complex_taps, rng);
    ols_engine<T> ols(h, D, 0, fir_method::overlap_save);
    ols_engine<T> dir(h, D, 0, fir_method::direct);
    const double t_ols = ns_per_output(ols, x), t_dir = ns_per_output(dir, x);
    const double m_ols = ols_engine<T>::overlap_save_cost(L, D, cplx, ols.fft_size());
    const double m_dir = ols_engine<T>::direct_cost(L, D, cplx, complex_taps);
    const auto pick = ols_engine<T>::choose_method(L, D, cplx, complex_taps);
    std::printf("%s %5zu %5u %7zu %10.3f %10.3f %10.3f %10.3f %8s %8s\n",
                kind,
                L,
                D,
                ols.fft_size(),
                t_ols,
                m_ols,
                t_dir,
                m_dir,
                t_dir < t_ols ? "direct" : "ols",
                pick == fir_method::direct ? "direct" : "ols");
}

// 2^a 3^b 5^c
bool smooth(size_t n)
{
    for (size_t p : { 2, 3, 5 })
        while (n % p == 0)
            n /= p;
    return n == 1;
}

// overlap-save at each FFT size N = k D (N/D smooth, N even, N < 32 x the taps or 4096)
template <class T>
void sweep(size_t L, unsigned D, bool complex_taps)
{
    constexpr bool cplx = !std::is_same<T, float>::value;
    std::mt19937 rng(1);
    std::vector<T> x = make_taps<T>((size_t(1) << 21) + L, true, rng);
    const auto h = make_taps<T>(L, complex_taps, rng);
    const size_t chosen = ols_engine<T>::choose_fft_size(L, D, cplx);
    std::printf("   fft  ols ns/out   model  (chosen by the model: %zu)\n", chosen);
    const size_t hi = std::max<size_t>(32 * L, 4096);
    for (size_t n = L + D; n <= hi; ++n) {
        if (n % D != 0 || n % 2 != 0 || !smooth(n / D) || (D > 1 && n / D < 16))
            continue;
        ols_engine<T> e(h, D, n, fir_method::overlap_save);
        std::printf("%6zu %10.3f %10.3f%s\n",
                    n,
                    ns_per_output(e, x),
                    ols_engine<T>::overlap_save_cost(L, D, cplx, n),
                    n == chosen ? "  <- chosen" : "");
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 5 && std::string(argv[1]) == "--sweep") {
        const std::string kind = argv[2];
        const size_t L = size_t(std::atol(argv[3]));
        const unsigned D = unsigned(std::atol(argv[4]));
        if (kind == "fff")
            sweep<float>(L, D, false);
        else
            sweep<gr_complex>(L, D, kind == "ccc");
        return 0;
    }
    std::vector<size_t> taps = { 1, 2, 3, 5, 7, 9, 13, 17, 25, 33, 65, 129, 257, 1025 };
    std::vector<unsigned> decims = { 1, 2, 3, 4, 8, 16, 32, 64, 256 };
    if (argc == 4) { // one row: fir-methods fff|ccf|ccc TAPS D
        std::mt19937 rng(1);
        const std::string kind = argv[1];
        const size_t L = size_t(std::atol(argv[2]));
        const unsigned D = unsigned(std::atol(argv[3]));
        if (kind == "fff")
            row<float>("fff ", L, D, false, rng);
        else
            row<gr_complex>(kind == "ccc" ? "ccc " : "ccf ", L, D, kind == "ccc", rng);
        return 0;
    }
    if (argc > 1 && std::string(argv[1]) == "--short") {
        taps = { 3, 9, 33, 129 };
        decims = { 1, 8, 64 };
    }
    std::mt19937 rng(1);
    std::printf("kind  taps     D     fft  ols ns/out   model     dir ns/out   model    "
                "faster   chosen\n");
    for (size_t L : taps)
        for (unsigned D : decims) {
            row<float>("fff ", L, D, false, rng);
            row<gr_complex>("ccf ", L, D, false, rng);
            row<gr_complex>("ccc ", L, D, true, rng);
        }
    return 0;
}
