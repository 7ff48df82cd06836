#!/usr/bin/python3
"""gRPC and raw HTTP/2 peers for gantry's HTTP/2 upstream tests.

  grpc_echo.py server PORT_FILE        a proto-less gRPC service test.Echo (generic handlers):
                                       Unary, ServerStream, ClientStream, Bidi; writes its port
  grpc_echo.py client PORT             calls each method through gantry; prints one line each
  grpc_echo.py tls_server PORT_FILE CERT KEY / tls_client PORT CA   the same over TLS (the
                                       client verifies the server as gantry.test)
  grpc_echo.py goaway_server PORT_FILE an h2 server that answers stream 1 of each connection and
                                       refuses the rest with GOAWAY(last_stream_id=1)
  grpc_echo.py one_stream_server PORT_FILE  an h2 server with SETTINGS_MAX_CONCURRENT_STREAMS 1
                                       that answers each stream after 300 ms with its connection
"""
import os
import socket
import sys
import threading
import time


def identity(x):
    return x


def write_port(port_file, port):
    """Atomically, so that the test never reads a half-written file."""
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)


def listen_on_loopback(port_file):
    """A listening TCP socket on 127.0.0.1 (a free port, written to PORT_FILE)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    write_port(port_file, listener.getsockname()[1])
    return listener


def accept_forever(listener, handle):
    """Runs handle(sock, n) on a thread for the n-th accepted connection (1, 2, ...)."""
    count = 0
    while True:
        sock, _ = listener.accept()
        count += 1
        threading.Thread(target=handle, args=(sock, count), daemon=True).start()


def serve_grpc(port_file, cert=None, key=None):
    from concurrent import futures
    import grpc

    def unary(request, context):
        context.set_trailing_metadata((("x-trailer", "unary"),))
        return b"echo:" + request

    def server_stream(request, context):
        for i in range(int(request or b"3")):
            yield b"item%d" % i

    def client_stream(requests, context):
        return b"+".join(requests)

    def bidi(requests, context):
        for message in requests:
            yield message.upper()

    def fail(request, context):
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "not you")

    handler = grpc.method_handlers_generic_handler("test.Echo", {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, identity, identity),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream, identity, identity),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream, identity, identity),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi, identity, identity),
        "Fail": grpc.unary_unary_rpc_method_handler(fail, identity, identity),
    })
    server = grpc.server(futures.ThreadPoolExecutor(8))
    server.add_generic_rpc_handlers((handler,))
    if cert:
        with open(cert, "rb") as c, open(key, "rb") as k:
            credentials = grpc.ssl_server_credentials([(k.read(), c.read())])
        port = server.add_secure_port("127.0.0.1:0", credentials)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    write_port(port_file, port)
    server.wait_for_termination()


def run_client(port, ca=None):
    import grpc
    if ca:
        with open(ca, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel("127.0.0.1:%s" % port, credentials,
                                      options=[("grpc.ssl_target_name_override", "gantry.test")])
    else:
        channel = grpc.insecure_channel("127.0.0.1:%s" % port)
    unary = channel.unary_unary("/test.Echo/Unary", identity, identity)
    reply, call = unary.with_call(b"hello", timeout=5)
    trailers = dict(call.trailing_metadata())
    print("unary=%s trailer=%s" % (reply.decode(), trailers.get("x-trailer")))
    stream = channel.unary_stream("/test.Echo/ServerStream", identity, identity)
    print("server_stream=%s" % ",".join(m.decode() for m in stream(b"5", timeout=5)))
    upload = channel.stream_unary("/test.Echo/ClientStream", identity, identity)
    print("client_stream=%s" % upload(iter([b"a", b"b", b"c"]), timeout=5).decode())
    bidi = channel.stream_stream("/test.Echo/Bidi", identity, identity)
    print("bidi=%s" % ",".join(m.decode() for m in bidi(iter([b"x", b"y", b"z"]), timeout=5)))
    big = unary(b"z" * (512 * 1024), timeout=10)
    print("big=%d" % len(big))
    try:
        channel.unary_unary("/test.Echo/Fail", identity, identity)(b"", timeout=5)
    except grpc.RpcError as e:
        print("fail=%s:%s" % (e.code().name, e.details()))


def h2_server_events(sock, max_concurrent_streams=None):
    """Runs the server side of an h2c connection on SOCK: yields (conn, event) for every event
    received and sends what the handler queued after each read. Ends when the peer closes."""
    import h2.config
    import h2.connection
    import h2.settings

    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    if max_concurrent_streams is not None:
        conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: max_concurrent_streams})
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    while True:
        data = sock.recv(65536)
        if not data:
            return
        for event in conn.receive_data(data):
            yield conn, event
        sock.sendall(conn.data_to_send())


def serve_goaway(port_file):
    import h2.events

    listener = listen_on_loopback(port_file)

    def handle(sock, index):
        answered = False
        for conn, event in h2_server_events(sock):
            if isinstance(event, h2.events.RequestReceived):
                if event.stream_id == 1 or not answered:
                    if event.stream_id != 1:
                        continue
                    time.sleep(0.2)  # let the second stream arrive on this connection
                    body = b"conn%d" % index
                    conn.send_headers(1, [(":status", "200"),
                                          ("content-length", str(len(body)))])
                    conn.send_data(1, body, end_stream=True)
                    answered = True
                if event.stream_id > 1:
                    conn.close_connection(last_stream_id=1)

    accept_forever(listener, handle)


def serve_one_stream(port_file):
    import h2.events

    listener = listen_on_loopback(port_file)

    def handle(sock, index):
        for conn, event in h2_server_events(sock, max_concurrent_streams=1):
            if isinstance(event, h2.events.RequestReceived):
                time.sleep(0.3)
                body = b"conn%d" % index
                conn.send_headers(event.stream_id, [(":status", "200"),
                                                    ("content-length", str(len(body)))])
                conn.send_data(event.stream_id, body, end_stream=True)

    accept_forever(listener, handle)


def serve_flaky(port_file):
    """h2c upstream that fails the first request for each path: /fail-once/... gets a 503,
    /reset-once/... a RST_STREAM(INTERNAL_ERROR) before any response; later requests for the
    same path get 200 "ok N" (N: how many times the path was seen, request bodies included
    as "ok N BODYBYTES")."""
    import h2.events

    listener = listen_on_loopback(port_file)
    seen = {}
    lock = threading.Lock()

    def handle(sock, _index):
        paths = {}
        sizes = {}
        for conn, event in h2_server_events(sock):
            if isinstance(event, h2.events.RequestReceived):
                paths[event.stream_id] = dict(event.headers)[b":path"].decode()
                sizes[event.stream_id] = 0
            elif isinstance(event, h2.events.DataReceived):
                sizes[event.stream_id] += len(event.data)
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                path = paths.pop(event.stream_id)
                with lock:
                    seen[path] = seen.get(path, 0) + 1
                    count = seen[path]
                if count == 1 and path.startswith("/reset-once/"):
                    conn.reset_stream(event.stream_id, error_code=2)
                    continue
                status = "503" if count == 1 and path.startswith("/fail-once/") else "200"
                body = b"ok %d %d" % (count, sizes.pop(event.stream_id))
                conn.send_headers(event.stream_id, [(":status", status),
                                                    ("content-length", str(len(body)))])
                conn.send_data(event.stream_id, body, end_stream=True)

    accept_forever(listener, handle)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "server":
        serve_grpc(sys.argv[2])
    elif mode == "tls_server":  # PORT_FILE CERT KEY
        serve_grpc(sys.argv[2], sys.argv[3], sys.argv[4])
    elif mode == "client":
        run_client(sys.argv[2])
    elif mode == "tls_client":  # PORT CA (the server is verified as gantry.test)
        run_client(sys.argv[2], sys.argv[3])
    elif mode == "goaway_server":
        serve_goaway(sys.argv[2])
    elif mode == "one_stream_server":
        serve_one_stream(sys.argv[2])
    elif mode == "flaky_server":
        serve_flaky(sys.argv[2])
