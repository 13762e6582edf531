# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vectorised LDPC codec of the digital baseline against gr-fec on the same inputs: the same codewords
as gr-fec's parity-check-matrix encoder, the same decoded bits as gr-fec's sum-product decoder from
above its threshold down to where most frames fail, the information bits where gr-fec's decoder reads
them; the blocks round-trip bursts; the digital system gives the same receiver output with either
backend; bad parameters are one-line errors. GNU Radio 3.10.9 and later decode with another algorithm
(no sigma): there the decoders are held to the same frame error rates instead of the same bits."""
import math
import os

import numpy as np
import pytest
from gnuradio import blocks, fec, gr

from gnuradio.semcom.blocks.ldpc_codec import grfec_decoder_takes_sigma, grfec_ldpc_decoder, ldpc_decoder, ldpc_encoder
from gnuradio.semcom.flowgraphs.payloads import LDPC_DIR, DigitalBaseline, DigitalPayload
from gnuradio.semcom.phy.ldpc import decode, read_alist

ALIST = os.path.join(LDPC_DIR, "n_0500_k_0202_gap_11.alist")
GAP = 11


@pytest.fixture(scope="module")
def code():
    return read_alist(ALIST)


def grfec_encode(info: np.ndarray) -> np.ndarray:
    tb = gr.top_block()
    source = blocks.vector_source_b(info.ravel().tolist(), False)
    encoder = fec.extended_encoder(fec.ldpc_par_mtrx_encoder.make_H(fec.ldpc_H_matrix(ALIST, GAP)), None, "11")
    sink = blocks.vector_sink_b()
    tb.connect(source, encoder, sink)
    tb.run()
    return np.array(sink.data(), np.uint8).reshape(len(info), -1)


def grfec_decode(soft: np.ndarray, max_iterations: int = 50) -> np.ndarray:
    tb = gr.top_block()
    source = blocks.vector_source_f(soft.ravel().tolist(), False)
    decoder = fec.extended_decoder(grfec_ldpc_decoder(ALIST, max_iterations), None, None, "11")
    sink = blocks.vector_sink_b()
    tb.connect(source, decoder, sink)
    tb.run()
    return np.array(sink.data(), np.uint8).reshape(len(soft), -1)


def bpsk_soft(codewords: np.ndarray, ebn0_db: float, rate: float, rng) -> np.ndarray:
    """Soft bits s of BPSK on AWGN at Eb/N0 with exp(s/4) the true likelihood ratio of a 1 (gr-fec's
    decoder with σ = √2 takes exp(s/(2σ²)))."""
    sigma2 = 1 / (2 * rate * 10 ** (ebn0_db / 10))
    received = (2.0 * codewords - 1) + math.sqrt(sigma2) * rng.standard_normal(codewords.shape)
    return (8 * received / sigma2).astype(np.float32)


def test_alist_is_read_as_gr_fec_reads_it(code):
    assert (code.n, code.m, code.k) == (500, 298, 202)
    matrix = fec.ldpc_H_matrix(ALIST, GAP)
    assert (matrix.n(), matrix.k()) == (code.n, code.k)
    weights = np.bincount(code.check_vars[code.check_vars < code.n].ravel(), minlength=code.n)
    assert set(weights.tolist()) == {2, 3} and weights.sum() == code.m * 5


def test_encoder_writes_gr_fec_codewords(code, rng):
    info = rng.integers(0, 2, (40, code.k), dtype=np.uint8)
    codewords = code.encode(info)
    np.testing.assert_array_equal(codewords, grfec_encode(info))
    assert code.syndrome_ok(codewords).all()
    np.testing.assert_array_equal(codewords[:, code.info_positions], info)


def test_information_bits_sit_where_gr_fec_decoder_reads_them(code):
    """With no iteration gr-fec returns the systematic bits of the hard decisions as they are: a single
    1 at position j comes out at j's place among the information bits, or not at all for a parity bit."""
    soft = np.where(np.eye(code.n, dtype=bool), 1.0, -1.0).astype(np.float32)
    got = grfec_decode(soft, max_iterations=0)
    decoded, iterations = decode(code, soft, max_iterations=0)
    np.testing.assert_array_equal(got, decoded[:, code.info_positions])
    assert (iterations == 0).all()
    expected = np.zeros((code.n, code.k), np.uint8)
    expected[code.info_positions, np.arange(code.k)] = 1
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("ebn0_db", [0.0, 1.0, 1.5, 3.0])
def test_decoder_gives_gr_fec_bits(code, ebn0_db):
    """The same algorithm: at 0 dB nearly every frame fails (50 iterations), at 1-1.5 dB (the
    threshold) some do, at 3 dB nearly none; the decoded bits equal gr-fec's frame for frame."""
    rng = np.random.default_rng(int(ebn0_db * 10) + 7)
    info = rng.integers(0, 2, (120, code.k), dtype=np.uint8)
    soft = bpsk_soft(code.encode(info), ebn0_db, code.k / code.n, rng)
    theirs = grfec_decode(soft)
    decoded, iterations = decode(code, soft)
    ours = decoded[:, code.info_positions]
    expected = {0.0: lambda e: e > 0.9, 1.0: lambda e: 0.2 < e < 0.9, 1.5: lambda e: 0.05 < e < 0.5,
                3.0: lambda e: e < 0.05}[ebn0_db]
    for bits in (theirs, ours):
        frame_errors = (bits != info).any(axis=1).mean()
        assert expected(frame_errors), frame_errors
    if grfec_decoder_takes_sigma():                  # the same algorithm: the same bits
        np.testing.assert_array_equal(ours, theirs)
    assert (iterations[~code.syndrome_ok(decoded)] == 50).all()      # a frame that failed ran them all


def test_decoder_stops_at_once_on_codewords_and_chunks_do_not_matter(code, rng):
    info = rng.integers(0, 2, (30, code.k), dtype=np.uint8)
    clean = (8 * (2.0 * code.encode(info) - 1)).astype(np.float32)
    decoded, iterations = decode(code, clean)
    np.testing.assert_array_equal(decoded[:, code.info_positions], info)
    assert (iterations == 0).all()
    noisy = bpsk_soft(code.encode(info), 1.0, code.k / code.n, rng)
    whole, whole_iterations = decode(code, noisy)
    for chunk in (1, 7):
        part, part_iterations = decode(code, noisy, chunk=chunk)
        np.testing.assert_array_equal(part, whole)
        np.testing.assert_array_equal(part_iterations, whole_iterations)


def test_blocks_round_trip_bursts_of_frames(code, rng):
    frames, bursts = 5, 4
    info = rng.integers(0, 2, (bursts, frames * code.k), dtype=np.uint8)
    tb = gr.top_block()
    source = blocks.vector_source_b(info.ravel().tolist(), False, frames * code.k)
    encoder = ldpc_encoder(ALIST, frames)
    to_soft = blocks.char_to_float(frames * code.n, 1.0)
    antipodal = [blocks.multiply_const_vff([16.0] * (frames * code.n)),
                 blocks.add_const_vff([-8.0] * (frames * code.n))]
    decoder = ldpc_decoder(ALIST, frames)
    sink = blocks.vector_sink_b(frames * code.k)
    coded = blocks.vector_sink_b(frames * code.n)
    tb.connect(source, encoder, to_soft, *antipodal, decoder, sink)
    tb.connect(encoder, coded)
    tb.run()
    np.testing.assert_array_equal(np.array(sink.data(), np.uint8).reshape(info.shape), info)
    words = np.array(coded.data(), np.uint8).reshape(bursts * frames, code.n)
    np.testing.assert_array_equal(words, grfec_encode(info.reshape(-1, code.k)))
    assert decoder.iterations == 0 and decoder.failed == 0


def test_bad_parameters_are_named(tmp_path, code):
    with pytest.raises(ValueError, match="no such alist file"):
        read_alist(str(tmp_path / "missing.alist"))
    bad = tmp_path / "bad.alist"
    bad.write_text("4 2\n2 x\n")
    with pytest.raises(ValueError, match="not an alist file"):
        read_alist(str(bad))
    with pytest.raises(ValueError, match=r"soft bits must be \(frames, 500\)"):
        decode(code, np.zeros((3, 499), np.float32))
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got 0"):
        decode(code, np.zeros((1, 500), np.float32), sigma=0)
    with pytest.raises(ValueError, match="max_iterations must be >= 0, got -1"):
        ldpc_decoder(ALIST, 5, max_iterations=-1)
    with pytest.raises(ValueError, match=r"information bits must be \(frames, 202\)"):
        code.encode(np.zeros((2, 201), np.uint8))
    with pytest.raises(ValueError, match="ldpc_backend must be one of 'numpy', 'gr-fec', got 'aff3ct'"):
        DigitalPayload(32, 10, 64, 10.0, ldpc_backend="aff3ct")


def test_digital_system_gives_the_same_receiver_output_with_either_backend(tmp_path):
    """The whole baseline on Rayleigh at an SNR where frames fail: gr-fec's encoder and decoder, or the
    vectorised ones, give the same per-segment results file."""
    from conftest import easy_synth, untrained_model
    from gnuradio.semcom.flowgraphs.system import SystemConfig, system_top_block
    data = easy_synth(str(tmp_path / "data"), videos=60)
    model = untrained_model(data, str(tmp_path / "av16"), "av", symbols=16)
    files = {}
    for backend in ("gr-fec", "numpy"):
        files[backend] = tmp_path / f"{backend}.csv"
        tb = system_top_block(SystemConfig(model=model, data=data, channel="rayleigh", snr_db=9.0,
                                           digital=DigitalBaseline(ldpc_backend=backend),
                                           results_file=str(files[backend])))
        tb.run()
        assert tb.result().videos > 0
        if backend == "numpy":
            assert sum(b.failed for b in tb.air.blocks if isinstance(b, ldpc_decoder)) > 0
    if grfec_decoder_takes_sigma():
        assert files["numpy"].read_text() == files["gr-fec"].read_text()
    else:                                            # another decoder: the same segments, mostly the same labels
        import csv
        numpy_rows, grfec_rows = (list(csv.DictReader(files[b].open())) for b in ("numpy", "gr-fec"))
        key = lambda row: (row["video"], row["segment"])        # noqa: E731
        assert [key(r) for r in numpy_rows] == [key(r) for r in grfec_rows] and numpy_rows
        same = np.mean([a["predicted"] == b["predicted"] for a, b in zip(numpy_rows, grfec_rows)])
        assert same > 0.8, same
