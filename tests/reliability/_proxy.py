"""A TCP proxy on 127.0.0.1 in front of a database server, with network faults on demand.

It runs in a thread of its own, so it serves asyncio and trio tests alike (under trio the
service's connections live on another thread's loop anyway). Faults:

* :meth:`Proxy.drop_next_reply`: the server's next answer, on any connection, is not passed
  on; that connection is cut instead. The request did reach the server: a statement that
  commits on its own is committed, and the client never hears of it. Given ``after``, the
  answer dropped is the one to the first request that contains those bytes (``b"COMMIT"``).
* :meth:`Proxy.refuse`: new connections are closed as soon as they are accepted (a server
  that is down); with :meth:`Proxy.cut_all`, the open ones are closed too.
* :meth:`Proxy.fall_silent`: nothing is passed on either way and no connection is accepted,
  while every socket stays open (a network partition); :meth:`Proxy.heal` ends it.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


class Proxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._upstream: set[socket.socket] = set()
        self._drop_next_reply = False
        self._drop_after = b""
        self._refusing = False
        self._silent = False
        self._cut_all = False
        self._stopped = False
        self.replies_dropped = 0
        self._thread = threading.Thread(target=self._run, name="test-proxy", daemon=True)
        self._thread.start()

    def url(self, db_url: str) -> str:
        """``db_url`` with the proxy's address in place of the server's."""
        parts = urlsplit(db_url)
        user = f"{parts.username}@" if parts.username else ""
        return parts._replace(netloc=f"{user}127.0.0.1:{self.port}").geturl()

    def drop_next_reply(self, after: bytes = b"") -> None:
        self._drop_after = after
        self._drop_next_reply = not after

    def refuse(self) -> None:
        self._refusing = True

    def fall_silent(self) -> None:
        self._silent = True

    def cut_all(self) -> None:
        """Close every connection passing through (both of its sides), and wait until done."""
        self._cut_all = True
        while self._cut_all:
            time.sleep(0.005)

    def heal(self) -> None:
        self._silent = False
        self._refusing = False

    def close(self) -> None:
        self._stopped = True
        self._thread.join()
        for sock in [*self._peers, self._listener]:
            sock.close()
        self._selector.close()

    def _run(self) -> None:
        while not self._stopped:
            if self._silent:
                time.sleep(0.01)
                continue
            if self._cut_all:
                self._cut_all = False
                for upstream in list(self._upstream):
                    self._cut(upstream, self._peers[upstream])
            for key, _ in self._selector.select(timeout=0.01):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                elif sock in self._peers:
                    self._forward(sock)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        if self._refusing:
            client.close()
            return
        upstream = socket.create_connection(self._target)
        for sock in (client, upstream):
            sock.setblocking(True)
            self._selector.register(sock, selectors.EVENT_READ)
        self._peers[client], self._peers[upstream] = upstream, client
        self._upstream.add(upstream)

    def _forward(self, sock: socket.socket) -> None:
        other = self._peers[sock]
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if self._drop_after and sock not in self._upstream and self._drop_after in data:
            self._drop_after = b""
            self._drop_next_reply = True
        elif data and sock in self._upstream and self._drop_next_reply:
            self._drop_next_reply = False
            self.replies_dropped += 1
            data = b""
        if not data:
            self._cut(sock, other)
            return
        try:
            other.sendall(data)
        except OSError:
            self._cut(sock, other)

    def _cut(self, *pair: socket.socket) -> None:
        for sock in pair:
            self._selector.unregister(sock)
            self._peers.pop(sock, None)
            self._upstream.discard(sock)
            sock.close()


@contextmanager
def proxy_for(db_url: str) -> Iterator[Proxy]:
    """A proxy in front of the PostgreSQL server of ``db_url``, closed afterwards."""
    parts = urlsplit(db_url)
    assert parts.hostname is not None
    assert parts.port is not None
    proxy = Proxy((parts.hostname, parts.port))
    try:
        yield proxy
    finally:
        proxy.close()
