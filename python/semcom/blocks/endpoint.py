# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""ZMQ endpoints of the terminal links: checked before a socket is made, refusals named."""
from __future__ import annotations

import ipaddress
import re

from ..errors import InputError

ENDPOINT = re.compile(r"tcp://(\*|[A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})")


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is tcp://HOST:PORT with a valid IPv4 address (or a host name, or * to bind every
    interface) and PORT in 1..65535; InputError naming it otherwise."""
    match = ENDPOINT.fullmatch(endpoint or "") if isinstance(endpoint, str) else None
    valid = bool(match) and 1 <= int(match.group(2)) <= 65535
    if valid and re.fullmatch(r"[\d.]+", match.group(1)):
        try:
            ipaddress.IPv4Address(match.group(1))
        except ValueError:
            valid = False
    if not valid:
        raise InputError(f"endpoint {endpoint!r}: expected tcp://HOST:PORT with HOST an IPv4 address or host name "
                         "(a sink's own address, a source's peer) and PORT in 1..65535")
    return endpoint


def refused(endpoint: str, role: str, reason) -> InputError:
    """The InputError for ZMQ refusing to ``role`` ('bind' or 'connect') ``endpoint``: an address that is
    not this host's, a port in use."""
    hint = ("give an address of this host on the link to its peers (127.0.0.1 when all run here), and a free "
            "port" if role == "bind" else "give the peer's address and port")
    return InputError(f"endpoint {endpoint}: ZMQ cannot {role} it ({reason}); {hint}")
