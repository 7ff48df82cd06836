#!/usr/bin/env python3
"""Deterministic HTTP/1.1 keep-alive client for the instruction-count and allocation benches.

Sends exactly COUNT GET requests, one at a time, over one keep-alive connection (plain TCP or
TLS 1.3), and checks every response is a 200 with the expected body length. wrk is time based,
so it cannot give the fixed request count a two-point (N1, N2) measurement needs.

usage: kaclient.py [--tls] HOST PORT PATH COUNT [EXPECTED_BODY_LEN]
  --tls  speak TLS 1.3 (SNI "bench", ALPN http/1.1, no certificate check): the TLS handshake is
         made once, before the first request, so a two-point measurement cancels it out.
Exits non-zero (with a message) on any unexpected status, short body or closed connection.
"""
import socket
import ssl
import sys
import time


def read_response(sock, buf):
    """Reads one response from sock; returns (status, body_len, leftover bytes)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the response head")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        return read_chunked(sock, status, buf)
    if length is None:
        raise ValueError("response without content-length (close-delimited) is not supported")
    while len(buf) < length:
        chunk = sock.recv(max(65536, length - len(buf)))
        if not chunk:
            raise ConnectionError("connection closed inside the body")
        buf += chunk
    return status, length, buf[length:]


def read_chunked(sock, status, buf):
    total = 0
    while True:
        while b"\r\n" not in buf:
            buf += recv_some(sock)
        size_line, _, buf = buf.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(buf) < size + 2:
            buf += recv_some(sock)
        buf = buf[size + 2:]
        total += size
        if size == 0:  # no trailers are expected from the bench upstream
            return status, total, buf


def recv_some(sock):
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("connection closed inside a chunked body")
    return chunk


def tls_wrap(sock):
    """TLS 1.3 client side: the bench certificate is self-signed, so nothing is verified."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["http/1.1"])
    tls = context.wrap_socket(sock, server_hostname="bench")
    if tls.selected_alpn_protocol() not in (None, "http/1.1"):
        sys.exit(f"kaclient: server chose ALPN {tls.selected_alpn_protocol()!r}")
    return tls


def main():
    args = sys.argv[1:]
    use_tls = "--tls" in args
    args = [a for a in args if a != "--tls"]
    if len(args) < 4:
        sys.exit(__doc__)
    host, port, path, count = args[0], int(args[1]), args[2], int(args[3])
    expected = int(args[4]) if len(args) > 4 else None
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: kaclient\r\n\r\n".encode()
    sock = socket.create_connection((host, port), timeout=120)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if use_tls:
        sock = tls_wrap(sock)
    buf = b""
    start = time.monotonic()
    for i in range(count):
        sock.sendall(request)
        status, length, buf = read_response(sock, buf)
        if status != 200 or (expected is not None and length != expected):
            sys.exit(f"kaclient: request {i + 1}: status {status}, body {length} bytes")
    sock.close()
    elapsed = time.monotonic() - start
    print(f"kaclient: {count} requests in {elapsed:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
