# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch side of gr-semcom: the paper's networks (every forward scriptable) and the channel twin."""
