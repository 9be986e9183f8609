#!/usr/bin/python3
#
# Copyright 2026 gr-streamproc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""A stand-in for rtl_tcp (librtlsdr's TCP server) for tests and benchmarks, Python
standard library only: it sends the 12-byte dongle header ("RTL0", tuner type, gain
count, big endian), then the bytes of a cu8 capture in a loop, paced at the sample rate
the client commands, and logs each 5-byte command (1 byte command, 4 bytes big-endian
parameter) it receives. Like rtl_tcp, it drops samples the client does not take in time
(its send buffer full) and counts them.

    python3 fake_rtl_tcp.py CAPTURE.cu8 [--port 0] [--loops N] [--log CMDS.jsonl]

prints "listening PORT" on stdout when ready; serves clients one after the other (each
from the capture's start) until killed or none comes for a minute. The log has one JSON
line per command ({"t", "cmd", "name", "param"}) and, when a client leaves, a "sent" line
with the bytes sent to it and dropped.
"""

import argparse
import json
import select
import socket
import struct
import sys
import time

COMMANDS = {1: "freq", 2: "sample_rate", 3: "gain_mode", 4: "gain", 5: "freq_correction", 6: "if_gain",
            7: "test_mode", 8: "agc_mode", 9: "direct_sampling", 10: "offset_tuning", 11: "rtl_xtal",
            12: "tuner_xtal", 13: "gain_by_index", 14: "bias_tee"}
R820T, GAINS = 5, 29


class Server:
    def __init__(self, data, port=0, loops=0, log=None, rate=2.048e6, chunk_s=0.005, sndbuf=0, stamps=None,
                 pace=0.0):
        self.data, self.loops, self.log, self.rate, self.chunk_s = data, loops, log, rate, chunk_s
        self.pace = pace
        if pace:
            self.rate = float(pace)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.sndbuf = sndbuf
        self.sent = self.dropped = 0
        self.commands = []
        self.stamps = stamps  # a text file: "byte-offset time dropped" per chunk, or None
        self.stop = False

    def _log(self, rec):
        self.commands.append(rec)
        if self.log:
            self.log.write(json.dumps(rec) + "\n")
            self.log.flush()

    def _read_commands(self, conn, buf):
        try:
            got = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return buf, True
        except OSError:
            return buf, False
        if not got:
            return buf, False
        buf += got
        while len(buf) >= 5:
            cmd, param = struct.unpack(">BI", buf[:5])
            buf = buf[5:]
            self._log({"t": time.time(), "cmd": cmd, "name": COMMANDS.get(cmd, "unknown"), "param": param})
            if cmd == 2 and param > 0 and not self.pace:
                self.rate = float(param)
        return buf, True

    def serve_forever(self, accept_timeout=60.0):
        """Clients one after the other, as rtl_tcp does, each from the capture's start,
        until stop is set or none comes for `accept_timeout` seconds."""
        while not self.stop:
            try:
                self.serve(accept_timeout)
            except socket.timeout:
                return

    def serve(self, accept_timeout=60.0):
        """Serves one client until it leaves or stop is set (after `loops` passes it
        sends nothing more but keeps the connection)."""
        self.sock.settimeout(accept_timeout)
        conn, _ = self.sock.accept()
        self.sent = self.dropped = 0
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.sndbuf:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        conn.sendall(b"RTL0" + struct.pack(">II", R820T, GAINS))
        conn.setblocking(False)
        buf, alive = b"", True
        pos, passes = 0, 0
        t0 = time.monotonic()
        due = 0.0  # bytes due since t0 at the current rate
        last = t0
        pending = b""
        while alive and not self.stop:
            r, w, _ = select.select([conn], [conn] if pending else [], [], self.chunk_s)
            if r:
                buf, alive = self._read_commands(conn, buf)
            now = time.monotonic()
            due += (now - last) * self.rate * 2
            last = now
            n = int(due) & ~1
            if n >= 2:
                due -= n
                if pending:  # the client did not take the last chunk: like rtl_tcp, drop it
                    self.dropped += len(pending)
                    pending = b""
                out = bytearray()
                while len(out) < n:
                    if self.loops and passes >= self.loops:
                        break
                    take = min(n - len(out), len(self.data) - pos)
                    out += self.data[pos:pos + take]
                    pos += take
                    if pos == len(self.data):
                        pos, passes = 0, passes + 1
                if not out:  # all passes sent: keep the connection (gr-osmosdr's client spins
                    continue  # when its server leaves first) until the client leaves or stop
                if self.stamps is not None:  # (byte offset in the stream, time, bytes dropped so far)
                    end = self.sent + self.dropped + len(out)
                    self.stamps.write("%d %.6f %d\n" % (end, time.time(), self.dropped))
                pending = bytes(out)
            if pending:
                try:
                    k = conn.send(pending)
                    self.sent += k
                    pending = pending[k:]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    alive = False
        # what was not taken before the end is dropped too
        self.dropped += len(pending)
        self._log({"t": time.time(), "sent": self.sent, "dropped": self.dropped})
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()


def main(argv=None):
    p = argparse.ArgumentParser(description="a fake rtl_tcp server replaying a cu8 capture")
    p.add_argument("capture")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--loops", type=int, default=0, help="passes over the capture (0: until the client leaves)")
    p.add_argument("--log", help="JSON lines of the commands received")
    p.add_argument("--pace", type=float, default=0.0,
                   help="send at this many samples/s whatever the client commands (benchmarks)")
    p.add_argument("--stamps", help="write 'byte-offset unix-time bytes-dropped' for each chunk sent")
    args = p.parse_args(argv)
    with open(args.capture, "rb") as f:
        data = f.read()
    if len(data) < 2:
        print("fake_rtl_tcp: %s holds no samples" % args.capture, file=sys.stderr)
        return 2
    log = open(args.log, "w") if args.log else None
    stamps = open(args.stamps, "w") if args.stamps else None
    srv = Server(data, args.port, args.loops, log, stamps=stamps, pace=args.pace)
    print("listening %d" % srv.port, flush=True)
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        srv.serve_forever()
    finally:
        for f in (log, stamps):
            if f:
                f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
