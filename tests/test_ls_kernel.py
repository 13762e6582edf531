# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The C++ per-timestep LS kernel against the NumPy reference (eq. 5-6) and against eq. 5 as written."""
import numpy as np
import pytest
from conftest import complex_gaussian

from gnuradio.semcom.phy.ls import ls_loop, ls_per_timestep, ls_reference

SHAPES = [  # (K, M, L, group, groups, shared pilots)
    (1, 1, 1, 1, 3, False), (1, 1, 16, 10, 4, True), (1, 4, 8, 5, 3, False), (2, 2, 64, 10, 5, True),
    (2, 2, 7, 3, 2, False), (2, 3, 16, 4, 2, True), (2, 4, 33, 2, 6, False), (3, 3, 12, 5, 2, True),
    (3, 4, 9, 1, 7, False), (4, 4, 16, 10, 2, True), (4, 4, 5, 2, 3, False), (1, 2, 256, 10, 1, False),
]


def relative_error(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.mark.parametrize("users,antennas,length,group,groups,shared", SHAPES)
def test_kernel_equals_reference(rng, users, antennas, length, group, groups, shared):
    steps = group * groups
    pilots = complex_gaussian(rng, (group if shared else steps, users, length))
    h = complex_gaussian(rng, (steps, antennas, users))
    x = np.tile(pilots, (groups, 1, 1)) if shared else pilots
    received = (h @ x + complex_gaussian(rng, (steps, antennas, length), 0.1)).astype(np.complex64)
    got, ref = ls_per_timestep(pilots, received, group), ls_reference(pilots, received, group)
    assert relative_error(got.h_steps, ref.h_steps) < 1e-5
    assert relative_error(got.h_joint, ref.h_joint) < 1e-5
    assert relative_error(got.gram, ref.gram) < 1e-5
    assert relative_error(got.cross, ref.cross) < 1e-5
    if length > users:   # with L = K the fit is exact and every residual is rounding noise
        np.testing.assert_allclose(got.residual, ref.residual, rtol=1e-5, atol=1e-6 * np.max(ref.residual))
        np.testing.assert_array_equal(got.t_min, ref.t_min)
    assert got.h_steps.dtype == np.complex64 and got.t_min.shape == (groups,)


def test_reference_equals_eq5_as_written(rng):
    pilots = complex_gaussian(rng, (20, 2, 16))
    received = complex_gaussian(rng, (20, 2, 16))
    h, residual = ls_loop(pilots, received)
    ref = ls_reference(pilots, received, 20)
    assert relative_error(h, ref.h_steps) < 1e-5
    np.testing.assert_allclose(residual, ref.residual, rtol=1e-4)


def test_noise_free_pilots_recover_the_channel_exactly(rng):
    pilots = complex_gaussian(rng, (10, 2, 16))
    h = complex_gaussian(rng, (2, 2))
    result = ls_per_timestep(pilots, (h @ pilots).astype(np.complex64), 10)
    assert relative_error(result.h_joint[0], h) < 1e-5
    assert relative_error(result.h_steps, np.broadcast_to(h, (10, 2, 2))) < 1e-5


@pytest.mark.parametrize("pilot_shape,received_shape,group,message", [
    ((10, 2, 16), (10, 1, 16), 10, "antennas M must be >= users K = 2"),
    ((10, 3, 2), (10, 3, 2), 10, r"pilot_len \(L_p\) must be >= users K = 3"),
    ((10, 2, 16), (10, 2, 12), 10, "received has L = 12 symbols per step but pilots have L_p = 16"),
    ((10, 2, 16), (15, 2, 16), 10, "not a whole number of groups of 10"),
    ((4, 2, 16), (20, 2, 16), 10, "pilots have T = 4 steps; expected 20"),
    ((10, 2), (10, 2, 16), 10, r"pilots must have shape \(T, K, L\)"),
])
def test_bad_shapes_are_named(pilot_shape, received_shape, group, message):
    with pytest.raises(ValueError, match=message):
        ls_per_timestep(np.ones(pilot_shape, np.complex64), np.ones(received_shape, np.complex64), group)


def test_nan_input_is_named():
    received = np.ones((10, 2, 16), np.complex64)
    received[3, 1, 7] = np.nan
    with pytest.raises(ValueError, match=r"received contains NaN or Inf \(first at index \(3, 1, 7\)\)"):
        ls_per_timestep(np.ones((10, 2, 16), np.complex64), received, 10)


def test_binding_rejects_sizes_beyond_four_users():
    from gnuradio.semcom.semcom_python import ls_per_timestep as kernel
    with pytest.raises(ValueError, match="users K must be in 1..4, got 5"):
        kernel(np.ones((1, 5, 8), np.complex64), np.ones((1, 5, 8), np.complex64), 1)


def test_generic_and_avx2_builds_agree(tmp_path, rng):
    """SEMCOM_LS_KERNEL=generic forces the portable build; on a processor with AVX2 + FMA the default is
    the AVX2 build, and both give the same estimates (ctest also runs the C++ test on each)."""
    import subprocess
    import sys
    from gnuradio.semcom.semcom_python import ls_kernel_isa
    flags = open("/proc/cpuinfo").read()
    assert ls_kernel_isa() == ("avx2" if " avx2" in flags and " fma" in flags else "generic")
    pilots = (rng.standard_normal((40, 2, 16)) + 1j * rng.standard_normal((40, 2, 16))).astype(np.complex64)
    received = (rng.standard_normal((40, 2, 16)) + 1j * rng.standard_normal((40, 2, 16))).astype(np.complex64)
    np.save(tmp_path / "x.npy", pilots)
    np.save(tmp_path / "y.npy", received)
    code = (f"import numpy as np; from gnuradio import semcom; from gnuradio.semcom.semcom_python import "
            f"ls_per_timestep, ls_kernel_isa; r = ls_per_timestep(np.load('{tmp_path}/x.npy'), "
            f"np.load('{tmp_path}/y.npy'), 10); np.save('{tmp_path}/h.npy', r[0]); print(ls_kernel_isa())")
    import os
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, SEMCOM_LS_KERNEL="generic"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "generic"
    from gnuradio.semcom.semcom_python import ls_per_timestep
    np.testing.assert_allclose(np.load(tmp_path / "h.npy"), ls_per_timestep(pilots, received, 10)[0],
                               rtol=1e-4, atol=1e-5)
