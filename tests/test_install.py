# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The install as users run it: Debian's /usr/bin/python3, a PATH without any venv, no PYTHONPATH,
nothing taken from the source checkout (bootstrap.sh test sets SEMCOM_INSTALL_PREFIX after installing)."""
import glob
import os
import shutil
import subprocess

import pytest

PREFIX = os.environ.get("SEMCOM_INSTALL_PREFIX", "")
BUILD = os.environ.get("SEMCOM_BUILD_DIR", "")
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
pytestmark = [pytest.mark.skipif(not (PREFIX and BUILD), reason="set SEMCOM_INSTALL_PREFIX and SEMCOM_BUILD_DIR "
                                 "after installing (bootstrap.sh test does)"), pytest.mark.slow]
PYTHON = "/usr/bin/python3"                  # what GNU Radio Companion and `python3 flowgraph.py` use on Debian


def user_env(prefix: str, home) -> dict:
    """The environment of a user who followed the README: PATH with the prefix's bin, and for a prefix other
    than /usr/local (which Debian's Python and GRC already search) the README's PYTHONPATH and GRC path."""
    env = {"PATH": f"{prefix}/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    if prefix != "/usr/local":
        env["PYTHONPATH"] = python_dir(prefix)
        env["GRC_BLOCKS_PATH"] = os.path.join(prefix, "share", "gnuradio", "grc", "blocks")
    return env


def python_dir(prefix: str) -> str:
    """prefix/lib/python3.11/dist-packages or the like: where the install put gnuradio/semcom."""
    init = next(p for p in installed_files() if p.endswith("/gnuradio/semcom/__init__.py"))
    return os.path.join(prefix, os.path.relpath(os.path.dirname(os.path.dirname(os.path.dirname(init))), PREFIX))


def run(command, env, cwd, timeout=600):
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small synthetic set and a briefly trained multimodal model, made with the installed command."""
    base = tmp_path_factory.mktemp("user")
    env = user_env(PREFIX, base)
    data, model = base / "data", base / "model"
    run(["semcom", "data", "synth", "--out", str(data), "--videos", "40", "--seed", "3"], env, base)
    run(["semcom", "train", "--data", str(data), "--out", str(model), "--symbols", "16", "--epochs", "1",
         "--channels", "rayleigh", "--device", "cpu"], env, base)
    return base, str(data), str(model)


def installed_files() -> list:
    with open(os.path.join(BUILD, "install_manifest.txt")) as f:
        return [line.strip() for line in f if line.strip()]


def test_nothing_installed_refers_to_the_checkout():
    """No installed file names the source or build folder (shebangs, paths, configured files). GNU Radio's
    GR_PYTHON_INSTALL also installs .pyc/.pyo beside each .py, which record the path they were compiled
    from; Python never loads them while the .py is there, so they are left out."""
    needles = (SOURCE.encode(), os.path.abspath(BUILD).encode())
    offenders = []
    for path in installed_files():
        if os.path.getsize(path) > 2_000_000 or "/python-deps/" in path or path.endswith((".pyc", ".pyo")):
            continue
        with open(path, "rb") as f:
            content = f.read()
        if any(n in content for n in needles):
            offenders.append(path)
    assert not offenders, offenders


def pip_deps_dir() -> str:
    """<prefix>/lib/gr-semcom/python-deps where the build used pip's PyTorch (--pip-deps), else ''."""
    deps = [p for p in installed_files() if "/gr-semcom/python-deps/" in p]
    return deps[0].split("/python-deps/")[0] + "/python-deps" if deps else ""


def test_debian_python_imports_the_installed_package_and_its_torch(tmp_path):
    """torch first, as a GRC Python block or a user's script may do it: Debian's PyTorch (or, built with
    --pip-deps, the module's own once gnuradio.semcom is imported); NumPy stays Debian's."""
    code = ("from gnuradio import gr, semcom; import torch, numpy; "
            "print(semcom.__file__); print(torch.__file__); print(numpy.__file__)")
    out = run([PYTHON, "-c", code], user_env(PREFIX, tmp_path), tmp_path).stdout.split("\n")
    assert out[0].startswith(python_dir(PREFIX)), out
    assert out[1].startswith(pip_deps_dir() or "/usr/lib/python3/dist-packages/torch/"), out
    assert out[2].startswith("/usr/lib/python3/dist-packages/numpy/"), out


# What GRC (yaml, jinja2), gr_modtool (click) and other programs import; none may come from the install.
OTHER_PROGRAMS_MODULES = ("yaml", "click", "jinja2", "packaging", "typing_extensions", "sympy", "numpy", "torch")


def test_other_programs_import_debians_files_after_the_install(tmp_path):
    """Debian's python3 in a program that does not import gnuradio.semcom finds each module in a file that a
    Debian package owns (dpkg -S), as before the install; the install put no start-up hook (.pth) anywhere."""
    assert not [p for p in installed_files() if p.endswith(".pth")]
    code = ("import importlib.util\n"
            f"for name in {OTHER_PROGRAMS_MODULES!r}:\n"
            "    spec = importlib.util.find_spec(name)\n"
            "    print(name, spec.origin if spec else '-')\n")
    env = {"PATH": f"{PREFIX}/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    found = dict(line.split(" ", 1) for line in run([PYTHON, "-c", code], env, tmp_path).stdout.splitlines())
    assert set(found) == set(OTHER_PROGRAMS_MODULES), found
    present = {name: path for name, path in found.items() if path != "-"}    # '-': not installed (pip's torch)
    if not pip_deps_dir():
        assert "torch" in present, found
    assert not [p for p in present.values() if p.startswith(PREFIX + "/")], present
    owners = subprocess.run(["dpkg", "-S", *present.values()], capture_output=True, text=True)
    assert owners.returncode == 0, owners.stderr
    assert len(owners.stdout.splitlines()) == len(present), owners.stdout


def test_grcc_and_gr_modtool_work_as_before(tmp_path):
    """GNU Radio's own tools in a user's shell after the install: gr_modtool makes a module, grcc compiles
    one of GNU Radio's own example flowgraphs."""
    env = {"PATH": f"{PREFIX}/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    made = subprocess.run(["gr_modtool", "newmod", "probe"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert made.returncode == 0 and (tmp_path / "gr-probe" / "CMakeLists.txt").is_file(), made.stdout + made.stderr
    example = "/usr/share/gnuradio/examples/analog/fm_tx.grc"
    if not os.path.isfile(example):
        example = sorted(glob.glob("/usr/share/gnuradio/examples/**/*.grc", recursive=True))[0]
    run(["grcc", "-o", str(tmp_path), example], env, tmp_path)
    assert list(tmp_path.glob("*.py")), "grcc wrote no Python file"


def test_sweep_on_dask_workers_started_as_the_readme_says(tmp_path, trained):
    """`python3 -m dask scheduler` and `python3 -m dask worker` from a user's shell find Dask (Debian's, or with
    --pip-deps the module's own on PYTHONPATH), and the worker runs the installed module's flowgraphs."""
    from conftest import free_port, stop
    _, data, model = trained
    env = user_env(PREFIX, tmp_path)
    if pip_deps_dir():                                # pip's Dask: its folder too, as docs/install.md says
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), pip_deps_dir()]))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    with open(tmp_path / "cluster.log", "w") as log:
        cluster = [subprocess.Popen([PYTHON, "-m", "dask", *role, "--no-dashboard"], env=env, cwd=tmp_path, stdout=log,
                                    stderr=subprocess.STDOUT)
                   for role in (["scheduler", "--host", "127.0.0.1", "--port", str(port)],
                                ["worker", address, "--nthreads", "1", "--host", "127.0.0.1"])]
    try:
        done = run(["semcom", "sweep", "--data", data, "--system", f"multimodal={model}", "--channels", "rayleigh",
                    "--snr", "10", "--csi", "estimated", "--videos", "3", "--scheduler", address,
                    "--out", str(tmp_path / "out")], env, tmp_path)
    finally:
        stop(cluster)
    assert f"Dask scheduler at {address}: 1 worker(s), 1 thread(s)" in done.stderr, done.stderr
    assert len((tmp_path / "out" / "results.csv").read_text().splitlines()) == 2


def test_compiled_neural_example_runs_with_debian_python(tmp_path, trained):
    """grcc + python3 on the installed system example, as the README says (GRC runs the same file)."""
    _, data, model = trained
    env = user_env(PREFIX, tmp_path)
    example = os.path.join(PREFIX, "share", "gr-semcom", "examples", "system_rayleigh.grc")
    run(["grcc", "-o", str(tmp_path), example], env, tmp_path)
    results = tmp_path / "rx.csv"
    ran = run([PYTHON, str(tmp_path / "system_rayleigh.py"), "--model", model, "--data", data, "--videos", "3",
               "--results", str(results)], env, tmp_path)
    assert "of 30 segments); videos received 3 of 3, lost []" in ran.stdout, ran.stdout
    assert len(results.read_text().splitlines()) == 31


def test_compiled_phy_example_runs_with_debian_python(tmp_path):
    env = user_env(PREFIX, tmp_path)
    run(["grcc", "-o", str(tmp_path), os.path.join(PREFIX, "share", "gr-semcom", "examples", "mimo_link.grc")],
        env, tmp_path)
    ran = run([PYTHON, str(tmp_path / "mimo_link.py"), "--bursts", "5", "--snr-db", "30"], env, tmp_path)
    assert "in 3200 bits" in ran.stdout, ran.stdout


def test_a_copy_of_the_install_works_without_the_checkout(tmp_path, trained):
    """Every installed file copied to another prefix: its `semcom` runs its own package (and, with --pip-deps,
    its own PyTorch), trains
    nothing new but evaluates the model, with the source and build folders hidden (root: a private mount
    namespace with empty folders mounted over them; otherwise they are only left off every path)."""
    _, data, model = trained
    copy = tmp_path / "copy"
    for path in installed_files():
        target = copy / os.path.relpath(path, PREFIX)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target, follow_symlinks=False)
    env = user_env(str(copy), tmp_path)
    command = [str(copy / "bin" / "semcom"), "--version"]
    hidden = os.geteuid() == 0 and shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True).returncode == 0
    if hidden:                          # not in a chroot, whose root is no mount point to make private
        empty = tmp_path / "empty"
        empty.mkdir()
        script = (f"mount --bind {empty} {os.path.abspath(BUILD)} && mount --bind {empty} {SOURCE} && "
                  f"test ! -e {SOURCE}/CMakeLists.txt && exec \"$@\"")
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]
    version = run(command, env, tmp_path).stdout
    assert str(copy) in version and "PyTorch " in version and "BLAS: " in version, version
    evaluate = command[:-1] + ["evaluate", "--model", model, "--data", data, "--channels", "awgn", "--snr", "30",
                               "--csi", "estimated", "--seeds", "1", "--out", str(tmp_path / "eval.json")]
    run(evaluate, env, tmp_path)
    assert (tmp_path / "eval.json").is_file()


def test_grc_block_files_headers_and_cmake_package_are_installed():
    share = os.path.join(PREFIX, "share", "gnuradio", "grc", "blocks")
    assert os.path.isfile(os.path.join(share, "semcom_ls_channel_estimator.block.yml"))
    assert os.path.isfile(os.path.join(PREFIX, "include", "gnuradio", "semcom", "ls_kernel.h"))
    libs = [p for p in installed_files() if os.path.basename(p).startswith("libgnuradio-semcom.so")]
    assert libs, "libgnuradio-semcom.so not installed"
    configs = [p for p in installed_files() if p.endswith("gnuradio-semcomConfig.cmake")]
    assert configs and os.path.isfile(os.path.join(os.path.dirname(configs[0]), "gnuradio-semcomTargets.cmake"))


def test_another_module_finds_the_kernel_library_with_cmake(tmp_path):
    """find_package(gnuradio-semcom) in a fresh CMake project links and runs the LS kernel."""
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(user CXX)\nset(CMAKE_CXX_STANDARD 17)\n"
        "find_package(gnuradio-semcom 0.1 REQUIRED)\nadd_executable(user main.cc)\n"
        "target_link_libraries(user gnuradio::gnuradio-semcom)\n")
    (tmp_path / "main.cc").write_text("""#include <gnuradio/semcom/ls_kernel.h>
#include <cstdio>
int main()
{   // one user, one antenna, one step of two pilot symbols: H = y / x = 2 - 1j
    std::complex<float> x[2] = { { 1, 0 }, { 0, 1 } }, y[2] = { { 2, -1 }, { 1, 2 } }, h, h_joint;
    std::complex<double> gram, cross;
    float residual;
    int64_t t_min;
    gr::semcom::ls_per_timestep(x, y, { 1, 1, 1, 1, 2, 1 }, { &h, &residual, &t_min, &gram, &cross, &h_joint });
    std::printf("%g %g\\n", h.real(), h.imag());
    return 0;
}
""")
    env = dict(user_env(PREFIX, tmp_path), CMAKE_PREFIX_PATH=PREFIX)
    run(["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "b")], env, tmp_path, 300)
    run(["cmake", "--build", str(tmp_path / "b")], env, tmp_path, 300)
    ran = subprocess.run([str(tmp_path / "b" / "user")], capture_output=True, text=True,
                         env=dict(env, LD_LIBRARY_PATH=os.path.join(PREFIX, "lib")))
    assert ran.returncode == 0 and ran.stdout.split() == ["2", "-1"], (ran.stdout, ran.stderr)


def as_a_user(home: str):
    """(run, env): commands run as a user who is not root, as a GNU Radio Companion user would run them
    (uid 65534 with ``home`` as its own when the suite runs as root; this user otherwise). ``home`` is
    not under pytest's folders: a pytest starting beside this one makes those root's alone again."""
    os.chmod(home, 0o755)
    ids = {}
    if os.geteuid() == 0:
        os.chown(home, 65534, 65534)
        ids = dict(user=65534, group=65534, extra_groups=[])
    env = user_env(PREFIX, home)

    def run_as_user(command, cwd, timeout=1200, **extra_env):
        return subprocess.run(command, env=dict(env, **extra_env), cwd=cwd, capture_output=True, timeout=timeout,
                              **ids)
    return run_as_user, env


@pytest.fixture(scope="module")
def demo_user():
    """A user who is not root ran a small `semcom demo` with no --out: (run, home, demo output)."""
    import tempfile
    home = tempfile.mkdtemp(prefix="semcom-user-", dir="/var/tmp")
    try:
        run_as_user, _ = as_a_user(home)
        done = run_as_user(["semcom", "demo", "--videos", "30", "--epochs", "1", "--snr", "10", "--jobs", "1"],
                           home)
        output = (done.stdout + done.stderr).decode(errors="replace")   # bytes: text mode would turn \r into \n
        assert done.returncode == 0, output[-3000:]
        yield run_as_user, home, output
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_demo_output_is_quiet_and_says_where_it_wrote(demo_user):
    """`semcom demo` logged to a file: no GNU Radio info flood, no progress-bar refreshes, a line per stage,
    and the per-user folder it wrote (the examples' and commands' defaults) named at the end."""
    _, home, output = demo_user
    assert "set_min_output_buffer" not in output
    assert "\r" not in output, "progress bars written to a non-terminal"
    assert "stage 3/3" in output and "demo done" in output, output[-2000:]
    assert "INFO semcom.train: epoch 1:" in output and "INFO semcom.sweep: run 1/" in output, output[-2000:]
    place = os.path.join(home, ".local", "share", "gr-semcom")
    assert f"data:    {place}/data" in output and f"{place}/models/av" in output, output[-2000:]
    assert os.path.join(PREFIX, "share", "gr-semcom", "examples") in output, output[-2000:]
    for folder in ("data/test_order.h5", "models/av/manifest.json", "models/a/manifest.json",
                   "models/v/manifest.json", "sweep/results.csv"):
        assert os.path.isfile(os.path.join(place, folder)), folder


SYSTEM_EXAMPLES = ("system_awgn", "system_rayleigh", "system_rician")


def test_installed_examples_run_with_no_arguments_after_the_demo(demo_user):
    """What GNU Radio Companion does with an installed example, as a user who is not root: grcc writes the
    flowgraph into a folder of the user's (not the read-only examples folder), Debian's python3 runs it from
    a working folder unrelated to the demo's, with no arguments: the models and data are the demo's."""
    run_as_user, home, _ = demo_user
    examples = os.path.join(PREFIX, "share", "gr-semcom", "examples")
    work = os.path.join(home, "somewhere", "else")
    os.makedirs(work)
    if os.geteuid() == 0:
        for folder in (os.path.dirname(work), work):
            os.chown(folder, 65534, 65534)
    grc_files = [os.path.join(examples, f"{name}.grc") for name in SYSTEM_EXAMPLES + ("sdr_loopback",)]
    compiled = run_as_user(["grcc", "-o", work] + grc_files, work, 300)
    assert compiled.returncode == 0, compiled.stdout.decode()[-2000:] + compiled.stderr.decode()[-2000:]
    for name in SYSTEM_EXAMPLES:
        ran = run_as_user([PYTHON, os.path.join(work, f"{name}.py")], work, 600)
        out = ran.stdout.decode() + ran.stderr.decode()
        assert ran.returncode == 0 and "Traceback" not in out, (name, out[-3000:])
        assert "segment accuracy" in out and ", lost []" in out, (name, out[-2000:])

    # without the demo's folder: one line saying what to run, no traceback
    ran = run_as_user([PYTHON, os.path.join(work, "system_rayleigh.py")], work, 120,
                      XDG_DATA_HOME=os.path.join(home, "empty"))
    err = ran.stderr.decode()
    assert ran.returncode == 1 and "Traceback" not in err and err.strip().count("\n") == 0, err[-2000:]
    assert "system_rayleigh: model:" in err and "Run `semcom demo` once" in err and "--model and --data" in err, err

    # the radio example on a machine without the radio: one line naming the driver, no traceback
    ran = run_as_user([PYTHON, os.path.join(work, "sdr_loopback.py")], work, 120)
    err = ran.stderr.decode()
    assert ran.returncode != 0 and "Traceback" not in err and "driver=uhd" in err, err[-2000:]
