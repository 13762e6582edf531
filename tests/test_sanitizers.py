# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The C++ LS kernel under AddressSanitizer and UndefinedBehaviorSanitizer: a build of this tree with
-DSEMCOM_SANITIZE=ON runs the kernel's C++ test on the AVX2 and the generic build with no report; a
planted heap overflow shows that the sanitizers report on this machine at all."""
import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_planted_overflow_is_reported(tmp_path):
    source = tmp_path / "overflow.cc"
    source.write_text("int main() { int* a = new int[4]; int r = a[4]; delete[] a; return r; }\n")
    compiler = shutil.which("c++") or shutil.which("g++")
    subprocess.run([compiler, "-g", "-fsanitize=address,undefined", str(source), "-o", str(tmp_path / "overflow")],
                   check=True, capture_output=True, timeout=120)
    ran = subprocess.run([str(tmp_path / "overflow")], capture_output=True, text=True, timeout=60)
    assert ran.returncode != 0 and "heap-buffer-overflow" in ran.stderr, ran.stderr[-2000:]


def test_kernel_tests_pass_under_address_and_undefined_behaviour_sanitizers(tmp_path):
    build = tmp_path / "build"
    configured = subprocess.run(["cmake", "-S", ROOT, "-B", str(build), "-DSEMCOM_SANITIZE=ON"],
                                capture_output=True, text=True, timeout=600)
    assert configured.returncode == 0, configured.stdout[-3000:] + configured.stderr[-3000:]
    built = subprocess.run(["cmake", "--build", str(build), "--target", "test_ls_kernel", "-j2"],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    binary = build / "lib" / "test_ls_kernel"
    linked = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "libasan" in linked and "libubsan" in linked, linked
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    ran = subprocess.run(["ctest", "-R", "cpp_ls_kernel", "--output-on-failure", "-V"], cwd=build, env=env,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout[-5000:]
    assert "ERROR: AddressSanitizer" not in ran.stdout and "runtime error" not in ran.stdout, ran.stdout[-5000:]
    builds = ["generic"] + (["avx2"] if "avx2" in open("/proc/cpuinfo").read() else [])
    for isa in builds:
        assert re.search(rf"ls_kernel \({isa} build\): [1-9]\d* cases, 0 failed checks", ran.stdout), ran.stdout[-3000:]
