# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system of docs/architecture.md as separate programs (processes, or hosts) joined by gr-zeromq PUSH/PULL
with tags passed: the audio terminal, the channel (an air-interface emulator: the SISO link to the
video terminal and the 2×2 uplink to the receiver), the video terminal and the receiver.

Default endpoints (ZMQ sinks bind, sources connect; replace 127.0.0.1 by the peer's address):

=================  ===========================================  ==============================
program            binds (sends)                                connects to (receives)
=================  ===========================================  ==============================
audio terminal     SISO bursts :5601, uplink bursts :5602       -
channel            SISO to video terminal :5604,                :5601, :5602 (audio terminal),
                   antennas 1 and 2 to the receiver :5605 :5606 :5603 (video terminal)
video terminal     uplink bursts :5603                          :5604 (channel)
receiver           -                                            :5605, :5606 (channel)
=================  ===========================================  ==============================

The SISO link can also go over a radio (the OTA waveform of :mod:`.loopback`): the audio terminal
and the video terminal then each open their radio, and the channel leaves the SISO link out.

Every program stops by itself: at the end of the stream (the last video announced by the audio
terminal's ``semcom_video`` tags has passed), or when its peers have been quiet for ``idle_timeout``
seconds. With the same model, data, channel seed and SNR the four programs compute what the
one-process :class:`.system.system_top_block` computes.

With a key folder (``keys``, made by :func:`make_keys`), every link is a CURVE-authenticated,
encrypted ZMQ link (:mod:`..blocks.curve_zmq`) instead of gr-zeromq's: a sink talks only to peers
whose public key is in the folder, a source only to the program it expects.
"""
from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass

import zmq.auth

from gnuradio import blocks, gr, zeromq

from ..blocks.audio_transmitter import audio_transmitter
from ..blocks.curve_zmq import curve_pull_source, curve_push_sink
from ..blocks.endpoint import check_endpoint, refused
from ..blocks.feature_lookup import feature_lookup
from ..blocks.feature_source import feature_source
from ..blocks.mimo_channel import seeds
from ..blocks.multimodal_receiver import multimodal_receiver
from ..blocks.ota_demodulator import ota_demodulator
from ..blocks.ota_modulator import ota_modulator
from ..blocks.progress_probe import progress_probe
from ..blocks.slot_aligner import slot_aligner
from ..blocks.video_transmitter import video_transmitter
from ..nn.model_dir import check_data_matches, open_model_dir
from ..phy.channels import CHANNELS
from ..phy.checks import require_choice
from .air import LinkBuilder
from .payloads import SemanticPayload
from .radio import open_radio
from ..modes import AIR_CSI_MODES, check_snr_db
from .system import ANTENNAS
from ..errors import InputError

ENDPOINTS = {
    "audio_siso": "tcp://127.0.0.1:5601", "audio_uplink": "tcp://127.0.0.1:5602",
    "video_uplink": "tcp://127.0.0.1:5603", "siso": "tcp://127.0.0.1:5604",
    "antennas": ["tcp://127.0.0.1:5605", "tcp://127.0.0.1:5606"],
}
ZMQ_TIMEOUT_MS = 100


def zmq_block(make, endpoint: str, role: str):
    """A gr-zeromq sink (role 'bind') or source ('connect') for a checked ``endpoint``; ZMQ's refusal (an
    address that is not this host's, a port in use) becomes an InputError that names the endpoint."""
    check_endpoint(endpoint)
    try:
        return make()
    except RuntimeError as exc:
        raise refused(endpoint, role, exc) from None


@dataclass
class AirSettings:
    """What the programs on both sides of the air must agree on (the receiving side needs csi,
    estimator and snr_db; the channel needs channel, snr_db, rician_k and seed)."""
    channel: str = "rayleigh"
    snr_db: float = 10.0
    rician_k: float = 4.0
    seed: int = 1
    csi: str = "estimated"
    estimator: str = "min_residual"

    def validate(self) -> None:
        require_choice("channel", self.channel, CHANNELS)
        require_choice("csi", self.csi, AIR_CSI_MODES)
        check_snr_db(self.snr_db)


_GNURADIO_LOG = None


def gnuradio_log():
    """A GNU Radio log sink that keeps every message (to find a ZMQ source's size error, which GNU Radio
    reports only in its log when the block's thread dies)."""
    global _GNURADIO_LOG
    if _GNURADIO_LOG is None:
        _GNURADIO_LOG = gr.dictionary_logger_backend()
        gr.logging().add_default_sink(_GNURADIO_LOG)
    return _GNURADIO_LOG


class _Program(gr.top_block):
    """A multimodal model directory's burst format, ZMQ ends with probes, and the stop rule."""

    KEY = ""                        # this program's key name in a key folder (`semcom keys`)

    def __init__(self, name: str, model: str, air: AirSettings, keys: str = ""):
        gr.top_block.__init__(self, name)
        air.validate()
        self.name_ = name
        self.keys = keys            # a key folder: CURVE-authenticated links (curve_zmq) instead of gr-zeromq
        self.config = air
        self.model = open_model_dir(model)
        self.model.require_modality("av")
        self.air = LinkBuilder(self, SemanticPayload(2 * self.model.symbols, self.model.segments),
                               self.model.pilot_settings(), channel=air.channel, snr_db=air.snr_db,
                               rician_k=air.rician_k, estimator=air.estimator)
        self.probes = []            # (probe, sink, endpoint): the outgoing streams whose end means done
        self._taken = {}            # sink → items it has handed to a peer, at the latest look
        self._taken_at = None       # time.monotonic() when a peer last took items (None: never)
        self._waiting_since = None  # since when bursts wait for a peer that takes none
        self.inputs = []            # probes on the incoming ZMQ streams
        self.sources = []           # (ZMQ source, endpoint, bytes per burst) of the incoming streams
        self.curve_ends = []        # the CURVE sinks and sources (with --keys)
        gnuradio_log()

    def send(self, port, endpoint: str, users: int) -> None:
        """Bursts of a ``users``-user link → a ZMQ PUSH sink bound for ``endpoint``, with a probe."""
        length = self.air.burst_len(users)
        # bound to the interface of ``endpoint`` only (127.0.0.1 by default), never every interface unless asked
        if self.keys:
            sink = self.air.add(curve_push_sink(length, endpoint, self.keys, self.KEY))
            self.curve_ends.append(sink)
        else:
            sink = self.air.add(zmq_block(lambda: zeromq.push_sink(gr.sizeof_gr_complex, length, endpoint,
                                                               ZMQ_TIMEOUT_MS, True, -1), endpoint, "bind"))
        probe = self.air.add(progress_probe(gr.sizeof_gr_complex * length))
        self.connect(port, sink)
        self.connect(port, probe)
        self.probes.append((probe, sink, endpoint))

    def send_air(self, port, radio, users: int) -> None:
        """Bursts → ota_modulator → the radio's transmitter (:mod:`.loopback`), with a probe."""
        length = self.air.burst_len(users)
        modulator = self.air.add(ota_modulator(length))
        (sink,) = [self.air.add(b) for b in open_radio(radio, "tx")]
        probe = self.air.add(progress_probe(gr.sizeof_gr_complex * length))
        self.connect(port, modulator, sink)
        self.connect(port, probe)
        self.probes.append((probe, modulator, f"radio {radio.device!r}"))

    def receive_air(self, radio, users: int):
        """The radio's receiver → ota_demodulator: bursts of a ``users``-user link."""
        length = self.air.burst_len(users)
        (source,) = [self.air.add(b) for b in open_radio(radio, "rx")]
        demodulator = self.air.add(ota_demodulator(length))
        probe = self.air.add(progress_probe(gr.sizeof_gr_complex * length))
        self.connect(source, demodulator, probe)
        self.inputs.append(probe)
        return (demodulator, 0)

    def receive(self, endpoint: str, users: int, peer: str):
        """A ZMQ PULL source connected to ``endpoint`` (where program ``peer`` sends) for bursts of a
        ``users``-user link."""
        length = self.air.burst_len(users)
        if self.keys:
            source = self.air.add(curve_pull_source(length, endpoint, self.keys, self.KEY, peer))
            self.curve_ends.append(source)
        else:
            source = self.air.add(zmq_block(lambda: zeromq.pull_source(gr.sizeof_gr_complex, length, endpoint,
                                                                   ZMQ_TIMEOUT_MS, True, -1), endpoint, "connect"))
        self.sources.append((source, endpoint, gr.sizeof_gr_complex * length))
        probe = self.air.add(progress_probe(gr.sizeof_gr_complex * length))
        self.connect(source, probe)
        self.inputs.append(probe)
        return (source, 0)

    def failure(self) -> str:
        """Why a block of this program stopped the flowgraph ('' while none has)."""
        return ""

    def finished(self) -> bool:
        """Every outgoing stream has passed the last video and handed it to a peer."""
        return bool(self.probes) and all(p.finished() and s.nitems_read(0) >= p.items for p, s, _ in self.probes)

    def took(self):
        """time.monotonic() when a peer last took bursts from an outgoing link (None: never). A ZMQ sink
        takes a burst only when a connected peer's socket accepts it; a radio always does."""
        for _, sink, _ in self.probes:
            count = sink.nitems_read(0)
            if count != self._taken.get(sink, 0):
                self._taken[sink], self._taken_at = count, time.monotonic()
        return self._taken_at

    def waiting(self) -> list:
        """The outgoing endpoints whose bursts wait for a peer to take them."""
        return [endpoint for probe, sink, endpoint in self.probes if probe.items > sink.nitems_read(0)]

    def last_activity(self):
        """time.monotonic() of the latest item received, or taken by a peer (None before the first)."""
        times = [p.last_item_at for p in self.inputs] + [self.took()]
        times = [t for t in times if t is not None]
        return max(times) if times else None

    def summary(self) -> dict:
        """``videos_sent``: the videos whose bursts a peer took on every outgoing link; ``videos_not_taken``:
        those made here that some peer never took (they were still in this program's buffers at the stop)."""
        made = set().union(*(p.positions for p, _, _ in self.probes)) if self.probes else set()
        sent = set.intersection(*(p.taken(s.nitems_read(0)) for p, s, _ in self.probes)) if self.probes else set()
        return dict({"program": self.name_, "videos_sent": sorted(sent), "videos_not_taken": sorted(made - sent),
                     "pilot_fit": self.air.pilot_fit_summary()}, **self.security_summary())

    def security_summary(self) -> dict:
        """With --keys: the handshakes of the CURVE links, and the peers refused (a key not in the folder, or
        no CURVE at all)."""
        if not self.keys:
            return {}
        return {"keys": self.keys, "handshakes_succeeded": sum(e.handshakes for e in self.curve_ends),
                "handshakes_failed": sum(sum(e.failures.values()) for e in self.curve_ends)}

    def start_failure(self, start_timeout: float) -> str:
        """Why the program stops when nothing came for ``start_timeout`` s, naming the endpoints it waited on."""
        return f"nothing received for {start_timeout:g} s" + self.waited_for()

    def waited_for(self) -> str:
        """' from ENDPOINT, …: is the peer running and reachable there?' for the incoming ZMQ streams."""
        if not self.sources:
            return ""
        endpoints = ", ".join(endpoint for _, endpoint, _ in self.sources)
        refusals = "".join(f"; {s.endpoint}: {s.failure_hint()}" for s, _, _ in self.sources
                           if isinstance(s, curve_pull_source) and any(s.failures.values()))
        keys = "" if self.keys else " (if the peers run with --keys, this program needs --keys too)"
        return f" from {endpoints}: are the peers running and reachable at those addresses?{keys}" + refusals

    def size_mismatch(self) -> str | None:
        """Why an incoming stream died, if a peer sent bursts of another size (another model, or the wrong
        port): GNU Radio logs it and stops that ZMQ source."""
        died = [text for messages in gnuradio_log().get_map().values() for _, text in messages
                if "Incompatible vector sizes" in text]
        for source, endpoint, size in self.sources:
            if getattr(source, "mismatched", 0) or any(f"<block pull_source({source.unique_id()})>" in text
                                                       for text in died):
                return (f"the bursts from {endpoint} are not {size} bytes each, what this program's model "
                        f"({self.model.folder}: L = {self.model.symbols}) makes: every program must use the same "
                        "model directory, and each endpoint must be the peer's port for this link")
        return None

    def serve(self, idle_timeout: float = 10.0, start_timeout: float = 60.0, linger: float = 1.0) -> dict:
        """Run until the end of the stream, ``idle_timeout`` s without items (after the first), or
        ``start_timeout`` s without any item, or SIGINT/SIGTERM; then wait ``linger`` s so that ZMQ
        delivers what it holds (its sockets drop queued messages when they close)."""
        stop = []
        previous = {s: signal.signal(s, lambda *_: stop.append("signal")) for s in (signal.SIGINT, signal.SIGTERM)}
        self.start()
        started = time.monotonic()
        reason = None
        try:
            while reason is None:
                time.sleep(0.05)
                now, last = time.monotonic(), self.last_activity()
                mismatch = self.size_mismatch()
                if stop:
                    reason = "stopped by a signal"
                elif mismatch:
                    reason = mismatch
                elif self.failure():
                    reason = self.failure()
                elif self.finished():
                    reason = "end of stream"
                elif last is None and now - started > start_timeout:
                    reason = self.start_failure(start_timeout)
                elif last is not None and now - last > idle_timeout:
                    reason = f"peers quiet for {idle_timeout:g} s"
            if reason == "end of stream":
                time.sleep(linger)
        finally:
            self.stop()
            self.wait()
            for s, handler in previous.items():
                signal.signal(s, handler)
        return dict(self.summary(), reason=reason)


class audio_terminal_program(_Program):
    """feature_source (audio) → audio_transmitter → bursts for the SISO link (user 0 of 1) and for
    the uplink (user 0 of 2) → ZMQ."""
    KEY = "audio-terminal"

    def __init__(self, model: str, data: str, split: str = "test", videos: int = 0,
                 segments_per_second: float = 0.0, endpoints: dict = ENDPOINTS, torch_threads: int = 0,
                 device: str = "auto",
                 check_data: bool = True, siso_radio=None, keys: str = ""):
        super().__init__("semcom_audio_terminal", model, AirSettings(), keys)
        self.source = feature_source(data, split, videos, segments_per_second, check_data)
        check_data_matches(self.model, self.source.split.audio.shape[1:], self.source.split.visual.shape[1:], data)
        self.connect((self.source, 1), self.air.add(blocks.null_sink(gr.sizeof_float * self.source.visual_size)))
        self.audio_tx = audio_transmitter(model, torch_threads=torch_threads, device=device)
        self.connect((self.source, 0), self.audio_tx)
        siso = self.air.transmit((self.audio_tx, 0), 0, 1)
        if siso_radio is not None:                  # the SISO link over the air (OTA waveform)
            self.send_air(siso, siso_radio, 1)
        else:
            self.send(siso, endpoints["audio_siso"], 1)
        self.send(self.air.transmit((self.audio_tx, 0), 0, 2), endpoints["audio_uplink"], 2)

    def last_activity(self):
        """Its own source paces it: active while no burst waits for a peer; while bursts wait, as of when a
        peer last took one, or when they began to wait (None until a peer has taken any)."""
        taken, now = self.took(), time.monotonic()
        if not self.waiting():
            self._waiting_since = None
            return now if taken is not None else None
        if self._waiting_since is None:
            self._waiting_since = now
        return None if taken is None else max(taken, self._waiting_since)

    def start_failure(self, start_timeout: float) -> str:
        ends = ", ".join(endpoint for _, _, endpoint in self.probes)
        keys = "" if self.keys else " (if the peers run with --keys, this program needs --keys too)"
        return (f"no peer took a burst for {start_timeout:g} s at {ends} (bound here): is the channel running and "
                f"connected to those addresses?{keys}")


class channel_program(_Program):
    """Audio SISO bursts → SISO link (1×1) → video terminal; audio and video uplink bursts →
    slot_aligner → 2×2 uplink → the receiver's two antennas. Seeds as in the one-process system."""
    KEY = "channel"

    def __init__(self, model: str, air: AirSettings, endpoints: dict = ENDPOINTS, slot_timeout: float = 1.0,
                 siso: bool = True, keys: str = ""):
        super().__init__("semcom_channel", model, air, keys)
        siso_seed, uplink_seed = seeds(air.seed, 2)
        if siso:                                    # False: the terminals run the SISO link over a radio
            audio = self.receive(endpoints["audio_siso"], 1, audio_terminal_program.KEY)
            (heard,) = self.air.channel([audio], 1, siso_seed)
            self.send(heard, endpoints["siso"], 1)
        self.aligner = self.air.add(slot_aligner(self.air.burst_len(2), 2, slot_timeout))
        self.connect(self.receive(endpoints["audio_uplink"], 2, audio_terminal_program.KEY), (self.aligner, 0))
        self.connect(self.receive(endpoints["video_uplink"], 2, video_terminal_program.KEY), (self.aligner, 1))
        received = self.air.channel([(self.aligner, 0), (self.aligner, 1)], ANTENNAS, uplink_seed)
        for port, endpoint in zip(received, endpoints["antennas"]):
            self.send(port, endpoint, 2)

    def summary(self) -> dict:
        return dict(super().summary(), video_slots_lost=[p for _, p in self.aligner.lost],
                    late_bursts_dropped=[p for _, p in self.aligner.dropped])


class video_terminal_program(_Program):
    """SISO bursts → LS → ZF → inverse Euler (a*_t) → video_transmitter (AGVA) with the visual features
    of the same videos (feature_lookup) → uplink bursts (user 1 of 2) → ZMQ."""
    KEY = "video-terminal"

    def __init__(self, model: str, data: str, air: AirSettings, split: str = "test", endpoints: dict = ENDPOINTS,
                 torch_threads: int = 0, check_data: bool = True, siso_radio=None, keys: str = "",
                 device: str = "auto"):
        super().__init__("semcom_video_terminal", model, air, keys)
        siso_csi = "estimated" if air.csi == "none" else air.csi
        if siso_radio is not None and siso_csi == "perfect":
            raise InputError("csi 'perfect' needs the simulated channel's H: over the air use 'estimated'")
        bursts = (self.receive_air(siso_radio, 1) if siso_radio is not None
                  else self.receive(endpoints["siso"], 1, channel_program.KEY))
        (heard,) = self.air.detect([bursts], 1, siso_csi, 1)
        self.lookup = self.air.add(feature_lookup(data, split, self.air.payload.d, check_data))
        check_data_matches(self.model, self.lookup.split.audio.shape[1:], self.lookup.split.visual.shape[1:], data)
        # whole (not split): the visual features are looked up from the heard audio
        self.video_tx = video_transmitter(model, torch_threads=torch_threads, device=device)
        self.connect(heard, self.lookup, (self.video_tx, 0))
        self.connect(heard, (self.video_tx, 1))
        self.send(self.air.transmit((self.video_tx, 0), 1, 2), endpoints["video_uplink"], 2)


class receiver_program(_Program):
    """The two antennas' bursts → LS → ZF (or raw, csi none) → inverse Euler → multimodal_receiver."""
    KEY = "receiver"

    def __init__(self, model: str, air: AirSettings, endpoints: dict = ENDPOINTS, results_file: str = "",
                 torch_threads: int = 0, resume: bool = True, keys: str = "", keep_results: bool = False,
                 device: str = "auto"):
        super().__init__("semcom_receiver", model, air, keys)
        received = [self.receive(endpoint, 2, channel_program.KEY) for endpoint in endpoints["antennas"]]
        streams = self.air.detect(received, 2, air.csi, 2)
        # hours of streaming: the results go to the file; the receiver keeps them too only when asked
        self.receiver = multimodal_receiver(model, results_file=results_file, torch_threads=torch_threads,
                                            resume=resume, keep_results=keep_results, device=device)
        for i, port in enumerate(streams):
            self.connect(port, (self.receiver, i))

    def failure(self) -> str:
        return self.receiver.failure

    def finished(self) -> bool:
        expected = self.receiver.expected
        return expected > 0 and expected - 1 in self.receiver.seen

    def summary(self) -> dict:
        return dict(program=self.name_, **self.receiver.summary(), pilot_fit=self.air.pilot_fit_summary(),
                    **self.security_summary())


PROGRAM_KEYS = tuple(p.KEY for p in (audio_terminal_program, channel_program, video_terminal_program,
                                     receiver_program))


def make_keys(folder: str) -> list:
    """A key folder for the programs' CURVE links: one ZMQ certificate pair (NAME.key, NAME.key_secret) per
    program, NAME in :data:`PROGRAM_KEYS`; refuses to overwrite existing keys. Returns the files written."""
    existing = [n for n in PROGRAM_KEYS
                if any(os.path.exists(os.path.join(folder, n + x)) for x in (".key", ".key_secret"))]
    if existing:
        raise InputError(f"{folder}: holds keys already ({', '.join(existing)}); give a new folder")
    os.makedirs(folder, exist_ok=True)
    written = []
    for name in PROGRAM_KEYS:
        written.extend(zmq.auth.create_certificates(folder, name))
    for path in written:
        if path.endswith(".key_secret"):
            os.chmod(path, 0o600)
    return written


def print_summary(summary: dict) -> None:
    """One JSON line on stdout, for scripts and tests."""
    print(json.dumps(summary), flush=True)
