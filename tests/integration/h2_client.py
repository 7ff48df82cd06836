#!/usr/bin/python3
"""Raw HTTP/2 client for gantry's integration tests: sends well-formed, malformed and abusive
frame sequences that ordinary clients refuse to produce, and prints what came back as one JSON
object. Usage: h2_client.py PORT SCENARIO [ARG...] [--json] [--tls]. With --tls it speaks TLS
with ALPN "h2" (the server certificate is not verified). Every scenario is bounded in time."""

import json
import socket
import ssl
import struct
import sys
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(kind, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream_id & 0x7FFFFFFF) + payload


class Conn:
    def __init__(self, port, use_tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if use_tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock, server_hostname="gantry.test")
            if self.sock.selected_alpn_protocol() != "h2":
                raise SystemExit("ALPN did not choose h2")
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.decoder.max_allowed_table_size = 65536
        self.buffer = b""
        self.settings_seen = False
        # Send windows (RFC 9113 6.9): connection (key 0) and per stream.
        self.windows = {0: 65535}
        self.initial_window = 65535
        self.result = {"streams": {}, "goaway": None, "closed": False, "pings": 0,
                       "send_failed": False}
        self.send(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.result["send_failed"] = True
            return False

    def headers(self, stream_id, fields, end_stream=True, end_headers=True):
        block = self.encoder.encode(fields)
        flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
        return frame(HEADERS, flags, stream_id, block)

    def stream(self, stream_id):
        return self.result["streams"].setdefault(
            str(stream_id), {"status": None, "headers": {}, "body": "", "trailers": {},
                             "rst": None, "ended": False})

    def read(self, until, timeout=5.0):
        """Reads frames until until(self) is true, the connection closes or time runs out."""
        end = time.monotonic() + timeout
        while not until(self) and not self.result["closed"]:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.result["closed"] = True
                break
            self.buffer += chunk
            self.parse()
        return self.result

    def parse(self):
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                return
            kind, flags = self.buffer[3], self.buffer[4]
            stream_id = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            self.on_frame(kind, flags, stream_id, payload)

    def on_frame(self, kind, flags, stream_id, payload):
        if kind == SETTINGS and not flags & ACK:
            for i in range(0, len(payload) - 5, 6):
                ident, value = struct.unpack(">HI", payload[i:i + 6])
                if ident == 0x4:
                    for sid in self.windows:
                        if sid:
                            self.windows[sid] += value - self.initial_window
                    self.initial_window = value
            self.send(frame(SETTINGS, ACK, 0))
            self.settings_seen = True
        elif kind == WINDOW_UPDATE:
            self.windows[stream_id] = self.windows.get(stream_id, self.initial_window) + \
                (int.from_bytes(payload[:4], "big") & 0x7FFFFFFF)
        elif kind == PING and flags & ACK:
            self.result["pings"] += 1
        elif kind == GOAWAY:
            self.result["goaway"] = int.from_bytes(payload[4:8], "big")
        elif kind == RST_STREAM:
            self.stream(stream_id)["rst"] = int.from_bytes(payload[:4], "big")
        elif kind == HEADERS:
            fields = self.decoder.decode(payload, raw=False)
            s = self.stream(stream_id)
            status = [v for k, v in fields if k == ":status"]
            if status and int(status[0]) >= 200:
                s["status"] = int(status[0])
                s["headers"] = {k: v for k, v in fields}
            elif not status:
                s["trailers"] = {k: v for k, v in fields}
            if flags & END_STREAM:
                s["ended"] = True
        elif kind == DATA:
            s = self.stream(stream_id)
            s["body"] += payload.decode("latin-1")
            if payload:
                self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(payload))) +
                          frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", len(payload))))
            if flags & END_STREAM:
                s["ended"] = True


def request_fields(path="/", method="GET", extra=()):
    return [(":method", method), (":scheme", "http"), (":authority", "example.test"),
            (":path", path)] + list(extra)


def done(stream_id):
    return lambda c: str(stream_id) in c.result["streams"] and (
        c.result["streams"][str(stream_id)]["ended"] or
        c.result["streams"][str(stream_id)]["rst"] is not None)


def scenario_get(c, path="/"):
    c.send(c.headers(1, request_fields(path)))
    return c.read(done(1))


def scenario_bad_header(c, kind):
    """One malformed request: the field that would smuggle is named by `kind`."""
    extra = {
        "cr": [("x-a", "a\rb")],
        "lf": [("x-a", "a\nGET /evil HTTP/1.1")],
        "nul": [("x-a", "a\x00b")],
        "upper": [("X-Upper", "1")],
        "connection": [("connection", "close")],
        "keep-alive": [("keep-alive", "timeout=5")],
        "transfer-encoding": [("transfer-encoding", "chunked")],
        "upgrade": [("upgrade", "websocket")],
        "te": [("te", "gzip")],
        "host-mismatch": [("host", "other.test")],
        "space-name": [("x a", "1")],
    }[kind]
    c.send(c.headers(1, request_fields("/smuggle", extra=extra)))
    return c.read(done(1))


def scenario_length_mismatch(c, declared, sent):
    fields = request_fields("/upload", "POST", [("content-length", declared)])
    c.send(c.headers(1, fields, end_stream=False) +
           frame(DATA, END_STREAM, 1, b"x" * int(sent)))
    return c.read(done(1))


def scenario_connect(c):
    c.send(c.headers(1, [(":method", "CONNECT"), (":authority", "example.test:443")]))
    return c.read(done(1))


def scenario_trailers(c, path="/"):
    """A request body sent in two DATA frames without content-length, then trailers."""
    c.send(c.headers(1, request_fields(path, "POST", [("te", "trailers")]), end_stream=False) +
           frame(DATA, 0, 1, b"hello ") + frame(DATA, 0, 1, b"world") +
           c.headers(1, [("x-checksum", "abc")], end_stream=True))
    return c.read(done(1))


def scenario_rapid_reset(c, count):
    """CVE-2023-44487: open streams and cancel them at once, as fast as possible."""
    batch = b""
    for i in range(int(count)):
        stream_id = 1 + 2 * i
        batch += c.headers(stream_id, request_fields("/slow")) + \
            frame(RST_STREAM, 0, stream_id, struct.pack(">I", 8))
        if len(batch) > 16384:
            if not c.send(batch):
                break
            batch = b""
    c.send(batch)
    return c.read(lambda c: c.result["goaway"] is not None and c.result["closed"])


def scenario_continuation_flood(c, count):
    """CVE-2024-27316: a header block that never ends."""
    c.send(c.headers(1, request_fields("/"), end_stream=True, end_headers=False))
    for i in range(int(count)):
        block = c.encoder.encode([("x-f%d" % i, "v" * 100)])
        if not c.send(frame(CONTINUATION, 0, 1, block)):
            break
    return c.read(lambda c: c.result["closed"])


def scenario_slow_headers(c):
    """Slowloris over HTTP/2: a header block that starts and never ends."""
    # Our SETTINGS ack first: any frame inside a header block is a protocol error.
    c.read(lambda c: c.settings_seen, timeout=2)
    started = time.monotonic()
    c.send(c.headers(1, request_fields("/"), end_stream=True, end_headers=False))
    c.read(lambda c: c.result["closed"], timeout=8)
    c.result["block_open_ms"] = int((time.monotonic() - started) * 1000)
    return c.result


def scenario_upload_stall(c, seconds):
    """Uploads as fast as flow control allows for `seconds` to an upstream that never reads:
    what gantry lets through is bounded by its windows and buffers, not by the client."""
    c.read(lambda c: c.settings_seen, timeout=2)
    c.send(c.headers(1, request_fields("/upload", "POST"), end_stream=False))
    c.windows.setdefault(1, c.initial_window)
    chunk = b"u" * 16384
    sent = 0
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end and not c.result["closed"]:
        room = min(c.windows[0], c.windows[1], len(chunk))
        if room > 0:
            if not c.send(frame(DATA, 0, 1, chunk[:room])):
                break
            c.windows[0] -= room
            c.windows[1] -= room
            sent += room
        else:
            c.read(lambda c: min(c.windows[0], c.windows.get(1, 0)) > 0,
                   timeout=max(0.01, end - time.monotonic()))
    c.result["sent"] = sent
    return c.result


def scenario_flood(c, kind, count):
    one = {
        "ping": frame(PING, 0, 0, b"12345678"),
        "settings": frame(SETTINGS, 0, 0, struct.pack(">HI", 0x3, 100)),
        "priority": frame(PRIORITY, 0, 3, struct.pack(">IB", 0, 16)),
        "window_update": frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)),
        "empty_data": frame(DATA, 0, 1, b""),
    }[kind]
    if kind == "empty_data":
        c.send(c.headers(1, request_fields("/upload", "POST"), end_stream=False))
    batch_size = 256
    sent = 0
    while sent < int(count):
        if not c.send(one * batch_size):
            break
        sent += batch_size
    c.read(lambda c: c.result["closed"], timeout=5)
    c.result["sent"] = sent
    return c.result


def scenario_hpack_bomb(c):
    """A 4 KiB field put in the dynamic table once and referenced many times: tiny on the wire,
    far over the header list limit once decoded."""
    big = ("x-bomb", "b" * 4000)
    first = c.encoder.encode(request_fields("/") + [big])
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, first))
    c.read(done(1))
    again = c.encoder.encode(request_fields("/") + [big] * 60)
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 3, again))
    c.result["wire_bytes"] = len(again)
    return c.read(done(3))


def scenario_concurrency(c, count):
    """Opens `count` streams that stay open (request body never ends)."""
    batch = b""
    for i in range(int(count)):
        batch += c.headers(1 + 2 * i, request_fields("/upload", "POST"), end_stream=False)
    c.send(batch)
    c.read(lambda c: False, timeout=1.5)
    c.result["refused"] = sum(1 for s in c.result["streams"].values() if s["rst"] == 7)
    return c.result


def flatten(prefix, value, out):
    """key.sub=value lines (what the C++ test reads); None is "none", strings are escaped."""
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(prefix + str(key) + ".", item, out)
        return
    if value is None:
        text = "none"
    elif isinstance(value, bool):
        text = "1" if value else "0"
    else:
        text = str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    out.append(prefix[:-1] + "=" + text)


def main():
    port, name = int(sys.argv[1]), sys.argv[2]
    args = [a for a in sys.argv[3:] if a not in ("--json", "--tls")]
    started = time.monotonic()
    c = Conn(port, "--tls" in sys.argv)
    result = globals()["scenario_" + name](c, *args)
    result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    if "--json" in sys.argv:
        print(json.dumps(result))
        return
    lines = []
    flatten("", result, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
