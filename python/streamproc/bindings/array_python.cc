/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// The array half's engines (include/gnuradio/streamproc/array.h), bound by hand: they
// are plain classes, not blocks. Arrays are taken without a copy (C-contiguous, the
// exact dtype: the Python layer, streamproc.runners.arrays, converts), and the GIL is
// released while the C++ runs.

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <gnuradio/streamproc/array.h>
#include <system_error>
#include <stdexcept>
#include <string>

namespace py = pybind11;
namespace sa = gr::streamproc::array;

namespace {

// A C-contiguous array's data and item count, checked against the item size wanted.
template <class T>
T* data_of(py::array& a, const char* what, size_t need, bool writable)
{
    if (!(a.flags() & py::array::c_style))
        throw py::value_error(std::string(what) + " must be C-contiguous");
    if (writable && !a.writeable())
        throw py::value_error(std::string(what) + " is read-only");
    if (size_t(a.itemsize()) != sizeof(T) && sizeof(T) != 1)
        throw py::value_error(std::string(what) + " has items of " +
                              std::to_string(a.itemsize()) + " bytes, " +
                              std::to_string(sizeof(T)) + " wanted");
    const size_t have = size_t(a.nbytes()) / sizeof(T);
    if (have < need)
        throw py::value_error(std::string(what) + " holds " + std::to_string(have) +
                              " items, " + std::to_string(need) + " needed");
    return static_cast<T*>(writable ? a.mutable_data() : const_cast<void*>(a.data()));
}

template <class T>
size_t items(const py::array& a)
{
    return size_t(a.nbytes()) / sizeof(T);
}

template <class T>
void bind_fir(py::module& m, const char* name)
{
    using C = sa::fir_stream<T>;
    py::class_<C>(m, name)
        .def(py::init<const std::vector<T>&, unsigned, const std::string&, size_t>(),
             py::arg("taps"),
             py::arg("decimation") = 1,
             py::arg("method") = "auto",
             py::arg("chunk") = 262144)
        .def("outputs_for", &C::outputs_for, py::arg("n"))
        .def(
            "process",
            [](C& s, py::array in, py::array out) {
                const size_t n = items<T>(in);
                const T* i = data_of<T>(in, "the input chunk", n, false);
                T* o = data_of<T>(out, "out", s.outputs_for(n), true);
                py::gil_scoped_release nogil;
                return s.process(i, n, o);
            },
            py::arg("x"),
            py::arg("out"))
        .def(
            "finish",
            [](C& s, py::array out) {
                T* o = data_of<T>(out, "out", s.remaining(), true);
                return s.finish(o);
            },
            py::arg("out"))
        .def("remaining", &C::remaining)
        .def("ntaps", &C::ntaps)
        .def("decimation", &C::decimation)
        .def("method", &C::method)
        .def("fft_size", &C::fft_size)
        .def("chunk", &C::chunk);
}

template <class T>
void bind_detector(py::module& m, const char* name)
{
    using C = sa::detector_stream<T>;
    py::class_<C>(m, name)
        .def(py::init<const sa::detect_settings&>(), py::arg("settings"))
        .def(
            "process",
            [](C& s, py::array in) {
                const size_t n = items<T>(in);
                const T* i = data_of<T>(in, "the input chunk", n, false);
                py::gil_scoped_release nogil;
                s.process(i, n);
            },
            py::arg("x"))
        .def("finish", &C::finish, py::call_guard<py::gil_scoped_release>())
        .def("take_events", &C::take_events)
        .def("samples", &C::samples);
}

template <class T>
void bind_stft(py::module& m, const char* name)
{
    using C = sa::stft_frames<T>;
    py::class_<C>(m, name)
        .def(py::init<size_t, size_t, const std::vector<float>&, bool>(),
             py::arg("fft_size"),
             py::arg("hop"),
             py::arg("window"),
             py::arg("shift_or_onesided"))
        .def("nbins", &C::nbins)
        .def("span", &C::span, py::arg("nframes"))
        .def(
            "transform",
            [](C& s, py::array in, size_t nframes, py::array out) {
                const T* i = data_of<T>(in, "the input chunk", s.span(nframes), false);
                auto* o = data_of<gr_complex>(out, "out", nframes * s.nbins(), true);
                py::gil_scoped_release nogil;
                s.transform(i, nframes, o);
            },
            py::arg("x"),
            py::arg("nframes"),
            py::arg("out"));
}

template <class T>
void bind_power(py::module& m, const char* name)
{
    using C = sa::power_sum<T>;
    py::class_<C>(m, name)
        .def(py::init<size_t, size_t, const std::vector<float>&, bool>(),
             py::arg("fft_size"),
             py::arg("hop"),
             py::arg("window"),
             py::arg("detrend"))
        .def("nbins", &C::nbins)
        .def("span", &C::span, py::arg("nframes"))
        .def(
            "add",
            [](C& s, py::array in, size_t nframes, py::array acc) {
                const T* i = data_of<T>(in, "the input chunk", s.span(nframes), false);
                auto* a = data_of<double>(acc, "acc", s.nbins(), true);
                py::gil_scoped_release nogil;
                s.add(i, nframes, a);
            },
            py::arg("x"),
            py::arg("nframes"),
            py::arg("acc"));
}

py::dict layout_dict(const sa::fft_layout& l)
{
    py::dict d;
    d["n"] = l.n;
    d["in_memory"] = l.in_memory;
    d["n1"] = l.n1;
    d["n2"] = l.n2;
    d["columns"] = l.columns;
    d["rows"] = l.rows;
    d["passes"] = l.passes;
    return d;
}

} // namespace

void bind_array(py::module& parent)
{
    py::module m = parent.def_submodule(
        "array", "The engines of the blocks on arrays (streamproc.runners.arrays)");
    // a failed read or write of a file (a full disk): OSError(errno, message)
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p)
                std::rethrow_exception(p);
        } catch (const std::system_error& e) {
            py::object err =
                py::module::import("builtins")
                    .attr("OSError")(e.code().value(), std::string(e.what()));
            PyErr_SetObject(PyExc_OSError, err.ptr());
        }
    });

    py::class_<sa::sample_reader>(m, "sample_reader")
        .def(py::init<const std::string&, double, double>(),
             py::arg("datatype"),
             py::arg("scale") = 1.0,
             py::arg("offset") = 0.0)
        .def("is_complex", &sa::sample_reader::is_complex)
        .def("file_bytes", &sa::sample_reader::file_bytes)
        .def(
            "read",
            [](sa::sample_reader& r, py::array src, py::array out) {
                const size_t n = size_t(src.nbytes()) / r.file_bytes();
                const auto* s = data_of<unsigned char>(src, "the samples", 0, false);
                if (r.is_complex()) {
                    auto* o = data_of<gr_complex>(out, "out", n, true);
                    py::gil_scoped_release nogil;
                    r.read(s, n, o);
                } else {
                    auto* o = data_of<float>(out, "out", n, true);
                    py::gil_scoped_release nogil;
                    r.read(s, n, o);
                }
                return n;
            },
            py::arg("src"),
            py::arg("out"));

    using S = sa::detect_settings;
    py::class_<S>(m, "detect_settings")
        .def(py::init<>())
        .def_readwrite("window", &S::window)
        .def_readwrite("threshold_db", &S::threshold_db)
        .def_readwrite("relative", &S::relative)
        .def_readwrite("hysteresis_db", &S::hysteresis_db)
        .def_readwrite("min_duration", &S::min_duration)
        .def_readwrite("merge_gap", &S::merge_gap)
        .def_readwrite("max_duration", &S::max_duration)
        .def_readwrite("sample_rate", &S::sample_rate)
        .def_readwrite("floor_horizon", &S::floor_horizon)
        .def_readwrite("fixed_floor", &S::fixed_floor)
        .def_readwrite("floor_db", &S::floor_db)
        .def_readwrite("min_floor", &S::min_floor)
        .def_readwrite("taps", &S::taps)
        .def_readwrite("decimation", &S::decimation)
        .def_readwrite("prefilter", &S::prefilter);
    bind_detector<float>(m, "detector_stream_f");
    bind_detector<gr_complex>(m, "detector_stream_c");
    bind_fir<float>(m, "fir_stream_f");
    bind_fir<gr_complex>(m, "fir_stream_c");
    bind_stft<float>(m, "stft_frames_f");
    bind_stft<gr_complex>(m, "stft_frames_c");
    bind_power<float>(m, "power_sum_f");
    bind_power<gr_complex>(m, "power_sum_c");

    m.def(
        "plan_fft",
        [](uint64_t n, uint64_t max_memory, bool out_in_memory) {
            return layout_dict(sa::plan_fft(n, max_memory, out_in_memory));
        },
        py::arg("n"),
        py::arg("max_memory"),
        py::arg("out_in_memory") = true);
    m.def(
        "fft",
        [](py::object src,
           int src_fd,
           uint64_t src_offset,
           sa::sample_reader& reader,
           uint64_t n,
           py::object out,
           int out_fd,
           uint64_t out_offset,
           int scratch_fd,
           bool inverse,
           uint64_t max_memory,
           const sa::progress_fn& progress) {
            const unsigned char* s = nullptr;
            if (!src.is_none()) {
                py::array sa_ = src.cast<py::array>();
                s = data_of<unsigned char>(sa_, "the samples", 0, false);
                if (size_t(sa_.nbytes()) < n * reader.file_bytes())
                    throw py::value_error("the samples hold fewer than n items");
            }
            sa::fft_store o, sc;
            if (!out.is_none()) {
                py::array oa = out.cast<py::array>();
                o.ptr = data_of<gr_complex>(oa, "out", n, true);
            } else {
                o.fd = out_fd;
                o.offset = out_offset;
            }
            sc.fd = scratch_fd;
            sc.what = "scratch file";
            sa::fft_layout res;
            {
                py::gil_scoped_release nogil;
                res = sa::fft(s,
                              src_fd,
                              src_offset,
                              reader,
                              n,
                              o,
                              sc,
                              inverse,
                              max_memory,
                              progress);
            }
            return layout_dict(res);
        },
        py::arg("src"),
        py::arg("src_fd"),
        py::arg("src_offset"),
        py::arg("reader"),
        py::arg("n"),
        py::arg("out"),
        py::arg("out_fd"),
        py::arg("out_offset"),
        py::arg("scratch_fd"),
        py::arg("inverse"),
        py::arg("max_memory"),
        py::arg("progress") = sa::progress_fn());
}
