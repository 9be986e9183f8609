/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// The overlap-save engine against a direct convolution in double precision.

#include "ols_engine.h"
#include "qa_random.h"
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cmath>
#include <complex>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace gr {
namespace streamproc {

namespace {

using qa::random_value;
using qa::random_vector;

// y[j] = sum_k h[k] x[j*D - k], x given with L-1 leading history samples.
template <class T>
std::vector<std::complex<double>>
reference(const std::vector<T>& x, const std::vector<T>& h, unsigned D, size_t nout)
{
    const size_t L = h.size();
    std::vector<std::complex<double>> y(nout);
    for (size_t j = 0; j < nout; ++j) {
        std::complex<double> acc = 0.0;
        for (size_t k = 0; k < L; ++k)
            acc +=
                std::complex<double>(h[k]) * std::complex<double>(x[L - 1 + j * D - k]);
        y[j] = acc;
    }
    return y;
}

template <class T>
double max_rel_error(const std::vector<T>& got,
                     const std::vector<std::complex<double>>& ref)
{
    double err = 0.0, power = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
        err = std::max(err, std::abs(std::complex<double>(got[i]) - ref[i]));
        power += std::norm(ref[i]);
    }
    const double rms = std::sqrt(power / std::max<size_t>(1, ref.size()));
    return err / std::max(rms, 1e-30);
}

template <class T>
void check_against_reference(
    size_t L, unsigned D, size_t nfft, size_t n_new, unsigned seed)
{
    const auto h = random_vector<T>(L, seed);
    const auto x = random_vector<T>(L - 1 + n_new, seed + 1);
    ols_engine<T> eng(h, D, nfft);
    std::vector<T> y(n_new / D + 1);
    const size_t nout = eng.filter(x.data(), n_new, y.data());
    CPPUNIT_ASSERT_EQUAL(n_new / D, nout);
    y.resize(nout);
    const double e = max_rel_error(y, reference(x, h, D, nout));
    if (!(e <= 1e-5)) {
        CPPUNIT_FAIL("L=" + std::to_string(L) + " D=" + std::to_string(D) +
                     " N=" + std::to_string(eng.fft_size()) + ": relative error " +
                     std::to_string(e));
    }
}

} // namespace

class qa_ols_engine : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(qa_ols_engine);
    CPPUNIT_TEST(test_real_auto_sizes);
    CPPUNIT_TEST(test_complex_auto_sizes);
    CPPUNIT_TEST(test_given_fft_sizes);
    CPPUNIT_TEST(test_partial_last_block);
    CPPUNIT_TEST(test_nan_stays_local);
    CPPUNIT_TEST(test_polyphase_mac);
    CPPUNIT_TEST(test_choose_fft_size);
    CPPUNIT_TEST(test_bad_arguments);
    CPPUNIT_TEST_SUITE_END();

public:
    void test_real_auto_sizes()
    {
        unsigned seed = 10;
        for (size_t L : { 1, 2, 33, 129, 1024, 1025 })
            for (unsigned D : { 1u, 2u, 3u, 4u, 7u, 8u, 10u, 16u })
                check_against_reference<float>(L, D, 0, 20000 + 37 * L, seed++);
    }

    void test_complex_auto_sizes()
    {
        unsigned seed = 100;
        for (size_t L : { 1, 2, 33, 129, 200, 1025 })
            for (unsigned D : { 1u, 2u, 3u, 4u, 7u, 8u, 10u, 16u })
                check_against_reference<gr_complex>(L, D, 0, 15000 + 29 * L, seed++);
    }

    void test_given_fft_sizes()
    {
        // smallest allowed (one output per block), odd N/D, non-smooth sizes
        check_against_reference<float>(33, 1, 33, 5000, 7);
        check_against_reference<float>(33, 3, 99, 5000, 8);  // N/D = 33, odd
        check_against_reference<float>(17, 2, 202, 5000, 9); // 2*101
        check_against_reference<gr_complex>(33, 3, 99, 5000, 10);
        check_against_reference<gr_complex>(40, 5, 1000, 5000, 11);
        check_against_reference<gr_complex>(129, 8, 8 * 97, 5000, 12); // N/D prime
        check_against_reference<float>(129, 64, 8192, 50000, 13);      // large D
        check_against_reference<gr_complex>(5, 64, 128, 5000, 14);     // N/D = 2
    }

    void test_partial_last_block()
    {
        // n_new not a multiple of anything: the last block is zero-padded
        for (size_t n_new : { 1, 2, 5, 999, 1001, 4097 })
            check_against_reference<float>(129, 2, 512, n_new, 20 + unsigned(n_new));
    }

    void test_nan_stays_local()
    {
        const size_t L = 33;
        const auto h = random_vector<float>(L, 1);
        auto x = random_vector<float>(L - 1 + 10000, 2);
        const size_t bad = L - 1 + 5000; // new sample 5000
        x[bad] = std::numeric_limits<float>::quiet_NaN();
        x[bad + 1000] = std::numeric_limits<float>::infinity();
        ols_engine<float> eng(h, 1, 256);
        std::vector<float> y(10000);
        eng.filter(x.data(), 10000, y.data());
        CPPUNIT_ASSERT(eng.direct_blocks() >= 2);
        // Outputs whose window [j-L+1, j] holds a bad sample are not finite; all
        // others match the reference.
        auto clean = x;
        clean[bad] = 0.0f;
        clean[bad + 1000] = 0.0f;
        const auto ref = reference(clean, h, 1, 10000);
        for (size_t j = 0; j < 10000; ++j) {
            const bool touched =
                (j >= 5000 && j < 5000 + L) || (j >= 6000 && j < 6000 + L);
            if (touched) {
                CPPUNIT_ASSERT(!std::isfinite(y[j]));
            } else {
                CPPUNIT_ASSERT(std::isfinite(y[j]));
                CPPUNIT_ASSERT(std::abs(y[j] - ref[j].real()) < 1e-4);
            }
        }
    }

    void test_polyphase_mac()
    {
        // Both kernels (AVX2 if present, and the portable loop) against double sums,
        // for sizes with and without a tail after the 16-complex SIMD blocks.
        for (size_t nd : { 1, 13, 16, 100, 256 })
            for (size_t D : { 1, 3, 8 }) {
                const auto X = random_vector<gr_complex>(nd * D, unsigned(nd + D));
                const auto G = random_vector<gr_complex>(nd * D, unsigned(nd * D + 1));
                std::vector<float> gr(2 * nd * D), gs(2 * nd * D);
                for (size_t i = 0; i < nd * D; ++i) {
                    gr[2 * i] = gr[2 * i + 1] = G[i].real();
                    gs[2 * i] = -G[i].imag();
                    gs[2 * i + 1] = G[i].imag();
                }
                for (bool simd : { true, false }) {
                    std::vector<gr_complex> acc(nd, gr_complex(99.0f, 99.0f));
                    detail::polyphase_mac(reinterpret_cast<float*>(acc.data()),
                                          reinterpret_cast<const float*>(X.data()),
                                          gr.data(),
                                          gs.data(),
                                          nd,
                                          D,
                                          simd);
                    for (size_t k = 0; k < nd; ++k) {
                        std::complex<double> ref = 0.0;
                        for (size_t p = 0; p < D; ++p)
                            ref += std::complex<double>(X[p * nd + k]) *
                                   std::complex<double>(G[p * nd + k]);
                        CPPUNIT_ASSERT(std::abs(std::complex<double>(acc[k]) - ref) <
                                       1e-5 * (1.0 + std::abs(ref)) * double(D));
                    }
                }
            }
    }

    void test_choose_fft_size()
    {
        for (size_t L : { 1, 33, 129, 1025, 4097 })
            for (unsigned D : { 1u, 2u, 3u, 7u, 8u, 10u, 11u }) {
                for (bool cplx : { false, true }) {
                    const size_t n = ols_engine<float>::choose_fft_size(L, D, cplx);
                    CPPUNIT_ASSERT(n >= L + D);
                    CPPUNIT_ASSERT_EQUAL(size_t(0), n % D);
                    CPPUNIT_ASSERT_EQUAL(size_t(0), n % 2);
                    // Overlap-save wastes the L-1 history samples of each FFT: the
                    // chosen size keeps that waste under half of the FFT, as
                    // fft_filter_*'s twice-the-next-power-of-two does (the cost model
                    // may trade a smaller FFT for fewer outputs per FFT, but never
                    // that far).
                    const size_t outputs = (n - L) / D + 1;
                    CPPUNIT_ASSERT(2 * outputs * D >= n);
                }
            }
        // A span limit is honoured or no size is returned.
        const size_t n = ols_engine<float>::choose_fft_size(129, 1, false, 600);
        CPPUNIT_ASSERT(n > 0);
        ols_engine<float> e(std::vector<float>(129, 1.0f), 1, n);
        CPPUNIT_ASSERT(e.block_inputs() + e.block_outputs() <= 600);
        CPPUNIT_ASSERT_EQUAL(size_t(0),
                             ols_engine<float>::choose_fft_size(129, 1, false, 131));
    }

    void test_bad_arguments()
    {
        CPPUNIT_ASSERT_THROW(ols_engine<float>(std::vector<float>{}, 1, 0),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ols_engine<float>(std::vector<float>(10, 1.0f), 0, 0),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ols_engine<float>(std::vector<float>(10, 1.0f), 1, 8),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ols_engine<float>(std::vector<float>(10, 1.0f), 3, 64),
                             std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(qa_ols_engine, "qa_ols_engine");
CPPUNIT_TEST_SUITE_REGISTRATION(qa_ols_engine);

} // namespace streamproc
} // namespace gr
