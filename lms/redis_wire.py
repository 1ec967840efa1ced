"""Read commands on a bare Redis socket, for the hottest path only.

The verification fast path answers a repeated check with one HMGET. Through
redis-py that one command costs about 80 microseconds of CPU (connection
pool, retries, health checks, event hooks), more than everything else the
fast path does together; the same command on a socket of the thread's own,
parsed by hiredis (which redis-py itself uses), costs about a third of that.

Only plain TCP and Unix-socket URLs are spoken here, with the URL's password
and database; for anything else (TLS, say) :func:`wire_for` returns None and
the caller uses redis-py. Every error closes the socket and is raised: the
caller treats it as Redis being away.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

try:
    import hiredis
except ImportError:  # the redis extra brings it; without it redis-py serves
    hiredis = None


def _command(*parts: bytes | str) -> bytes:
    encoded = [part.encode("utf-8") if isinstance(part, str) else part for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(
        b"$%d\r\n%s\r\n" % (len(part), part) for part in encoded
    )


class RedisWire:
    """One connection per thread and process to the Redis at a parsed URL."""

    def __init__(self, options: dict[str, Any], timeout: float) -> None:
        self.options = options
        self.timeout = timeout
        self.local = threading.local()

    def _connect(self) -> tuple[socket.socket, Any]:
        if "path" in self.options:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            connection.connect(self.options["path"])
        else:
            connection = socket.create_connection(
                (self.options.get("host", "localhost"), self.options.get("port", 6379)),
                timeout=self.timeout,
            )
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = hiredis.Reader()
        self.local.connection, self.local.reader, self.local.pid = connection, reader, os.getpid()
        password = self.options.get("password")
        if password:
            username = self.options.get("username")
            self._ask(_command("AUTH", *([username] if username else []), password))
        if int(self.options.get("db") or 0):
            self._ask(_command("SELECT", str(self.options["db"])))
        return connection, reader

    def _close(self) -> None:
        connection = getattr(self.local, "connection", None)
        self.local.connection = None
        if connection is not None:
            try:
                connection.close()
            except OSError:
                pass

    def _ask(self, command: bytes) -> Any:
        connection, reader = self.local.connection, self.local.reader
        connection.sendall(command)
        reply = reader.gets()
        while reply is False:
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            reader.feed(chunk)
            reply = reader.gets()
        if isinstance(reply, Exception):
            raise reply
        return reply

    def execute(self, *parts: bytes | str) -> Any:
        """Send one command and return its reply; raise (and reconnect next time) on error."""
        try:
            # A forked worker must not share its parent's socket.
            if getattr(self.local, "connection", None) is None or self.local.pid != os.getpid():
                self._connect()
            return self._ask(_command(*parts))
        except BaseException:
            self._close()
            raise

    def hmget(self, key: str, fields: list[str]) -> list[bytes | None]:
        return list(self.execute("HMGET", key, *fields))


def wire_for(url: str, timeout: float) -> RedisWire | None:
    """A bare-socket reader for ``url``, or None when only redis-py can speak to it."""
    if hiredis is None or not url.startswith(("redis://", "unix://")):
        return None
    from redis.connection import parse_url

    options = parse_url(url)
    if "connection_class" in options and "path" not in options:
        return None
    return RedisWire(options, timeout)
