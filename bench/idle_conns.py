#!/usr/bin/env python3
"""Idle keep-alive connection memory of a proxy.

Opens COUNT client connections to HOST:PORT, sends one GET on each, reads the whole response
and then keeps every connection open and silent. Reads the resident memory of the proxy's
process tree (ROOT_PID and all its descendants) before, at a checkpoint and after, and prints
one line of key=value results:

  kib_per_conn     (RSS_after - RSS_before) / COUNT           -- the headline figure
  kib_marginal     (RSS_after - RSS_checkpoint) / (COUNT - CHECKPOINT), which cancels one-time
                   costs (first pool allocations, code pages touched by the first request)
  still_open       connections the proxy had not closed when the measurement ended

usage: idle_conns.py HOST PORT ROOT_PID COUNT [CHECKPOINT] [PATH]
"""
import os
import resource
import select
import socket
import sys
import time

BATCH = 500  # connections in flight at once, well under the listen backlog


def tree_pids(root):
    """ROOT and all its descendants, from /proc/<pid>/task/<tid>/children."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            pass
    return pids


def memory_kib(root):
    """Sum of VmRSS and of Pss over the process tree, in KiB."""
    rss = pss = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except FileNotFoundError:
            pass
    return rss, pss


def settle(root):
    """Waits until the proxy has finished touching memory for the last batch."""
    time.sleep(1.0)
    return memory_kib(root)


class Opener:
    """Opens connections in batches; each sends one request and reads its whole response."""

    def __init__(self, host, port, path):
        self.addr = (host, port)
        self.request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
        self.open = []
        self.poller = select.epoll()

    def open_until(self, total):
        while len(self.open) < total:
            self._batch(min(BATCH, total - len(self.open)))

    def _batch(self, n):
        pending = {}
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(self.addr)
            pending[s.fileno()] = [s, b"", False]
            self.poller.register(s.fileno(), select.EPOLLOUT)
        deadline = time.monotonic() + 30
        while pending:
            if time.monotonic() > deadline:
                sys.exit(f"idle_conns: {len(pending)} connections got no response in 30s")
            for fd, ev in self.poller.poll(1.0):
                self._step(pending, fd, ev)

    def _step(self, pending, fd, ev):
        s, buf, sent = pending[fd]
        if ev & (select.EPOLLERR | select.EPOLLHUP) and not ev & select.EPOLLIN:
            sys.exit(f"idle_conns: connection failed: {s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)}")
        if not sent:
            s.send(self.request)  # a few dozen bytes always fit in an empty send buffer
            pending[fd][2] = True
            self.poller.modify(fd, select.EPOLLIN)
            return
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("idle_conns: the proxy closed a connection before responding")
        buf += chunk
        pending[fd][1] = buf
        if response_complete(buf):
            if not buf.startswith(b"HTTP/1.1 200"):
                sys.exit(f"idle_conns: unexpected response: {buf[:80]!r}")
            self.poller.unregister(fd)
            self.open.append(s)
            del pending[fd]

    def count_closed(self):
        """Connections the peer has closed (readable with EOF or an error) by now."""
        poller = select.epoll()
        for s in self.open:
            poller.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
        events = poller.poll(0.2, len(self.open) + 1)
        poller.close()
        return len(events)


def response_complete(buf):
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return body.endswith(b"0\r\n\r\n")  # chunked


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    host, port, root, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    checkpoint = int(sys.argv[5]) if len(sys.argv) > 5 else count // 10
    path = sys.argv[6] if len(sys.argv) > 6 else "/64"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < count + 64:
        sys.exit(f"idle_conns: RLIMIT_NOFILE hard limit {hard} is below {count + 64}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    opener = Opener(host, port, path)
    rss0, pss0 = settle(root)
    opener.open_until(checkpoint)
    rss1, pss1 = settle(root)
    opener.open_until(count)
    rss2, pss2 = settle(root)
    closed = opener.count_closed()
    print(
        f"kib_per_conn={(rss2 - rss0) / count:.3f} "
        f"kib_marginal={(rss2 - rss1) / (count - checkpoint):.3f} "
        f"pss_kib_per_conn={(pss2 - pss0) / count:.3f} "
        f"rss_before_kib={rss0} rss_checkpoint_kib={rss1} rss_after_kib={rss2} "
        f"still_open={count - closed}"
    )


if __name__ == "__main__":
    main()
