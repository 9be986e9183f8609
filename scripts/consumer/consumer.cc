// Reads a file with the installed mmap_file_source and compares with its bytes.
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/streamproc/mmap_file_source.h>
#include <gnuradio/top_block.h>
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
        std::cerr << "consumer: output differs from the file\n";
        return 1;
    }
    std::cout << "consumer OK: " << ref.size() << " bytes\n";
    return 0;
}
