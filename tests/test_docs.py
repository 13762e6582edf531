# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documentation lives in the repository and stays true to it: the block reference is generated
from grc/, every relative link resolves, and nothing points at documents users do not have."""
import os
import re
import sys

from conftest import ROOT, tracked_files

sys.path.insert(0, os.path.join(ROOT, "docs"))


def tracked_text_files() -> list:
    return tracked_files(".py", ".md", ".yml", ".txt", ".sh", ".in", ".cc", ".h", ".grc", "run")


def test_block_reference_is_generated_from_the_block_files():
    import make_block_reference
    with open(os.path.join(ROOT, "docs", "blocks.md")) as f:
        assert f.read() == make_block_reference.reference(), "rerun python3 docs/make_block_reference.py"


def test_every_block_is_in_the_reference():
    from gnuradio import semcom
    with open(os.path.join(ROOT, "docs", "blocks.md")) as f:
        text = f.read()
    blocks = list(semcom.__all__)
    assert [b for b in blocks if f"(`semcom.{b}`)" not in text] == []


def test_relative_links_resolve():
    broken = []
    for name in tracked_text_files():
        if not name.endswith(".md"):
            continue
        with open(os.path.join(ROOT, name)) as f:
            for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", f.read()):
                if "://" not in target and not os.path.exists(os.path.join(ROOT, os.path.dirname(name), target)):
                    broken.append((name, target))
    assert not broken, broken


def test_nothing_cites_documents_outside_the_repository():
    pattern = re.compile("DESIGN|NOTES|[Ii]ssue" + r" #?\d")
    hits = []
    for name in tracked_text_files():
        if name == "tests/test_docs.py":
            continue
        with open(os.path.join(ROOT, name), errors="replace") as f:
            hits += [f"{name}:{i}: {line.strip()}" for i, line in enumerate(f, 1) if pattern.search(line)]
    assert not hits, hits
