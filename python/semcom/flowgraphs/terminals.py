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
"""
from __future__ import annotations

import json
import ipaddress
import re
import signal
import time
from dataclasses import dataclass

from gnuradio import blocks, gr, zeromq

from ..blocks.audio_transmitter import audio_transmitter
from ..blocks.feature_lookup import feature_lookup
from ..blocks.feature_source import feature_source
from ..blocks.mimo_channel import seeds
from ..blocks.multimodal_receiver import multimodal_receiver
from ..blocks.ota_demodulator import ota_demodulator
from ..blocks.ota_modulator import ota_modulator
from ..blocks.progress_probe import progress_probe
from ..blocks.slot_aligner import slot_aligner
from ..blocks.video_terminal import video_terminal
from ..nn.model_dir import check_data_matches, open_model_dir
from ..phy.channels import CHANNELS
from ..phy.checks import require_choice
from .air import AirBuilder
from .links import SemanticPhy
from .loopback import open_radio
from .system import ANTENNAS, SNR_RANGE_DB
from ..errors import InputError

ENDPOINTS = {
    "audio_siso": "tcp://127.0.0.1:5601", "audio_uplink": "tcp://127.0.0.1:5602",
    "video_uplink": "tcp://127.0.0.1:5603", "siso": "tcp://127.0.0.1:5604",
    "antennas": ["tcp://127.0.0.1:5605", "tcp://127.0.0.1:5606"],
}
CSI_MODES = ("estimated", "perfect", "none")
ZMQ_TIMEOUT_MS = 100


ENDPOINT = re.compile(r"tcp://(\*|[A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})")


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is tcp://HOST:PORT with a valid IPv4 address (or a host name, or * to bind every
    interface) and PORT in 1..65535; InputError naming it otherwise."""
    match = ENDPOINT.fullmatch(endpoint or "")
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


def zmq_block(make, endpoint: str, role: str):
    """A gr-zeromq sink (role 'bind') or source ('connect') for a checked ``endpoint``; ZMQ's refusal (an
    address that is not this host's, a port in use) becomes an InputError that names the endpoint."""
    check_endpoint(endpoint)
    try:
        return make()
    except RuntimeError as exc:
        hint = ("give an address of this host on the link to its peers (127.0.0.1 when all run here), and a free "
                "port" if role == "bind" else "give the peer's address and port")
        raise InputError(f"endpoint {endpoint}: ZMQ cannot {role} it ({exc}); {hint}") from None


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
        require_choice("csi", self.csi, CSI_MODES)
        if not SNR_RANGE_DB[0] <= self.snr_db <= SNR_RANGE_DB[1]:
            raise InputError(f"snr_db must be in {SNR_RANGE_DB[0]}..{SNR_RANGE_DB[1]} dB, got {self.snr_db}")


_GNURADIO_LOG = None


def gnuradio_log():
    """A GNU Radio log sink that keeps every message (to find a ZMQ source's size error, which GNU Radio
    reports only in its log when the block's thread dies)."""
    global _GNURADIO_LOG
    if _GNURADIO_LOG is None:
        _GNURADIO_LOG = gr.dictionary_logger_backend()
        gr.logging().add_default_sink(_GNURADIO_LOG)
    return _GNURADIO_LOG


class _Program(gr.top_block, AirBuilder):
    """A multimodal model directory's burst format, ZMQ ends with probes, and the stop rule."""

    def __init__(self, name: str, model: str, air: AirSettings):
        gr.top_block.__init__(self, name)
        air.validate()
        self.name_ = name
        self.config = air
        self.model = open_model_dir(model)
        self.model.require_modality("av")
        self.phy = SemanticPhy(2 * self.model.symbols, self.model.segments)
        self.pilots = self.model.pilot_settings()
        self.keep = []
        self.probes = []            # (probe, ZMQ sink): the outgoing streams whose end means done
        self.inputs = []            # probes on the incoming ZMQ streams
        self.sources = {}           # "pull_source(ID)" → (endpoint, bytes per burst) of the incoming streams
        gnuradio_log()

    def send(self, port, endpoint: str, users: int) -> None:
        """Bursts of a ``users``-user link → a ZMQ PUSH sink bound for ``endpoint``, with a probe."""
        length = self.burst_len(users)
        # bound to the interface of ``endpoint`` only (127.0.0.1 by default), never every interface unless asked
        sink = self.add(zmq_block(lambda: zeromq.push_sink(gr.sizeof_gr_complex, length, endpoint, ZMQ_TIMEOUT_MS,
                                                           True, -1), endpoint, "bind"))
        probe = self.add(progress_probe(gr.sizeof_gr_complex * length))
        self.connect(port, sink)
        self.connect(port, probe)
        self.probes.append((probe, sink))

    def send_air(self, port, radio, users: int) -> None:
        """Bursts → ota_modulator → the radio's transmitter (:mod:`.loopback`), with a probe."""
        length = self.burst_len(users)
        modulator = self.add(ota_modulator(length))
        (sink,) = [self.add(b) for b in open_radio(radio, "tx")]
        probe = self.add(progress_probe(gr.sizeof_gr_complex * length))
        self.connect(port, modulator, sink)
        self.connect(port, probe)
        self.probes.append((probe, modulator))

    def receive_air(self, radio, users: int):
        """The radio's receiver → ota_demodulator: bursts of a ``users``-user link."""
        length = self.burst_len(users)
        (source,) = [self.add(b) for b in open_radio(radio, "rx")]
        demodulator = self.add(ota_demodulator(length))
        probe = self.add(progress_probe(gr.sizeof_gr_complex * length))
        self.connect(source, demodulator, probe)
        self.inputs.append(probe)
        return (demodulator, 0)

    def receive(self, endpoint: str, users: int):
        """A ZMQ PULL source connected to ``endpoint`` for bursts of a ``users``-user link."""
        source = self.add(zmq_block(lambda: zeromq.pull_source(gr.sizeof_gr_complex, self.burst_len(users), endpoint,
                                                               ZMQ_TIMEOUT_MS, True, -1), endpoint, "connect"))
        self.sources[f"pull_source({source.unique_id()})"] = (endpoint, gr.sizeof_gr_complex * self.burst_len(users))
        probe = self.add(progress_probe(gr.sizeof_gr_complex * self.burst_len(users)))
        self.connect(source, probe)
        self.inputs.append(probe)
        return (source, 0)

    def finished(self) -> bool:
        """Every outgoing stream has passed the last video and handed it to its ZMQ sink."""
        return bool(self.probes) and all(p.finished() and s.nitems_read(0) >= p.items for p, s in self.probes)

    def last_activity(self):
        """time.monotonic() of the latest item in or out (None before the first)."""
        times = [p.last_item_at for p in self.inputs + [p for p, _ in self.probes]]
        times = [t for t in times if t is not None]
        return max(times) if times else None

    def summary(self) -> dict:
        sent = sorted(set().union(*(p.positions for p, _ in self.probes))) if self.probes else []
        return {"program": self.name_, "videos_sent": sent, "pilot_fit": self.pilot_fit_summary()}

    def waited_for(self) -> str:
        """' from ENDPOINT, …: is the peer running and reachable there?' for the incoming ZMQ streams."""
        if not self.sources:
            return ""
        endpoints = ", ".join(endpoint for endpoint, _ in self.sources.values())
        return f" from {endpoints}: are the peers running and reachable at those addresses?"

    def size_mismatch(self) -> str | None:
        """Why an incoming stream died, if a peer sent bursts of another size (another model, or the wrong
        port): GNU Radio logs it and stops that ZMQ source."""
        for messages in gnuradio_log().get_map().values():
            for _, text in messages:
                if "Incompatible vector sizes" not in text:
                    continue
                for name, (endpoint, size) in self.sources.items():
                    if f"<block {name}>" in text:
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
                elif self.finished():
                    reason = "end of stream"
                elif last is None and now - started > start_timeout:
                    reason = f"nothing received for {start_timeout:g} s" + self.waited_for()
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

    def __init__(self, model: str, data: str, split: str = "test", videos: int = 0,
                 segments_per_second: float = 0.0, endpoints: dict = ENDPOINTS, torch_threads: int = 0,
                 check_data: bool = True, siso_radio=None):
        super().__init__("semcom_audio_terminal", model, AirSettings())
        self.source = feature_source(data, split, videos, segments_per_second, check_data)
        check_data_matches(self.model, self.source.split.audio.shape[1:], self.source.split.visual.shape[1:], data)
        self.connect((self.source, 1), self.add(blocks.null_sink(gr.sizeof_float * self.source.visual_size)))
        self.audio_tx = audio_transmitter(model, torch_threads=torch_threads)
        self.connect((self.source, 0), self.audio_tx)
        siso = self.transmit((self.audio_tx, 0), 0, 1)
        if siso_radio is not None:                  # the SISO link over the air (OTA waveform)
            self.send_air(siso, siso_radio, 1)
        else:
            self.send(siso, endpoints["audio_siso"], 1)
        self.send(self.transmit((self.audio_tx, 0), 0, 2), endpoints["audio_uplink"], 2)

    def last_activity(self):
        return time.monotonic()        # a local source: never idle


class channel_program(_Program):
    """Audio SISO bursts → SISO link (1×1) → video terminal; audio and video uplink bursts →
    slot_aligner → 2×2 uplink → the receiver's two antennas. Seeds as in the one-process system."""

    def __init__(self, model: str, air: AirSettings, endpoints: dict = ENDPOINTS, slot_timeout: float = 1.0,
                 siso: bool = True):
        super().__init__("semcom_channel", model, air)
        siso_seed, uplink_seed = seeds(air.seed, 2)
        if siso:                                    # False: the terminals run the SISO link over a radio
            (heard,) = self.air([self.receive(endpoints["audio_siso"], 1)], 1, siso_seed)
            self.send(heard, endpoints["siso"], 1)
        self.aligner = self.add(slot_aligner(self.burst_len(2), 2, slot_timeout))
        self.connect(self.receive(endpoints["audio_uplink"], 2), (self.aligner, 0))
        self.connect(self.receive(endpoints["video_uplink"], 2), (self.aligner, 1))
        received = self.air([(self.aligner, 0), (self.aligner, 1)], ANTENNAS, uplink_seed)
        for port, endpoint in zip(received, endpoints["antennas"]):
            self.send(port, endpoint, 2)

    def summary(self) -> dict:
        return dict(super().summary(), video_slots_lost=[p for _, p in self.aligner.lost],
                    late_bursts_dropped=[p for _, p in self.aligner.dropped])


class video_terminal_program(_Program):
    """SISO bursts → LS → ZF → inverse Euler (a*_t) → video_terminal (AGVA) with the visual features
    of the same videos (feature_lookup) → uplink bursts (user 1 of 2) → ZMQ."""

    def __init__(self, model: str, data: str, air: AirSettings, split: str = "test", endpoints: dict = ENDPOINTS,
                 torch_threads: int = 0, check_data: bool = True, siso_radio=None):
        super().__init__("semcom_video_terminal", model, air)
        siso_csi = "estimated" if air.csi == "none" else air.csi
        if siso_radio is not None and siso_csi == "perfect":
            raise InputError("csi 'perfect' needs the simulated channel's H: over the air use 'estimated'")
        bursts = (self.receive_air(siso_radio, 1) if siso_radio is not None
                  else self.receive(endpoints["siso"], 1))
        (heard,) = self.detect([bursts], 1, siso_csi, 1)
        self.lookup = self.add(feature_lookup(data, split, self.phy.d, check_data))
        check_data_matches(self.model, self.lookup.split.audio.shape[1:], self.lookup.split.visual.shape[1:], data)
        self.video_tx = video_terminal(model, torch_threads=torch_threads)
        self.connect(heard, self.lookup, (self.video_tx, 0))
        self.connect(heard, (self.video_tx, 1))
        self.send(self.transmit((self.video_tx, 0), 1, 2), endpoints["video_uplink"], 2)


class receiver_program(_Program):
    """The two antennas' bursts → LS → ZF (or raw, csi none) → inverse Euler → multimodal_receiver."""

    def __init__(self, model: str, air: AirSettings, endpoints: dict = ENDPOINTS, results_file: str = "",
                 torch_threads: int = 0, resume: bool = True):
        super().__init__("semcom_receiver", model, air)
        received = [self.receive(endpoint, 2) for endpoint in endpoints["antennas"]]
        streams = self.detect(received, 2, air.csi, 2)
        self.receiver = multimodal_receiver(model, results_file=results_file, torch_threads=torch_threads,
                                            resume=resume)
        for i, port in enumerate(streams):
            self.connect(port, (self.receiver, i))

    def finished(self) -> bool:
        expected = self.receiver.expected
        return expected > 0 and any(r["position"] == expected - 1 for r in self.receiver.results)

    def summary(self) -> dict:
        return dict(program=self.name_, **self.receiver.summary(), pilot_fit=self.pilot_fit_summary())


def print_summary(summary: dict) -> None:
    """One JSON line on stdout, for scripts and tests."""
    print(json.dumps(summary), flush=True)
