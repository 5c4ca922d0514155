"""Ports for the servers the tests and the production-stack check start themselves.

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from the ephemeral range, the
same range every outgoing connection takes its local port from. Between choosing such a port
and the server binding it, a client connection (a worker to Redis, a host to PostgreSQL) can
take it, and the server dies with "address already in use" — which is how a CI run of the
production stack failed. Ports below the ephemeral range are never taken that way; a port that
a listener already holds is skipped by trying to bind it first.
"""

import random
import socket
from pathlib import Path

# Linux's default ephemeral range starts at 32768; the kernel says where it starts here.
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 20000
_handed_out: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens now, outside the ephemeral range.

    Returns an int in [20000, start of the ephemeral range); never the same port twice in one
    process (two servers asked for ports before either binds must not get the same one).
    Raises RuntimeError when 200 tries found none free.
    """
    high = max(_ephemeral_start(), _LOWEST + 1000)
    for _ in range(200):
        port = random.randrange(_LOWEST, high)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in [{_LOWEST}, {high})")
