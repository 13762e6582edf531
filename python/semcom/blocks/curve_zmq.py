# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio blocks: a ZMQ PUSH sink and PULL source whose peers authenticate with CURVE keys.

gr-zeromq's sockets take no security options, so anyone who reaches a bound port can take bursts
from it (ZMQ's PUSH deals them round-robin to every peer). These two blocks carry the same bursts
and tags over pyzmq sockets with ZMQ's CURVE mechanism: the sink is the CURVE server and accepts
only clients whose public key is in its key folder (ZAP, ``zmq.auth``); the source checks that the
sink holds the secret key of the peer it names. Traffic is encrypted. A key folder is made by
``semcom keys FOLDER`` (one key pair per program, ZMQ's certificate files ``NAME.key`` and
``NAME.key_secret``); docs/architecture.md ("Separate programs") says how to share it.

Wire format, one ZMQ message per burst: [b"semcom-burst/1", tags (a serialised PMT vector of
(key . value) pairs), the burst's bytes].
"""
from __future__ import annotations

import glob
import os
import time

import numpy as np
import pmt
import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message
from gnuradio import gr

from ..errors import InputError
from .endpoint import check_endpoint, refused
from ..phy.checks import require_int_range
from .item_types import vector

WIRE = b"semcom-burst/1"
POLL_MS = 100                      # longest wait inside work(), so a stopping flowgraph is never held up
LINGER_MS = 1000                   # how long a closing socket keeps trying to deliver what it holds
WARN_EVERY_S = 10.0
DRAIN_MS = 50                      # at stop, how long to wait for the monitor's next event
_FAILURES = {zmq.EVENT_HANDSHAKE_FAILED_AUTH: "auth", zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "protocol",
             zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "protocol"}


def load_key(folder: str, name: str, secret: bool) -> tuple:
    """(public, secret) of key ``name`` in ``folder`` (secret None unless ``secret``); InputError naming the
    file that is missing or unreadable."""
    path = os.path.join(folder, f"{name}.key_secret" if secret else f"{name}.key")
    if not os.path.isfile(path):
        raise InputError(f"key file {path}: missing (`semcom keys NEW_FOLDER` writes a key folder; every program "
                         "needs its own .key_secret and the peers' .key files)")
    try:
        public, secret_key = zmq.auth.load_certificate(path)
    except (ValueError, OSError) as exc:
        raise InputError(f"key file {path}: not a ZMQ CURVE certificate ({exc})") from None
    if secret and not secret_key:
        raise InputError(f"key file {path}: holds no secret key")
    for key, what in ((public, "public"), (secret_key, "secret")):
        if key is not None and len(key) != 40:         # Z85 text of a 32-byte CURVE key
            raise InputError(f"key file {path}: its {what} key is {len(key)} characters; a CURVE key is 40 (Z85)")
    return public, secret_key


class _CurveEnd:
    """The socket, its monitor and the handshake failures it has seen (shared by sink and source)."""

    def _open(self, kind: int, endpoint: str, keys: str, name: str):
        if not os.path.isdir(keys or ""):
            raise InputError(f"keys {keys!r}: not a folder (`semcom keys FOLDER` writes one)")
        self.endpoint = check_endpoint(endpoint)
        self.keys, self.key_name = keys, name
        public, secret = load_key(keys, name, secret=True)
        self.context = zmq.Context()
        self.socket = self.context.socket(kind)
        self.socket.curve_publickey, self.socket.curve_secretkey = public, secret
        self.socket.linger = LINGER_MS
        self.monitor = self.socket.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
            | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        self.handshakes = 0                 # peers that authenticated
        self.failures = {"auth": 0, "protocol": 0}
        self._warned_at = -WARN_EVERY_S

    def _watch(self, wait_ms: int = 0) -> None:
        """Count the handshakes the monitor reports (waiting up to ``wait_ms`` for each next one); warn, at
        most every 10 s, about failed ones."""
        while self.monitor.poll(wait_ms):
            event = recv_monitor_message(self.monitor)["event"]
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.handshakes += 1
            elif event in _FAILURES:
                self.failures[_FAILURES[event]] += 1
                if time.monotonic() - self._warned_at >= WARN_EVERY_S:
                    self._warned_at = time.monotonic()
                    self.logger.warn(f"{self.endpoint}: {self.failure_hint()}")

    def _close(self) -> None:
        self._watch(DRAIN_MS)               # the I/O thread's last events may still be on their way
        self.socket.disable_monitor()
        self.monitor.close(linger=0)
        self.socket.close()
        self.context.term()


class curve_push_sink(gr.sync_block, _CurveEnd):
    """Bursts (vectors of ``vlen`` complex symbols) and their tags → a ZMQ PUSH socket bound to
    ``endpoint``, as a CURVE server with key ``name`` of the folder ``keys``; only peers whose public key
    (``*.key``) is in that folder receive anything. Blocks (back-pressure) while no peer takes bursts.
    """

    def __init__(self, vlen: int = 800, endpoint: str = "tcp://127.0.0.1:5601", keys: str = "keys",
                 name: str = "audio-terminal"):
        self.vlen = require_int_range("vlen", vlen, 1)
        gr.sync_block.__init__(self, name="semcom_curve_push_sink", in_sig=[vector(np.complex64, self.vlen)],
                               out_sig=None)
        self._open(zmq.PUSH, endpoint, keys, name)
        clients = sorted(glob.glob(os.path.join(keys, "*.key")))
        if not clients:
            raise InputError(f"keys {keys!r}: no public keys (*.key) of peers to accept")
        self.authenticator = ThreadAuthenticator(self.context)
        self.authenticator.start()
        self.authenticator.configure_curve(domain="*", location=keys)
        self.socket.curve_server = True
        try:
            self.socket.bind(endpoint)
        except zmq.ZMQError as exc:
            self.authenticator.stop()
            self._close()
            raise refused(endpoint, "bind", exc) from None

    def failure_hint(self) -> str:
        return (f"refused {self.failures['auth']} peer(s) whose public key is not in {self.keys} and "
                f"{self.failures['protocol']} without CURVE keys")

    def work(self, input_items, output_items):
        self._watch()
        bursts = input_items[0]
        start = self.nitems_read(0)
        tags = self.get_tags_in_window(0, 0, len(bursts))
        for i, burst in enumerate(bursts):
            mine = [t for t in tags if t.offset == start + i]
            packed = pmt.make_vector(len(mine), pmt.PMT_NIL)
            for j, tag in enumerate(mine):
                pmt.vector_set(packed, j, pmt.cons(tag.key, tag.value))
            try:
                self.socket.send_multipart([WIRE, pmt.serialize_str(packed), burst.tobytes()], zmq.NOBLOCK)
            except zmq.Again:                # no peer takes it now: wait a little, then let GNU Radio call again
                if i == 0:
                    self.socket.poll(POLL_MS, zmq.POLLOUT)
                return i
        return len(bursts)

    def stop(self) -> bool:
        self.authenticator.stop()
        self._close()
        return True


# PMT's byte format (GNU Radio's pmt_serialize.cc): a type byte, then a fixed-size body, or a big-endian
# count and that many items (vector, tuple), or a uniform vector (item type, count, pad)
PMT_FIXED = {0x00: 0, 0x01: 0, 0x06: 0, 0x03: 4, 0x04: 8, 0x05: 16, 0x0b: 8, 0x0d: 8}
PMT_PAIRS, PMT_SYMBOL, PMT_COUNTED, PMT_UNIFORM = (0x07, 0x09), 0x02, (0x08, 0x0c), 0x0a
PMT_UNIFORM_ITEM = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 8, 7: 8, 8: 4, 9: 8, 10: 8, 11: 16}
MAX_TAG_BYTES = 1 << 16
MAX_TAG_DEPTH = 32


def pmt_bytes_fit(data: bytes) -> bool:
    """Whether ``data`` is one serialized PMT whose every count fits in the bytes that follow it, nested at
    most ``MAX_TAG_DEPTH`` deep, in at most ``MAX_TAG_BYTES``. GNU Radio's deserializer believes the counts
    (a 13-byte message can make it allocate gigabytes or recurse until the stack ends), so the tags of a
    CURVE message are checked with this first."""
    if len(data) > MAX_TAG_BYTES:
        return False
    at, pending = 0, [1]                  # items still to read at each open level
    while pending:
        if pending[-1] == 0:
            pending.pop()
            continue
        pending[-1] -= 1
        if at >= len(data):
            return False
        kind, at = data[at], at + 1
        left = len(data) - at
        if kind in PMT_FIXED:
            at += PMT_FIXED[kind]
        elif kind == PMT_SYMBOL:
            size = int.from_bytes(data[at:at + 2], "big") if left >= 2 else left + 1
            at += 2 + size
        elif kind in PMT_PAIRS:
            pending[-1] += 1              # the cdr, read after the car at this depth (GNU Radio loops along a list)
            pending.append(1)             # the car, one level deeper (GNU Radio recurses into it)
        elif kind in PMT_COUNTED:
            count = int.from_bytes(data[at:at + 4], "big") if left >= 4 else left + 1
            at += 4
            if count > len(data) - at:
                return False
            pending.append(count)
        elif kind == PMT_UNIFORM and left >= 6 and data[at] & 0x7f in PMT_UNIFORM_ITEM:
            item = PMT_UNIFORM_ITEM[data[at] & 0x7f]
            count, pad = int.from_bytes(data[at + 1:at + 5], "big"), data[at + 5]
            at += 6 + pad + count * item
        else:
            return False
        if at > len(data) or len(pending) > MAX_TAG_DEPTH:
            return False
    return at == len(data)


def parse_burst_message(frames: list, vlen: int):
    """A CURVE link message → (burst of ``vlen`` complex symbols, [(tag key, tag value)]), or None for a
    message that is not one (another size or format, tags that are not a vector of (symbol . value))."""
    if len(frames) != 3 or frames[0] != WIRE or len(frames[2]) != 8 * vlen or not pmt_bytes_fit(frames[1]):
        return None
    try:
        packed = pmt.deserialize_str(frames[1])
    except RuntimeError:
        return None
    if not pmt.is_vector(packed):
        return None
    found = []
    for j in range(pmt.length(packed)):
        pair = pmt.vector_ref(packed, j)
        if not (pmt.is_pair(pair) and pmt.is_symbol(pmt.car(pair))):
            return None
        found.append((pmt.car(pair), pmt.cdr(pair)))
    return np.frombuffer(frames[2], dtype=np.complex64).copy(), found


class curve_pull_source(gr.sync_block, _CurveEnd):
    """A ZMQ PULL socket connected to ``endpoint`` as a CURVE client with key ``name`` of the folder
    ``keys``, talking only to a sink that holds the secret key of ``peer`` → its bursts (vectors of
    ``vlen`` complex symbols) with their tags. A message of another size or format is dropped and
    counted (``mismatched``), with a warning: the peer runs another model, or the port is another link's.
    """

    def __init__(self, vlen: int = 800, endpoint: str = "tcp://127.0.0.1:5601", keys: str = "keys",
                 name: str = "channel", peer: str = "audio-terminal"):
        self.vlen = require_int_range("vlen", vlen, 1)
        gr.sync_block.__init__(self, name="semcom_curve_pull_source", in_sig=None,
                               out_sig=[vector(np.complex64, self.vlen)])
        self._open(zmq.PULL, endpoint, keys, name)
        self.peer = peer
        self.socket.curve_serverkey = load_key(keys, peer, secret=False)[0]
        self.mismatched = 0                 # messages dropped: not a burst of vlen symbols
        self.mismatched_size = None         # bytes of the last one
        try:
            self.socket.connect(endpoint)
        except zmq.ZMQError as exc:
            self._close()
            raise refused(endpoint, "connect", exc) from None

    def failure_hint(self) -> str:
        return (f"the peer refused this program's key '{self.key_name}' or does not hold the secret key of "
                f"'{self.peer}' ({self.failures['auth']} refused, {self.failures['protocol']} failed handshakes): "
                f"do both use the same key folder, made by `semcom keys`, and does the peer run with --keys?")

    def work(self, input_items, output_items):
        self._watch()
        out = output_items[0]
        size = 8 * self.vlen                # bytes of one burst
        if not self.socket.poll(POLL_MS, zmq.POLLIN):
            return 0
        produced = 0
        while produced < len(out):
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            parsed = parse_burst_message(frames, self.vlen)
            if parsed is None:
                self.mismatched += 1
                self.mismatched_size = len(frames[-1]) if frames else 0
                if time.monotonic() - self._warned_at >= WARN_EVERY_S:
                    self._warned_at = time.monotonic()
                    self.logger.warn(f"{self.endpoint}: dropped a message of {self.mismatched_size} bytes that is "
                                     f"not a burst of {size} bytes with its tags (does the peer use the same model, "
                                     "is the port right?)")
                continue
            out[produced], found = parsed
            for key, value in found:
                self.add_item_tag(0, self.nitems_written(0) + produced, key, value)
            produced += 1
        return produced

    def stop(self) -> bool:
        self._close()
        return True
