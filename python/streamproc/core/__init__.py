#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The core layer: options, sample formats, chain building, event files, the blocks
written in Python. No argparse, no printing, no signal handlers: what a notebook user
imports. Nothing here imports the runners, tools or commands (scripts/check_imports.py)."""
