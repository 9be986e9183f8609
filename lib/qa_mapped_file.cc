/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// Tests of the sliding-window mmap engine against the file's own bytes.

#include "mapped_file.h"
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace gr {
namespace streamproc {

namespace {

std::string make_temp_dir()
{
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/qa_mapped_file.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    return std::string(buf.data());
}

std::vector<unsigned char> random_bytes(size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::vector<unsigned char> v(n);
    for (auto& b : v)
        b = static_cast<unsigned char>(rng());
    return v;
}

void write_file(const std::string& path, const std::vector<unsigned char>& data)
{
    FILE* f = std::fopen(path.c_str(), "wb");
    CPPUNIT_ASSERT(f != nullptr);
    CPPUNIT_ASSERT_EQUAL(data.size(), std::fwrite(data.data(), 1, data.size(), f));
    std::fclose(f);
}

// True if constructing a mapped_file on path throws runtime_error whose message
// contains every one of the given fragments.
bool throws_naming(const std::string& path, const std::vector<std::string>& fragments)
{
    try {
        mapped_file f(path);
    } catch (const std::runtime_error& e) {
        const std::string msg = e.what();
        for (const auto& frag : fragments)
            if (msg.find(frag) == std::string::npos)
                return false;
        return true;
    }
    return false;
}

} // namespace

class qa_mapped_file : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(qa_mapped_file);
    CPPUNIT_TEST(test_sequential_small_window);
    CPPUNIT_TEST(test_random_access_crosses_windows);
    CPPUNIT_TEST(test_window_rounding);
    CPPUNIT_TEST(test_drop_cache_same_bytes);
    CPPUNIT_TEST(test_bad_paths);
    CPPUNIT_TEST(test_truncated_underneath_no_sigbus);
    CPPUNIT_TEST(test_growth_seen_after_refresh);
    CPPUNIT_TEST_SUITE_END();

    std::string d_dir;

public:
    void setUp() override { d_dir = make_temp_dir(); }
    void tearDown() override
    {
        std::string cmd = "rm -rf '" + d_dir + "'";
        CPPUNIT_ASSERT_EQUAL(0, std::system(cmd.c_str()));
    }

    void test_sequential_small_window()
    {
        const auto data = random_bytes(1000003, 1); // odd size, not page multiple
        const std::string path = d_dir + "/seq.bin";
        write_file(path, data);
        mapped_file f(path, 8192);
        CPPUNIT_ASSERT_EQUAL(uint64_t(data.size()), f.size_bytes());
        std::vector<unsigned char> out(data.size());
        // chunks of awkward sizes (some smaller, some larger than the window)
        const size_t chunks[] = { 1, 7, 4095, 4097, 8192, 8193, 30001 };
        size_t pos = 0, i = 0;
        while (pos < data.size()) {
            const size_t n = std::min(chunks[i++ % 7], data.size() - pos);
            CPPUNIT_ASSERT_EQUAL(n, f.copy(pos, out.data() + pos, n));
            pos += n;
        }
        CPPUNIT_ASSERT(out == data);
        CPPUNIT_ASSERT(f.remaps() >= data.size() / 8192);
    }

    void test_random_access_crosses_windows()
    {
        const auto data = random_bytes(300000, 2);
        const std::string path = d_dir + "/rand.bin";
        write_file(path, data);
        mapped_file f(path, 3 * 4096);
        std::mt19937 rng(3);
        std::vector<unsigned char> out;
        for (int t = 0; t < 2000; ++t) {
            const size_t off = rng() % data.size();
            const size_t n = std::min<size_t>(rng() % 40000, data.size() - off);
            out.assign(n, 0);
            CPPUNIT_ASSERT_EQUAL(n, f.copy(off, out.data(), n));
            CPPUNIT_ASSERT(std::memcmp(out.data(), data.data() + off, n) == 0);
        }
        // A request reaching past the end copies what exists.
        out.assign(100, 0);
        CPPUNIT_ASSERT_EQUAL(size_t(40), f.copy(data.size() - 40, out.data(), 100));
        CPPUNIT_ASSERT_EQUAL(size_t(0), f.copy(data.size(), out.data(), 10));
    }

    void test_window_rounding()
    {
        const std::string path = d_dir + "/w.bin";
        write_file(path, random_bytes(100, 4));
        const size_t page = size_t(sysconf(_SC_PAGESIZE));
        CPPUNIT_ASSERT_EQUAL(2 * page, mapped_file(path, 1).window_bytes());
        CPPUNIT_ASSERT_EQUAL(3 * page, mapped_file(path, 2 * page + 1).window_bytes());
        CPPUNIT_ASSERT_EQUAL(mapped_file::default_window_bytes,
                             mapped_file(path).window_bytes());
    }

    void test_drop_cache_same_bytes()
    {
        const auto data = random_bytes(200000, 5);
        const std::string path = d_dir + "/drop.bin";
        write_file(path, data);
        mapped_file f(path, 8192, true);
        std::vector<unsigned char> out(data.size());
        for (size_t pos = 0; pos < data.size(); pos += 5000)
            f.copy(pos, out.data() + pos, std::min<size_t>(5000, data.size() - pos));
        CPPUNIT_ASSERT(out == data);
    }

    void test_bad_paths()
    {
        CPPUNIT_ASSERT(throws_naming(d_dir + "/missing.bin",
                                     { d_dir + "/missing.bin", "No such file" }));
        CPPUNIT_ASSERT(throws_naming(d_dir, { d_dir, "is a directory" }));
        const std::string fifo = d_dir + "/fifo";
        CPPUNIT_ASSERT_EQUAL(0, mkfifo(fifo.c_str(), 0600));
        CPPUNIT_ASSERT(throws_naming(fifo, { fifo, "FIFO", "blocks.file_source" }));
        CPPUNIT_ASSERT(throws_naming("/dev/null", { "/dev/null", "is a device" }));
        if (geteuid() != 0) { // root reads everything; the Python suite drops privileges
            const std::string locked = d_dir + "/locked.bin";
            write_file(locked, random_bytes(10, 6));
            CPPUNIT_ASSERT_EQUAL(0, chmod(locked.c_str(), 0));
            CPPUNIT_ASSERT(throws_naming(locked, { locked, "Permission denied" }));
        }
    }

    void test_truncated_underneath_no_sigbus()
    {
        const size_t page = size_t(sysconf(_SC_PAGESIZE));
        const auto data = random_bytes(64 * page, 7);
        const std::string path = d_dir + "/trunc.bin";
        write_file(path, data);
        mapped_file f(path, 32 * page);
        std::vector<unsigned char> out(data.size());
        // Map the first window, then cut the file in the middle of that window.
        CPPUNIT_ASSERT_EQUAL(page, f.copy(0, out.data(), page));
        CPPUNIT_ASSERT_EQUAL(0, truncate(path.c_str(), off_t(10 * page + 100)));
        // The cached size still says 64 pages: this copy touches pages that no longer
        // exist. It must come back short, with the bytes that do exist.
        const size_t got = f.copy(page, out.data() + page, 40 * page);
        CPPUNIT_ASSERT_EQUAL(9 * page + 100, got);
        CPPUNIT_ASSERT(std::memcmp(out.data(), data.data(), 10 * page + 100) == 0);
        CPPUNIT_ASSERT_EQUAL(uint64_t(10 * page + 100), f.size_bytes());
        // And the process still handles a real SIGBUS elsewhere as before: not tested
        // here (it would kill the runner); the handler chains to the previous one.
    }

    void test_growth_seen_after_refresh()
    {
        const auto data = random_bytes(50000, 8);
        const std::string path = d_dir + "/grow.bin";
        write_file(path, std::vector<unsigned char>(data.begin(), data.begin() + 20000));
        mapped_file f(path, 8192);
        std::vector<unsigned char> out(data.size());
        CPPUNIT_ASSERT_EQUAL(size_t(20000), f.copy(0, out.data(), 50000));
        write_file(path, data); // rewritten in place, longer
        CPPUNIT_ASSERT_EQUAL(size_t(0), f.copy(20000, out.data() + 20000, 30000));
        CPPUNIT_ASSERT_EQUAL(uint64_t(50000), f.refresh_size());
        CPPUNIT_ASSERT_EQUAL(size_t(30000), f.copy(20000, out.data() + 20000, 30000));
        CPPUNIT_ASSERT(out == data);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(qa_mapped_file, "qa_mapped_file");
CPPUNIT_TEST_SUITE_REGISTRATION(qa_mapped_file);

} // namespace streamproc
} // namespace gr
