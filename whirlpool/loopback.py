"""Servers Whirlpool starts on this machine (the demo site, a mail catcher, a test index) listen on
127.0.0.1 only."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"
# For collect.allow_private_networks: the one address of these local sites, not all of 127.0.0.0/8.
LOOPBACK_ONLY = [f"{LOOPBACK}/32"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for servers that cannot bind port 0 themselves (aiosmtpd 1.4.6
    fails its start-up check with port=0; noida-db takes a fixed port)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]
