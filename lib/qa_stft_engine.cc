/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// The framing engine against a direct DFT in double precision.

#include "stft_engine.h"
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cmath>
#include <complex>
#include <random>
#include <stdexcept>
#include <vector>

namespace gr {
namespace streamproc {

namespace {
std::complex<double> as_cd(float x) { return { double(x), 0.0 }; }
std::complex<double> as_cd(gr_complex x)
{
    return { double(x.real()), double(x.imag()) };
}

template <class T>
std::vector<T> noise(size_t n, unsigned seed);
template <>
std::vector<float> noise<float>(size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    std::vector<float> v(n);
    for (auto& x : v)
        x = d(rng);
    return v;
}
template <>
std::vector<gr_complex> noise<gr_complex>(size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    std::vector<gr_complex> v(n);
    for (auto& x : v)
        x = gr_complex(d(rng), d(rng));
    return v;
}

std::vector<float> hann(size_t n)
{
    std::vector<float> w(n);
    for (size_t i = 0; i < n; ++i)
        w[i] = float(0.5 - 0.5 * std::cos(2 * M_PI * double(i) / double(n)));
    return w;
}

template <class T>
void check_frames(size_t n, size_t hop, size_t nframes, unsigned seed)
{
    const auto w = hann(n);
    const auto x = noise<T>((nframes - 1) * hop + n, seed);
    stft_engine<T> eng(n, hop, w, 4);
    for (size_t f0 = 0; f0 < nframes; f0 += eng.batch()) {
        const size_t nf = std::min(eng.batch(), nframes - f0);
        const gr_complex* out = eng.transform(x.data() + f0 * hop, nf);
        for (size_t f = 0; f < nf; ++f) {
            double err = 0.0, mag = 0.0;
            for (size_t k = 0; k < eng.nbins(); ++k) {
                std::complex<double> acc = 0.0;
                for (size_t i = 0; i < n; ++i)
                    acc += as_cd(x[(f0 + f) * hop + i]) * double(w[i]) *
                           std::polar(1.0, -2.0 * M_PI * double(k * i % n) / double(n));
                err = std::max(err, std::abs(acc - as_cd(out[f * eng.nbins() + k])));
                mag = std::max(mag, std::abs(acc));
            }
            CPPUNIT_ASSERT_MESSAGE("n=" + std::to_string(n) +
                                       " hop=" + std::to_string(hop),
                                   err <= 1e-4 * mag);
        }
    }
}
} // namespace

class qa_stft_engine : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(qa_stft_engine);
    CPPUNIT_TEST(test_complex_frames);
    CPPUNIT_TEST(test_real_frames);
    CPPUNIT_TEST(test_psd_scaling);
    CPPUNIT_TEST(test_bad_arguments);
    CPPUNIT_TEST_SUITE_END();

public:
    void test_complex_frames()
    {
        // overlap, no overlap, skip; full and partial batches (batch = 4)
        for (size_t hop : { 1, 16, 64, 100, 200 })
            check_frames<gr_complex>(64, hop, 7, unsigned(hop));
        check_frames<gr_complex>(100, 25, 5, 1); // not a power of two
    }

    void test_real_frames()
    {
        for (size_t hop : { 1, 32, 64, 128 })
            check_frames<float>(64, hop, 6, unsigned(hop) + 10);
        check_frames<float>(45, 10, 9, 2); // odd size
    }

    void test_psd_scaling()
    {
        // A frame of constant 1 with a rectangular window: X[0] = N, else 0.
        const size_t n = 8;
        const std::vector<float> rect(n, 1.0f);
        std::vector<gr_complex> spec(n, 0.0f);
        spec[0] = float(n);
        std::vector<float> out(n);
        size_t used = 0;
        psd_averager dens(
            n, n, 2, psd_averager::scaling_t::density, 4.0, false, false, false, rect);
        CPPUNIT_ASSERT_EQUAL(size_t(0), dens.add(spec.data(), 1, out.data(), 1, &used));
        CPPUNIT_ASSERT_EQUAL(size_t(1), dens.add(spec.data(), 1, out.data(), 1, &used));
        // density: |X|^2 / (fs * sum w^2) = 64 / (4 * 8) = 2
        CPPUNIT_ASSERT_DOUBLES_EQUAL(2.0, out[0], 1e-6);
        psd_averager spect(
            n, n, 1, psd_averager::scaling_t::spectrum, 4.0, false, true, true, rect);
        CPPUNIT_ASSERT_EQUAL(size_t(1), spect.add(spec.data(), 1, out.data(), 5, &used));
        // spectrum: 64 / 8^2 = 1 -> 0 dB, at the centre after fftshift
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.0, out[n / 2], 1e-5);
        CPPUNIT_ASSERT(std::isinf(out[0]) && out[0] < 0);
    }

    void test_bad_arguments()
    {
        const std::vector<float> w(16, 1.0f);
        CPPUNIT_ASSERT_THROW(stft_engine<float>(1, 1, std::vector<float>(1, 1.0f)),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(stft_engine<float>(16, 0, w), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(stft_engine<gr_complex>(17, 4, w), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(psd_averager::parse_scaling("psd"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(
            psd_averager(16, 16, 0, psd_averager::scaling_t::density, 1, 0, 0, 0, w),
            std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(qa_stft_engine, "qa_stft_engine");
CPPUNIT_TEST_SUITE_REGISTRATION(qa_stft_engine);

} // namespace streamproc
} // namespace gr
