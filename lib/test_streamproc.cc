/* -*- c++ -*- */
/*
 * Copyright 2026 gr-streamproc authors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

// CppUnit runner: `test-streamproc SUITE` runs one registered suite (one CTest entry
// per suite), `test-streamproc` with no argument runs them all.

#include <cppunit/CompilerOutputter.h>
#include <cppunit/TextTestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>
#include <iostream>

int main(int argc, char** argv)
{
    CppUnit::TextTestRunner runner;
    auto& registry = argc > 1 ? CppUnit::TestFactoryRegistry::getRegistry(argv[1])
                              : CppUnit::TestFactoryRegistry::getRegistry();
    CppUnit::Test* suite = registry.makeTest();
    if (suite->countTestCases() == 0) {
        std::cerr << "no tests in suite '" << (argc > 1 ? argv[1] : "All Tests") << "'\n";
        return 2;
    }
    runner.addTest(suite);
    runner.setOutputter(new CppUnit::CompilerOutputter(&runner.result(), std::cerr));
    return runner.run("", false, true, false) ? 0 : 1;
}
