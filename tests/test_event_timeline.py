# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The live view's block: decided vs true events per second, the running accuracy and the pilot fit, from
the receiver's and the estimator's own messages; its Qt view drawn off screen."""
import os

import numpy as np
import pmt
import pytest

from gnuradio import semcom
from gnuradio.semcom.data.ave import NUM_CLASSES, read_labels


def labels_folder(tmp_path, labels: np.ndarray) -> str:
    """A folder with only labels.h5 (N, 10, 29 one-hot), what the block reads."""
    import h5py
    with h5py.File(tmp_path / "labels.h5", "w") as f:
        f["avadataset"] = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    return str(tmp_path)


def prediction(video: int, position: int, classes, status: str = "ok", fit: float = -1.0):
    """A PDU as multimodal_receiver publishes it."""
    meta = pmt.to_pmt({"video": video, "position": position, "status": status, "pilot_fit": fit,
                       "fit_threshold": 4.0})
    return pmt.cons(meta, pmt.init_s32vector(10, [int(c) for c in classes]))


TRUTH = np.array([[28] * 3 + [4] * 7, [0] * 10, [7] * 5 + [28] * 5])


def test_counts_decided_seconds_against_the_dataset_labels(tmp_path):
    timeline = semcom.event_timeline(labels_folder(tmp_path, TRUTH))
    assert timeline.state().summary() == "waiting for the first video"
    decided = TRUTH[2].copy()
    decided[:2] = 3                                              # two seconds wrong
    timeline.on_predictions(prediction(2, 0, decided))
    s = timeline.state()
    assert (s.video, s.position, s.truth, s.decided) == (2, 0, tuple(TRUTH[2]), tuple(decided))
    assert (s.correct, s.segments) == (8, 10) and s.recent == ((0, 0) + (1,) * 8,)
    timeline.on_predictions(prediction(0, 1, TRUTH[0]))
    timeline.on_predictions(prediction(1, 2, [0] * 10, status="lost"))     # lost: not counted as decided
    s = timeline.state()
    assert (s.correct, s.segments, s.videos, s.lost, s.status, s.decided) == (18, 20, 2, 1, "lost", ())
    assert s.summary() == "segment accuracy 0.900 (18 of 20 segments); videos received 2, lost 1"


def test_pilot_fit_line_counts_the_videos_above_the_threshold(tmp_path):
    timeline = semcom.event_timeline(labels_folder(tmp_path, TRUTH))
    assert timeline.state().pilot_fit() == ""
    for position, fit in enumerate((1.1, 9.0, -1.0, 1.3)):       # -1: no estimate came with the video
        timeline.on_predictions(prediction(0, position, TRUTH[0], fit=fit))
    s = timeline.state()
    assert (s.fitted, s.misfits) == (3, 1)
    assert s.pilot_fit() == ("pilot fit: latest video's worst residual 1.30x the noise's (threshold 4x); "
                             "1 of 3 videos did not fit")


def test_bad_messages_and_rows_are_logged_not_raised(tmp_path):
    timeline = semcom.event_timeline(labels_folder(tmp_path, TRUTH))
    timeline.on_predictions(pmt.intern("nonsense"))
    timeline.on_predictions(prediction(99, 0, [0] * 10))         # not a row of labels.h5: shown, not counted
    s = timeline.state()
    assert (s.video, s.truth, s.segments) == (99, (), 0)


def test_missing_labels_name_the_file(tmp_path):
    with pytest.raises(ValueError, match=r"labels.h5: missing"):
        semcom.event_timeline(str(tmp_path))


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "separate_blocks"])
def test_in_the_system_it_reports_the_receivers_accuracy_and_the_uplinks_pilot_fit(tiny_system, fused):
    """Wired as the live example wires it (the receiver's predictions): the run's accuracy, and the
    uplink's pilot fit of every video, which the receiver takes from the estimator's semcom_ls tags,
    through the fused burst blocks and through the blocks drawn in GRC."""
    from gnuradio.semcom.flowgraphs.system import SystemConfig, system_top_block
    data, models = tiny_system
    tb = system_top_block(SystemConfig(model=models["av"], data=data, videos=4, channel="rayleigh", snr_db=20.0),
                          fused=fused)
    timeline = semcom.event_timeline(data)
    tb.msg_connect((tb.receiver, "predictions"), (timeline, "predictions"))
    tb.run()
    predictions, labels = tb.receiver.predictions(), tb.source.split.labels
    right = sum(int((predictions[p] == labels[p]).sum()) for p in predictions)
    s = timeline.state()
    assert (s.correct, s.segments, s.videos, s.lost) == (right, 40, 4, 0)
    assert np.array_equal(read_labels(data)[s.video], s.truth)
    siso, uplink = tb.air.estimators         # the SISO link is built before the uplink; 3.0: the fit threshold
    assert s.fitted == 4 and s.misfits == uplink.estimation.pilot_fit_summary()["misfits"] == 0 and 0 < s.fit < 3.0


def test_view_frames_right_seconds_green_and_wrong_ones_red(tmp_path):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5 import QtWidgets
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    timeline = semcom.event_timeline(labels_folder(tmp_path, TRUTH))
    decided = TRUTH[0].copy()
    decided[5] = 9
    timeline.on_predictions(prediction(0, 0, decided))
    view = timeline.qwidget()
    view.resize(900, 260)
    image = view.grab().toImage()
    app.processEvents()

    def frame_colour(second):
        rect = view.cell_rect(0, second)
        colour = image.pixelColor(rect.left() + 3, rect.center().y())      # on the 4-pixel frame
        return colour.red(), colour.green(), colour.blue()
    red, green = frame_colour(5), frame_colour(4)
    assert red[0] > 150 and red[1] < 80, red
    assert green[1] > 120 and green[0] < 80, green
