/*
 * Copyright 2020 Free Software Foundation, Inc.
 *
 * This file is part of GNU Radio
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 */

#include <pybind11/pybind11.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

namespace py = pybind11;

// Headers for binding functions
/**************************************/
// The following comment block is used for
// gr_modtool to insert function prototypes
// Please do not delete
/**************************************/
// BINDING_FUNCTION_PROTOTYPES(
void bind_mmap_file_source(py::module& m);
void bind_ols_fir(py::module& m);
void bind_stft(py::module& m);
void bind_welch(py::module& m);
void bind_event_detector(py::module& m);
void bind_event_file_sink(py::module& m);
void bind_burst_extractor(py::module& m);
void bind_burst_file_sink(py::module& m);
void bind_array(py::module& m);
// ) END BINDING_FUNCTION_PROTOTYPES


// We need this hack because import_array() returns NULL
// for newer Python versions.
// This function is also necessary because it ensures access to the C API
// and removes a warning.
void* init_numpy()
{
    import_array();
    return NULL;
}

PYBIND11_MODULE(streamproc_python, m)
{
    // Initialize the numpy C API
    // (otherwise we will see segmentation faults)
    init_numpy();

    // Allow access to base block methods
    py::module::import("gnuradio.gr");

    /**************************************/
    // The following comment block is used for
    // gr_modtool to insert binding function calls
    // Please do not delete
    /**************************************/
    // BINDING_FUNCTION_CALLS(
    bind_mmap_file_source(m);
    bind_ols_fir(m);
    bind_stft(m);
    bind_welch(m);
    bind_event_detector(m);
    bind_event_file_sink(m);
    bind_burst_extractor(m);
    bind_burst_file_sink(m);
    bind_array(m);
    // ) END BINDING_FUNCTION_CALLS
}
