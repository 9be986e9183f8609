#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The command layer of `streamproc`: one module per subcommand (parse, call one runner,
print), the flags made from the core's options (args), the routing of detect/extract to
one run, a batch or a live input (args.route), and the report printers (output)."""
