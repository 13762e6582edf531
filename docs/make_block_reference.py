#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes docs/blocks.md, the block reference, from the GRC block files in grc/ (their labels,
parameters, defaults, ports and documentation), so the two never disagree.
Rerun after changing a block file: ``python3 docs/make_block_reference.py``; a test checks it."""
from __future__ import annotations

import glob
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
GRC = os.path.join(HERE, "..", "grc")
HEADER = """# Block reference

Every block of `from gnuradio import semcom`, as GNU Radio Companion shows it under
*[Semantic Communication]*. Generated from `grc/*.block.yml` by `docs/make_block_reference.py`.
`${ ... }` is an expression GRC evaluates; `semcom.model_ports(model)` reads the model directory's
`manifest.json` (see [data formats](data-formats.md)). Signal model, tags and burst layout:
[signal model](signal-model.md); how the blocks are wired: [architecture](architecture.md).
"""


def cell(value) -> str:
    text = str(value).replace("|", "\\\\|").replace("\\n", " ")
    return text if text else "''"


def ports(title: str, entries: list) -> list:
    if not entries:
        return []
    lines = [f"**{title}:** "]
    parts = []
    for p in entries:
        name = p.get("label") or p.get("id") or p.get("domain", "")
        kind = "message" if p.get("domain") == "message" else f"{p.get('dtype', '')} × {p.get('vlen', 1)}"
        extra = f", ×{p['multiplicity']}" if "multiplicity" in p else ""
        extra += ", optional" if p.get("optional") is True else ""
        parts.append(f"`{name}` ({kind}{extra})")
    lines[0] += "; ".join(parts)
    return lines + [""]


def reference() -> str:
    out = [HEADER]
    for path in sorted(glob.glob(os.path.join(GRC, "semcom_*.block.yml"))):
        with open(path) as f:
            block = yaml.safe_load(f)
        name = block["id"].removeprefix("semcom_")
        out += [f"## {block['label']} (`semcom.{name}`)", ""]
        out += [block.get("documentation", "").strip(), ""]
        params = block.get("parameters", [])
        if params:
            out += ["| parameter | label | type | default |", "| --- | --- | --- | --- |"]
            for p in params:
                options = f" ({', '.join(map(str, p['options']))})" if "options" in p else ""
                out.append(f"| `{p['id']}` | {cell(p.get('label', ''))} | {p.get('dtype', '')}{options} | "
                           f"`{cell(p.get('default', ''))}` |")
            out.append("")
        out += ports("Inputs", block.get("inputs", [])) + ports("Outputs", block.get("outputs", []))
        out += [f"Python: `{block['templates']['make'].strip()}`".replace("\n", " "), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    target = os.path.join(HERE, "blocks.md")
    with open(target, "w") as f:
        f.write(reference())
    print("wrote", target)
