# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing the files a long run grows or keeps (the receiver's results, a sweep's runs, a training's
checkpoints): all or nothing."""
from __future__ import annotations

import contextlib
import os


def append_text(path: str, text: str) -> None:
    """Append ``text`` to the file ``path`` whole, or not at all: a write that fails (a full disk, a quota)
    cuts the file back to its length before, so the rows written earlier stay intact and a run resumed
    from the file reads whole rows only. The failure is an OSError naming ``path``, its cause and that."""
    payload = memoryview(text.encode("utf-8"))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        try:
            while payload:
                payload = payload[os.write(fd, payload):]
        except OSError as exc:
            os.ftruncate(fd, size)
            raise OSError(exc.errno, f"{exc.strerror}: stopped; every row written before is intact, and the same "
                          "command run again with room to write resumes from it", path) from None
    finally:
        os.close(fd)


def replace_file(path: str, write) -> None:
    """Write the file ``path`` whole, or leave it as it was: ``write(f)`` fills a new file beside it
    (``path``.partial, opened for binary writing), which then takes the old one's place in one step
    (os.replace). An error or a kill while writing leaves the earlier file intact, such as the checkpoint
    that ``semcom train --resume`` reads; the partial file is removed where Python still can."""
    partial = path + ".partial"
    try:
        with open(partial, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(partial)
        raise
