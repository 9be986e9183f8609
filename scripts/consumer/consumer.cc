// Uses the installed gr-streamproc from another CMake project: reads a file with
// mmap_file_source and compares with its bytes, then filters it with ols_fir_fff and
// compares with a direct convolution.
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/streamproc/mmap_file_source.h>
#include <gnuradio/streamproc/ols_fir.h>
#include <gnuradio/top_block.h>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    std::ifstream f(argv[1], std::ios::binary);
    const std::vector<unsigned char> ref((std::istreambuf_iterator<char>(f)),
                                         std::istreambuf_iterator<char>());
    auto tb = gr::make_top_block("consumer");
    auto src = gr::streamproc::mmap_file_source::make(1, argv[1]);
    auto sink = gr::blocks::vector_sink_b::make();
    tb->connect(src, 0, sink, 0);
    tb->run();
    if (sink->data() != ref) {
        std::cerr << "consumer: mmap_file_source output differs from the file\n";
        return 1;
    }

    std::vector<float> x(5000);
    for (size_t i = 0; i < x.size(); ++i)
        x[i] = float(ref[i % ref.size()]) - 128.0f;
    const std::vector<float> taps = { 0.25f, 0.5f, -0.125f };
    auto tb2 = gr::make_top_block("consumer_fir");
    auto vsrc = gr::blocks::vector_source_f::make(x);
    auto fir = gr::streamproc::ols_fir_fff::make(1, taps);
    auto vsink = gr::blocks::vector_sink_f::make();
    tb2->connect(vsrc, 0, fir, 0);
    tb2->connect(fir, 0, vsink, 0);
    tb2->run();
    const auto y = vsink->data();
    if (y.size() != x.size()) {
        std::cerr << "consumer: ols_fir_fff gave " << y.size() << " outputs\n";
        return 1;
    }
    for (size_t j = 0; j < x.size(); ++j) {
        double acc = 0.0;
        for (size_t k = 0; k < taps.size() && k <= j; ++k)
            acc += taps[k] * x[j - k];
        if (std::abs(acc - y[j]) > 1e-3) {
            std::cerr << "consumer: ols_fir_fff output " << j << " is " << y[j]
                      << ", expected " << acc << "\n";
            return 1;
        }
    }
    std::cout << "consumer OK: " << ref.size() << " bytes, " << y.size() << " filtered\n";
    return 0;
}
