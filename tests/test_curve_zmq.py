# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""CURVE PUSH sink / PULL source: bursts and tags arrive unchanged between keyed peers; strangers and
plain sockets get nothing and are counted; a burst of another size is dropped and counted; bad keys,
folders and endpoints get clear errors."""
import os
import socket
import time

import numpy as np
import pmt
import pytest
import zmq
import zmq.auth
from gnuradio import blocks, gr

from gnuradio.semcom import curve_pull_source, curve_push_sink
from gnuradio.semcom.errors import InputError
from gnuradio.semcom.flowgraphs.programs import PROGRAM_KEYS, make_keys

pytestmark = pytest.mark.timeout(300)
VLEN = 6


@pytest.fixture
def keys(tmp_path):
    folder = str(tmp_path / "keys")
    make_keys(folder)
    return folder


def endpoint() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"tcp://127.0.0.1:{port}"


def tagged_source(bursts: np.ndarray):
    """A vector source of ``bursts`` with a dict tag on burst 0 and a number on burst 2."""
    tags = [gr.tag_utils.python_to_tag((0, pmt.intern("semcom_video"), pmt.to_pmt({"position": 7, "count": 9}),
                                        pmt.intern("src"))),
            gr.tag_utils.python_to_tag((2, pmt.intern("semcom_frame"), pmt.from_long(5), pmt.intern("src")))]
    return blocks.vector_source_c(bursts.ravel().tolist(), False, VLEN, tags)


def wait_for(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def link(sink, tx_source, rx_keys: str, vlen: int = VLEN):
    """tx: ``tx_source`` → ``sink`` (a curve_push_sink); rx: a curve_pull_source with ``rx_keys`` →
    a vector sink. Returns (tx, rx, source, received); every block stays referenced."""
    tx = gr.top_block()
    tx.connect(tx_source, sink)
    rx = gr.top_block()
    source = curve_pull_source(vlen, sink.endpoint, rx_keys, "channel", "audio-terminal")
    received = blocks.vector_sink_c(vlen)
    rx.connect(source, received)
    tx.keep = (tx_source, sink)
    return tx, rx, source, received


def run_until(tx, rx, condition, what: str):
    rx.start()
    tx.start()
    try:
        wait_for(condition, what)
    finally:
        rx.stop()
        rx.wait()
        tx.stop()
        tx.wait()


def test_bursts_and_tags_arrive_unchanged(keys):
    rng = np.random.default_rng(3)
    bursts = (rng.standard_normal((5, VLEN)) + 1j * rng.standard_normal((5, VLEN))).astype(np.complex64)
    tx, rx, source, received = link(curve_push_sink(VLEN, endpoint(), keys, "audio-terminal"),
                                    tagged_source(bursts), keys)
    run_until(tx, rx, lambda: len(received.data()) == bursts.size, "all bursts arriving")
    assert np.array_equal(np.array(received.data(), dtype=np.complex64).reshape(bursts.shape), bursts)
    got = [(t.offset, pmt.symbol_to_string(t.key), pmt.to_python(t.value)) for t in received.tags()]
    assert got == [(0, "semcom_video", {"position": 7, "count": 9}), (2, "semcom_frame", 5)]
    assert source.handshakes >= 1 and source.failures == {"auth": 0, "protocol": 0}


def test_a_stranger_and_a_plain_socket_get_nothing_and_are_counted(keys):
    where = endpoint()
    tb = gr.top_block()
    sink = curve_push_sink(VLEN, where, keys, "audio-terminal")
    tb.connect(blocks.vector_source_c([1j] * VLEN, True, VLEN), sink)       # endless bursts, no keyed peer
    context = zmq.Context()
    plain = context.socket(zmq.PULL)
    stranger = context.socket(zmq.PULL)
    stranger.curve_publickey, stranger.curve_secretkey = zmq.curve_keypair()
    stranger.curve_serverkey = zmq.auth.load_certificate(os.path.join(keys, "audio-terminal.key"))[0]
    stolen = 0
    try:
        tb.start()
        for intruder in (plain, stranger):
            intruder.rcvtimeo = 20
            intruder.connect(where)

        def refused_both():
            nonlocal stolen
            for intruder in (plain, stranger):
                try:
                    intruder.recv()
                    stolen += 1
                except zmq.Again:
                    pass
            return sink.failures["auth"] >= 1 and sink.failures["protocol"] >= 1
        wait_for(refused_both, "the sink refusing both intruders")
    finally:
        tb.stop()
        tb.wait()
        for intruder in (plain, stranger):
            intruder.close(linger=0)
        context.term()
    assert stolen == 0 and sink.handshakes == 0


def test_a_burst_of_another_size_is_dropped_and_counted(keys):
    tx, rx, source, received = link(curve_push_sink(2 * VLEN, endpoint(), keys, "audio-terminal"),
                                    blocks.vector_source_c([1.0] * (2 * VLEN) * 3, False, 2 * VLEN), keys)
    run_until(tx, rx, lambda: source.mismatched == 3, "three mismatched bursts")
    assert len(received.data()) == 0
    assert source.mismatched_size == 2 * VLEN * 8


def test_a_peer_with_another_key_is_refused_and_the_source_says_why(keys, tmp_path):
    other = str(tmp_path / "other")
    make_keys(other)
    tx, rx, source, received = link(curve_push_sink(VLEN, endpoint(), keys, "audio-terminal"),
                                    blocks.vector_source_c([1j] * VLEN, True, VLEN), other)   # the other folder's keys
    run_until(tx, rx, lambda: sum(source.failures.values()) >= 1, "a failed handshake at the source")
    assert len(received.data()) == 0
    assert "the peer refused this program's key 'channel'" in source.failure_hint()


def test_make_keys_writes_one_pair_per_program_and_never_overwrites(keys):
    assert sorted(os.listdir(keys)) == sorted(f"{n}.{x}" for n in PROGRAM_KEYS for x in ("key", "key_secret"))
    for name in PROGRAM_KEYS:
        public, secret = zmq.auth.load_certificate(os.path.join(keys, name + ".key_secret"))
        assert zmq.curve_public(secret) == public
    with pytest.raises(InputError, match="holds keys already"):
        make_keys(keys)


def test_bad_keys_and_endpoints_get_clear_errors(keys, tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        curve_push_sink(VLEN, endpoint(), str(tmp_path / "nothere"), "audio-terminal")
    with pytest.raises(InputError, match=r"nobody\.key_secret: missing"):
        curve_push_sink(VLEN, endpoint(), keys, "nobody")
    with pytest.raises(InputError, match=r"nobody\.key: missing"):
        curve_pull_source(VLEN, endpoint(), keys, "channel", "nobody")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "audio-terminal.key_secret").write_text("not a certificate\n")
    with pytest.raises(InputError, match="holds no secret key|not a ZMQ CURVE certificate"):
        curve_push_sink(VLEN, endpoint(), str(broken), "audio-terminal")
    with pytest.raises(InputError, match="expected tcp://HOST:PORT"):
        curve_push_sink(VLEN, "tcp://999.1.1.1:1", keys, "audio-terminal")
    with pytest.raises(InputError, match="ZMQ cannot bind it"):
        curve_push_sink(VLEN, "tcp://198.51.100.7:5601", keys, "audio-terminal")
