# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio Companion: every semcom block file loads and builds its block; every example compiles and runs."""
import glob
import os
import subprocess
import sys

import pytest
from gnuradio import gr

HERE = os.path.dirname(os.path.abspath(__file__))
GRC_DIR = os.path.join(HERE, "..", "grc")
BLOCK_FILES = sorted(glob.glob(os.path.join(GRC_DIR, "semcom_*.block.yml")))
EXAMPLES = sorted(glob.glob(os.path.join(HERE, "..", "examples", "*.grc")))


@pytest.fixture(scope="module")
def platform():
    from gnuradio.grc.core.platform import Platform
    os.environ["GRC_BLOCKS_PATH"] = os.path.abspath(GRC_DIR)
    p = Platform(name="semcom tests", prefs=gr.prefs(), version=gr.version(),
                 version_parts=(gr.major_version(), gr.api_version(), gr.minor_version()))
    p.build_library()
    return p


def test_every_block_of_the_package_has_a_block_file():
    from gnuradio import semcom
    ids = {os.path.basename(f).split(".")[0] for f in BLOCK_FILES}
    assert ids == {"semcom_" + name for name in semcom.__all__}


@pytest.fixture(scope="module")
def curve_keys(tmp_path_factory):
    """A key folder for the CURVE blocks (their defaults name its keys)."""
    from gnuradio.semcom.flowgraphs.programs import make_keys
    folder = str(tmp_path_factory.mktemp("keys"))
    make_keys(folder)
    return folder


@pytest.mark.parametrize("path", BLOCK_FILES, ids=os.path.basename)
def test_block_file_loads_and_builds_its_block(platform, path, tiny_system, curve_keys):
    block_id = os.path.basename(path).split(".")[0]
    assert block_id in platform.blocks, f"GRC did not load {path}"
    flow_graph = platform.make_flow_graph()
    block = flow_graph.new_block(block_id)
    block.params["id"].set_value(block_id + "_0")
    data, models = tiny_system                   # blocks that read files get real ones
    if "data" in block.params:
        block.params["data"].set_value(repr(data))
    if "keys" in block.params:
        block.params["keys"].set_value(repr(curve_keys))
    if "model" in block.params:
        block.params["model"].set_value(repr(models["v" if block_id == "semcom_video_transmitter" else "av"]))
    flow_graph.rewrite()
    flow_graph.validate()
    assert block.category == ["Semantic Communication"]
    assert block.documentation[""].strip(), "documentation missing"
    param_errors = [e for e in block.get_error_messages() if "connected" not in e.lower()]
    assert not param_errors, param_errors
    for param in block.params.values():
        if param.key not in ("id", "alias", "comment", "affinity", "minoutbuf", "maxoutbuf"):
            assert param.name, f"{param.key} has no label"
    if "vggish" in block.params or "vgg19" in block.params:
        return       # needs weight files and media: built in test_features.py::test_grc_block_files_build_their_blocks
    # the make template, rendered with the defaults, builds the real block
    namespace = {}
    exec(block.templates.render("imports"), namespace)
    make = block.templates.render("make").strip()
    if "gui_hint" in block.params:         # a Qt block: its constructor, then its widget put in the layout
        make, layout = make.splitlines()[0], "\n".join(make.splitlines()[1:])
        assert f"self.{block_id}_0.qwidget()" in layout, layout
    built = eval(make, namespace)
    assert built.name().startswith("semcom_")


LINK_EXAMPLES = [p for p in EXAMPLES if "link" in os.path.basename(p)]


@pytest.mark.parametrize("path", LINK_EXAMPLES, ids=os.path.basename)
def test_link_example_compiles_with_grcc_and_runs_headless(tmp_path, path):
    env = dict(os.environ, GRC_BLOCKS_PATH=os.path.abspath(GRC_DIR))
    compiled = subprocess.run(["grcc", "-o", str(tmp_path), path], env=env, capture_output=True, text=True,
                              timeout=120)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    scripts = list(tmp_path.glob("*.py"))
    assert len(scripts) == 1
    ran = subprocess.run([sys.executable, str(scripts[0]), "--bursts", "5", "--snr-db", "30"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "BER" in ran.stdout and "in 3200 bits" in ran.stdout, ran.stdout
