"""`pip install bindings/python` works offline (Debian's setuptools, no downloads), and the
installed package finds the library next to itself or through LIBDBX_PATH."""

import os
import shutil
import subprocess
import sys

import pytest

import libdbx

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.normpath(os.path.join(HERE, ".."))


def _pip_available():
    return subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _pip_available(), reason="pip is not installed (.ci/deps installs python3-pip)")
def test_pip_install_offline_and_load(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index",
                        "--no-deps", "--target", str(target), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (target / "libdbx" / "__init__.py").exists()
    assert (target / "libdbx" / "compat" / "datarobot.py").exists()  # subpackages are installed too
    lib = libdbx.load().path
    code = "import libdbx; print(libdbx.library_version()); print(libdbx.load().path)"
    env = dict(os.environ, PYTHONPATH=str(target), LIBDBX_PATH=lib)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == libdbx.library_version()
    # the shared library copied next to the package is found without LIBDBX_PATH
    shutil.copy(lib, target / "libdbx" / "libdbx.so.0")
    env.pop("LIBDBX_PATH")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1] == str(target / "libdbx" / "libdbx.so.0")


def test_a_missing_library_is_a_clear_import_error(tmp_path):
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import libdbx._native as n\n"
            "n._candidates = lambda explicit=None: iter(['/nonexistent/libdbx.so'])\n"
            "try:\n    n.load()\nexcept n.LibraryNotFound as e:\n    print('LibraryNotFound', 'LIBDBX_PATH' in str(e))\n"
            % PKG)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "LibraryNotFound True", out.stderr
