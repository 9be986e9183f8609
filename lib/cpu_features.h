/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef INCLUDED_STREAMPROC_CPU_FEATURES_H
#define INCLUDED_STREAMPROC_CPU_FEATURES_H

/*
 * The instruction sets our hand-written kernels need (GCC target attributes, picked
 * at run time): STREAMPROC_X86_SIMD says the compiler can build them at all, the
 * functions say whether this CPU runs them. Everything else goes through VOLK.
 */

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define STREAMPROC_X86_SIMD 1
#include <immintrin.h>
#endif

namespace gr {
namespace streamproc {
namespace cpu {

//! AVX (the detector's chunk sums, the STFT's split).
inline bool has_avx()
{
#ifdef STREAMPROC_X86_SIMD
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx");
#else
    return false;
#endif
}

//! AVX2 and FMA (the FIR kernels).
inline bool has_avx2_fma()
{
#ifdef STREAMPROC_X86_SIMD
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

} // namespace cpu
} // namespace streamproc
} // namespace gr

#endif /* INCLUDED_STREAMPROC_CPU_FEATURES_H */
