#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Helpers shared by the qa_*.py tests (not part of the installed package)."""

import time


def wait_until(condition, timeout, what, poll=0.01):
    """Polls condition() until it holds; fails the test (with `what`) after `timeout`
    seconds instead of waiting for CTest's limit."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s" % (timeout, what))
        time.sleep(poll)
