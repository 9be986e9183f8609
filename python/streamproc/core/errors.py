#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The one error type of the command line and the library functions."""


class UsageError(Exception):
    """Bad arguments or unusable input, found where they enter: the command line prints
    one line (``streamproc: error: ...``) and exits with status 2."""


class RunError(Exception):
    """A run that was set up right failed (e.g. a benchmark child process): the command
    line prints one line and exits with status 1."""


def usage_error_of(e):
    """A block constructor's error (RuntimeError/ValueError from C++, whose text may carry
    GNU Radio's prefix lines) as the UsageError of its last line."""
    text = str(e).strip()
    return UsageError(text.splitlines()[-1] if text else type(e).__name__)
