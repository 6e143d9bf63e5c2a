"""Raw-socket loopback servers that misbehave on purpose, for tests that a well-behaved server cannot drive.

A `RawServer` listens on 127.0.0.1, runs `handler(conn)` for each connection in its own thread and records every
request it read (`server.requests`). Handlers here: `respond` (one canned answer), `sequence` (a different handler
per connection), `drip_body` and `dribble_headers` (a byte at a time), `never_answer` (read, then silence until the
server closes), `token_ok` (a valid token response), and `recording_proxy` (answers what it was sent to forward,
without forwarding). Every wait is bounded: sockets time out, loops are finite, `close()` stops them all.

    with RawServer(sequence(respond(503, headers={"Retry-After": "0"}), token_ok())) as server:
        ... server.url("/token") ...; assert len(server.requests) == 2
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType

import attrs

IO_TIMEOUT = 10.0
"""How long a server socket waits on a client before giving up (a test's hang guard, not a behaviour)."""
MAX_HEAD = 64 * 1024
MAX_BODY = 4 * 1024 * 1024


@attrs.frozen
class RawRequest:
    """What one request looked like on the wire: request line parts, headers (lower-case names), body."""

    method: str
    target: str
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)


class RawConnection:
    """One accepted connection, handed to a handler."""

    def __init__(self, server: RawServer, sock: socket.socket, index: int) -> None:
        self.server = server
        self.sock = sock
        self.index = index
        """0 for the server's first connection, 1 for the next, ..."""
        self._buffer = b""

    def read_request(self) -> RawRequest | None:
        """The next request on this connection (recorded on the server), or None if the client went away."""
        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > MAX_HEAD:
                return None
            chunk = self._recv()
            if not chunk:
                return None
            self._buffer += chunk
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or "0")
        if length > MAX_BODY:
            return None
        while len(rest) < length:
            chunk = self._recv()
            if not chunk:
                return None
            rest += chunk
        self._buffer = rest[length:]
        request = RawRequest(method=parts[0], target=parts[1], headers=headers, body=rest[:length])
        with self.server.lock:
            self.server.requests.append(request)
        return request

    def send(self, data: bytes) -> bool:
        """False if the client is gone."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def drip(self, data: bytes, interval: float) -> None:
        """`data` one byte at a time, `interval` seconds apart, until done, the client leaves or the server stops."""
        for i in range(len(data)):
            if not self.send(data[i : i + 1]) or self.server.stopped.wait(interval):
                return

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except OSError:
            return b""


Handler = Callable[[RawConnection], None]


class RawServer:
    """A loopback TCP (or TLS, given `tls`) server running `handler` per connection, in daemon threads."""

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.tls = tls
        self.requests: list[RawRequest] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.2)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._acceptor = threading.Thread(target=self._accept_loop, name="raw-server", daemon=True)
        self._acceptor.start()

    def url(self, path: str = "/token") -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def _accept_loop(self) -> None:
        while not self.stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                index = self.connections
                self.connections += 1
                self._socks.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock, index), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, index: int) -> None:
        try:
            sock.settimeout(IO_TIMEOUT)  # inside the try: close() may race the accept
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
                with self.lock:
                    self._socks.append(sock)
            self.handler(RawConnection(self, sock, index))
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        self.stopped.set()
        self._listener.close()
        with self.lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.close()
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def response_bytes(
    status: int, *, headers: Mapping[str, str] | None = None, body: bytes = b"", reason: str = "X"
) -> bytes:
    """An HTTP/1.1 response with Content-Length and `Connection: close`."""
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


TOKEN_BODY = json.dumps(
    {"access_token": "raw-access-token", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "raw-refresh"}
).encode()


def respond(status: int, *, headers: Mapping[str, str] | None = None, body: bytes = b"", read: bool = True) -> Handler:
    """Reads the request (all of it, body included, unless `read` is False), answers, closes."""

    def handler(conn: RawConnection) -> None:
        if read and conn.read_request() is None:
            return
        conn.send(response_bytes(status, headers=headers, body=body))

    return handler


def token_ok() -> Handler:
    """A 200 with a valid token response."""
    return respond(200, headers={"Content-Type": "application/json"}, body=TOKEN_BODY)


def sequence(*handlers: Handler, then: Handler | None = None) -> Handler:
    """Connection i gets handlers[i]; later connections get `then` (default: the last handler)."""

    def handler(conn: RawConnection) -> None:
        index = conn.index
        chosen = handlers[index] if index < len(handlers) else (then or handlers[-1])
        chosen(conn)

    return handler


def drip_body(interval: float = 0.5, *, body: bytes = TOKEN_BODY) -> Handler:
    """Headers at once (with the full Content-Length), then the body one byte every `interval` seconds."""

    def handler(conn: RawConnection) -> None:
        if conn.read_request() is None:
            return
        whole = response_bytes(200, headers={"Content-Type": "application/json"}, body=body)
        head = whole[: len(whole) - len(body)]
        if conn.send(head):
            conn.drip(body, interval)

    return handler


def dribble_headers(interval: float = 0.5, *, extra_headers: int = 200) -> Handler:
    """The status line and headers one byte every `interval` seconds (many headers: it never ends in a test)."""

    def handler(conn: RawConnection) -> None:
        if conn.read_request() is None:
            return
        headers = {f"X-Slow-{i}": "dribble" for i in range(extra_headers)}
        conn.drip(response_bytes(200, headers=headers, body=TOKEN_BODY), interval)

    return handler


def never_answer() -> Handler:
    """Reads the request (or not, with nothing sent), then holds the connection silently until the server stops."""

    def handler(conn: RawConnection) -> None:
        conn.read_request()
        conn.server.stopped.wait(IO_TIMEOUT * 6)

    return handler


def recording_proxy() -> Handler:
    """A stand-in HTTP proxy: records the request it was asked to forward (target in absolute form) and answers it
    itself (a valid token response by default) instead of forwarding. A CONNECT is recorded and refused (403)."""

    def handler(conn: RawConnection) -> None:
        request = conn.read_request()
        if request is None:
            return
        if request.method == "CONNECT":
            conn.send(response_bytes(403, body=b"no tunnels here"))
            return
        conn.send(response_bytes(200, headers={"Content-Type": "application/json"}, body=TOKEN_BODY))

    return handler


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Polls `predicate` until true or `timeout` (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def targets(requests: Iterable[RawRequest]) -> list[str]:
    return [request.target for request in requests]
