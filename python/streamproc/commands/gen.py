#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`streamproc gen`: a synthetic recording of noise and tone bursts, with its truth."""

from ..tools.gen import generate


def gen_command(args):
    truth = generate(args.out, args.samples, args.events, args.snr_db, args.type, args.seed, args.freq)
    print("wrote %s (%d samples, %s) and %s.truth (%d events)" % (
        args.out, args.samples, args.type, args.out, len(truth)))
    return 0


def add_parser(sub):
    g = sub.add_parser("gen", help="write a synthetic recording of noise and bursts plus a truth file",
                       description="Gaussian noise of power 1 with tone bursts, one per equal slot of the "
                       "file; the truth (\"start length\" per burst, in samples) goes to OUT.truth.")
    g.add_argument("out", help="recording to write (raw f32 or cf32; the truth goes to OUT.truth)")
    g.add_argument("--samples", type=int, required=True, help="length of the recording (samples)")
    g.add_argument("--events", type=int, required=True, help="number of bursts")
    g.add_argument("--snr-db", type=float, default=15.0, help="burst power over the noise (dB; default %(default)s)")
    g.add_argument("--freq", type=float, default=0.02,
                   help="burst tone frequency (cycles per sample, -0.5..0.5; default %(default)s)")
    g.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    g.add_argument("--type", default="f32", choices=["f32", "cf32"], help="sample format (default %(default)s)")
    g.set_defaults(func=gen_command)
