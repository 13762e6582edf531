"""After `make install` (bootstrap.sh does it): the package, library, GRC files and command work from anywhere."""
import os
import subprocess

import pytest

PREFIX = os.environ.get("SEMCOM_INSTALL_PREFIX", "")
pytestmark = pytest.mark.skipif(not PREFIX, reason="set SEMCOM_INSTALL_PREFIX after installing (bootstrap.sh test does)")


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRC_BLOCKS_PATH")}
    env["HOME"] = os.environ.get("HOME", "/tmp")
    return env


def test_package_imports_from_any_directory(tmp_path):
    code = ("import numpy as np; from gnuradio import semcom; from gnuradio.semcom.phy.ls import ls_per_timestep; "
            "r = ls_per_timestep(np.ones((1, 1, 4), np.complex64), np.ones((1, 1, 4), np.complex64), 1); "
            "print(semcom.__file__, r.h_joint[0, 0, 0])")
    done = subprocess.run(["/usr/bin/python3", "-c", code], cwd=tmp_path, env=clean_env(), capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    path, value = done.stdout.split()
    assert path.startswith(PREFIX) and complex(value) == 1


def test_grc_block_files_and_headers_are_installed():
    blocks_dir = os.path.join(PREFIX, "share", "gnuradio", "grc", "blocks")
    assert os.path.isfile(os.path.join(blocks_dir, "semcom_ls_channel_estimator.block.yml"))
    assert os.path.isfile(os.path.join(PREFIX, "include", "gnuradio", "semcom", "ls_kernel.h"))
    assert any(f.startswith("libgnuradio-semcom.so") for f in os.listdir(os.path.join(PREFIX, "lib")))


def test_semcom_command_is_on_the_path(tmp_path):
    done = subprocess.run([os.path.join(PREFIX, "bin", "semcom"), "--help"], cwd=tmp_path, env=clean_env(),
                          capture_output=True, text=True)
    assert done.returncode == 0 and "link" in done.stdout
