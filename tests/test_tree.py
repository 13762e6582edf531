# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tree itself: a licence and a notice in every source file, CGRAN's listing, and the Python and C++
code in the layout that ruff.toml and .clang-format describe."""
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, tracked_files

SOURCES = (".py", ".cc", ".h", ".sh", ".in", ".yml", "CMakeLists.txt", "requirements.txt", ".ini", "run",
           "ruff.toml", ".clang-format")
CPP = (".cc", ".h")
SPDX = "SPDX-License-Identifier: GPL-3.0-or-later"
# ruff.toml's rules, for pyflakes and pycodestyle (flake8) where ruff is not installed
FLAKE8_EQUIVALENT = ["--select=E4,E7,E9,E501,F,W291,W292,W293,W605", "--max-line-length=120",
                     "--per-file-ignores=python/semcom/__init__.py:E402,F401"]


def test_the_licence_is_the_gpl_3_and_every_source_file_says_so():
    with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as f:
        text = f.read()
    assert "GNU GENERAL PUBLIC LICENSE" in text[:200] and "Version 3, 29 June 2007" in text[:200]
    assert "END OF TERMS AND CONDITIONS" in text
    missing = []
    for name in tracked_files(*SOURCES):
        if name.endswith(".grc") or name.startswith("tests/data/"):
            continue
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            head = [next(f, "") for _ in range(6)]
        if not any(SPDX in line for line in head):
            missing.append(name)
    assert not missing, f"no '{SPDX}' in the first lines of {missing}"


def test_cgran_manifest_names_the_module_and_its_licence():
    with open(os.path.join(ROOT, "MANIFEST.yml"), encoding="utf-8") as f:
        header, description = list(yaml.safe_load_all(f))
    assert header["title"] == "gr-semcom" and header["license"] == "GPL-3.0-or-later"
    assert header["brief"] and header["tags"] and header["author"] and header["gr_supported_version"]
    assert isinstance(description, str) and "zero forcing" in description


def test_python_code_passes_the_lint_rules():
    files = tracked_files(".py") + ["apps/semcom.in"]
    ruff = shutil.which("ruff")
    if ruff:
        command = [ruff, "check", "--no-cache", *files]
    else:
        command = [sys.executable, "-m", "flake8", *FLAKE8_EQUIVALENT, *files]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if not ruff and "No module named flake8" in done.stderr:
        pytest.fail("neither ruff nor flake8 (Debian: python3-flake8) is installed; bootstrap.sh test installs flake8")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_cpp_code_is_in_the_clang_format_layout():
    clang_format = shutil.which("clang-format")
    if not clang_format:
        pytest.fail("clang-format is not installed (Debian: clang-format; bootstrap.sh test installs it)")
    files = tracked_files(*CPP)
    assert files
    done = subprocess.run([clang_format, "--dry-run", "--Werror", *files], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
