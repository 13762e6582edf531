# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Qt view of :class:`semcom.blocks.event_timeline.event_timeline` (imported only when a flowgraph
asks for the widget, so that headless programs never load Qt)."""
from __future__ import annotations

from PyQt5 import QtCore, QtGui, QtWidgets

from ..data.ave import BACKGROUND, LABEL_NAMES, SEGMENTS

RIGHT, WRONG, TEXT = QtGui.QColor(40, 150, 60), QtGui.QColor(200, 40, 40), QtGui.QColor(30, 30, 30)


class EventTimelineView(QtWidgets.QWidget):
    """Draws the state that ``read_state()`` returns: the current video's decided and true event per
    second (a red frame where they differ, green where they agree), the running accuracy, the last
    videos' right and wrong seconds and the pilot-fit line. ``changed`` repaints; it may be emitted
    from any thread."""

    changed = QtCore.pyqtSignal()

    def __init__(self, read_state, parent=None):
        super().__init__(parent)
        self.read_state = read_state
        self.changed.connect(self.update)
        self.setMinimumSize(720, 250)
        self.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Fixed)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(1100, 260)

    def cell_rect(self, row: int, second: int) -> QtCore.QRect:
        """Where second ``second`` of row 0 (decided) or 1 (true) is drawn."""
        left, width = 80, max(10, (self.width() - 90) // SEGMENTS)
        return QtCore.QRect(left + second * width, 34 + row * 52, width - 4, 46)

    def paintEvent(self, event):
        s = self.read_state()
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.Antialiasing)
        p.fillRect(self.rect(), QtGui.QColor(250, 250, 250))
        bold = QtGui.QFont(p.font())
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(TEXT)
        if s.position < 0:
            title = "Waiting for the receiver's first video"
        else:
            right = sum(a == b for a, b in zip(s.decided, s.truth))
            verdict = "lost on the way" if s.status == "lost" else (
                f"{right} of {len(s.truth)} seconds right" if s.truth else "no truth for this row")
            title = f"Video {s.position + 1} (dataset row {s.video}): {verdict}"
        p.drawText(8, 22, title)
        small = QtGui.QFont(p.font())
        small.setBold(False)
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
        for row, (name, classes) in enumerate((("decided", s.decided), ("true", s.truth))):
            p.setFont(bold)
            p.setPen(TEXT)
            p.drawText(8, self.cell_rect(row, 0).center().y() + 5, name)
            p.setFont(small)
            for second in range(SEGMENTS):
                rect = self.cell_rect(row, second)
                if second >= len(classes):
                    p.fillRect(rect, QtGui.QColor(230, 230, 230))
                    continue
                p.fillRect(rect, QtGui.QColor.fromHsv(*class_colour(classes[second])))
                if row == 0 and second < len(s.truth):
                    p.setPen(QtGui.QPen(RIGHT if classes[second] == s.truth[second] else WRONG, 4))
                    p.drawRect(rect.adjusted(2, 2, -2, -2))
                p.setPen(TEXT)
                p.drawText(rect.adjusted(4, 2, -4, -2), QtCore.Qt.AlignCenter | QtCore.Qt.TextWordWrap,
                           short_name(classes[second]))
        axis = self.cell_rect(1, 0).bottom() + 16
        p.setFont(small)
        for second in range(0, SEGMENTS + 1, 2):
            x = self.cell_rect(1, 0).left() + second * (self.cell_rect(1, 1).left() - self.cell_rect(1, 0).left())
            p.drawText(x - (8 if second < SEGMENTS else 26), axis, f"{second} s")
        p.setFont(bold)
        p.drawText(8, axis + 24, s.summary())
        # the last videos: one small square per second, green right, red wrong, oldest on the left
        top = axis + 34
        for v, seconds in enumerate(s.recent):
            for second, ok in enumerate(seconds):
                p.fillRect(QtCore.QRect(8 + v * 34 + second * 3, top, 3, 10), RIGHT if ok else WRONG)
        fit = s.pilot_fit()
        if fit:
            p.setPen(WRONG if s.misfits else RIGHT)
            p.drawText(8, top + 32, fit)
        p.end()


def short_name(label: int) -> str:
    """A class name short enough for a one-second cell: 'Male speech, man speaking' → 'Male speech'."""
    return LABEL_NAMES[label].split(",")[0].split(" (")[0] if 0 <= label < len(LABEL_NAMES) else "?"


def class_colour(label: int) -> tuple:
    """(hue 0..359, saturation, value) of a class: background grey, the 28 events spread over the hues."""
    if label == BACKGROUND:
        return (0, 0, 200)
    return ((label * 11 % 28) * 360 // 28, 110, 240)

