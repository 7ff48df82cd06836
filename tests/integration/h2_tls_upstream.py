#!/usr/bin/python3
"""HTTP/2-over-TLS upstream for gantry's integration tests (python3-h2 + ssl). Usage:
h2_tls_upstream.py CERT KEY PORT_FILE. Listens on 127.0.0.1 (port written to PORT_FILE), offers
only "h2" by ALPN, and answers every request with 200 and a body describing it:
"<scheme> <path> <alpn> <request body bytes>", plus the trailer x-upstream: h2tls. GET /session
answers "new" or "reused" (whether this TLS connection resumed a session) and then sends GOAWAY
and closes once the client has, so the next request needs a new connection."""

import os
import socket
import ssl
import sys
import threading

import h2.config
import h2.connection
import h2.events


def serve(sock):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    requests = {}
    alpn = sock.selected_alpn_protocol()
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            return
        if not data:
            return
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                requests[event.stream_id] = [dict(event.headers), 0]
            elif isinstance(event, h2.events.DataReceived):
                requests[event.stream_id][1] += len(event.data)
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, size = requests.pop(event.stream_id)
                body = "%s %s %s %d" % (headers[b":scheme"].decode(), headers[b":path"].decode(),
                                        alpn, size)
                if headers[b":path"] == b"/session":
                    body = "reused" if sock.session_reused else "new"
                    conn.send_headers(event.stream_id, [(":status", "200")])
                    conn.send_data(event.stream_id, body.encode(), end_stream=True)
                    # GOAWAY, then read until the client closes: closing with unread bytes
                    # would reset the connection and could destroy the response in flight.
                    conn.close_connection(last_stream_id=event.stream_id)
                    sock.sendall(conn.data_to_send())
                    sock.settimeout(5)
                    try:
                        while sock.recv(65536):
                            pass
                    except OSError:
                        pass
                    sock.close()
                    return
                conn.send_headers(event.stream_id, [(":status", "200")])
                conn.send_data(event.stream_id, body.encode())
                conn.send_headers(event.stream_id, [("x-upstream", "h2tls")], end_stream=True)
        sock.sendall(conn.data_to_send())


def main():
    cert, key, port_file = sys.argv[1:4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        raw, _ = listener.accept()
        try:
            sock = context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
