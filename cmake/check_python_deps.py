# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prunes and checks a python-deps folder. setuptools (which pip adds for PyTorch's C++-extension
helpers, not needed to import torch) is removed so Debian's stays in effect; a numpy, gnuradio or pmt
there is refused: it would hide Debian's copy from GNU Radio (NumPy 2 breaks GNU Radio 3.10's bindings)."""
import glob
import os
import shutil
import sys

folder = sys.argv[1]
for pattern in ("setuptools", "setuptools-*", "_distutils_hack", "pkg_resources", "distutils-precedence.pth"):
    for path in glob.glob(os.path.join(folder, pattern)):
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
shadowing = [name for name in os.listdir(folder) if name.split("-")[0].lower() in ("numpy", "gnuradio", "pmt")]
if shadowing:
    sys.exit(f"{folder}: pip installed {', '.join(sorted(shadowing))}, which would hide Debian's copy from "
             "GNU Radio; the build constrains NumPy to this release's version (build/constraints.txt)")
