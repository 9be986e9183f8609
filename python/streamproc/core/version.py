#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The project version (CMakeLists.txt's; qa_cli checks that they agree)."""

__version__ = "0.1.0"
