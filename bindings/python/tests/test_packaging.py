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


def test_make_wheel_carries_the_library_and_its_vendored_dependency(tmp_path):
    """make_wheel.py: a wheel whose RECORD matches its members, with libdbx.so and the vendored
    libjansson inside; unpacked (as pip or a cluster library install does) it is imported with no
    LIBDBX_PATH, loads the library next to itself and the vendored jansson before it."""
    import base64
    import hashlib
    import zipfile
    lib = libdbx.load().path
    r = subprocess.run([sys.executable, os.path.join(PKG, "make_wheel.py"), lib, str(tmp_path / "dist")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    whl = r.stdout.strip()
    assert os.path.basename(whl).startswith("libdbx-%s-py3-none-" % libdbx.__version__)
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        assert "libdbx/libdbx.so" in names and "libdbx/_vendor/libjansson.so.4" in names
        assert "libdbx/compat/datarobot.py" in names and "libdbx/py.typed" in names
        assert not any("__pycache__" in n or n.startswith("libdbx/tests") for n in names)
        dist = [n for n in names if n.endswith(".dist-info/RECORD")][0].rsplit("/", 1)[0]
        assert "Root-Is-Purelib: false" in z.read(dist + "/WHEEL").decode()
        record = [line.split(",") for line in z.read(dist + "/RECORD").decode().splitlines()]
        assert sorted(r[0] for r in record) == sorted(names)
        for name, digest, size in record:
            if name.endswith("RECORD"):
                continue
            data = z.read(name)
            want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (want, len(data)), name
        with open(lib, "rb") as f:
            assert z.read("libdbx/libdbx.so") == f.read()
        z.extractall(tmp_path / "site")
    code = ("import libdbx; print(libdbx.load().path); "
            "print(any('_vendor/libjansson' in l for l in open('/proc/self/maps')))")
    env = {k: v for k, v in os.environ.items() if k not in ("LIBDBX_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = str(tmp_path / "site")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(tmp_path / "site" / "libdbx" / "libdbx.so"), "True"]
    # a dependency that is not one is refused
    r = subprocess.run([sys.executable, os.path.join(PKG, "make_wheel.py"), lib, str(tmp_path / "d2"),
                        "--vendor", "libnotthere.so.1"], capture_output=True, text=True)
    assert r.returncode == 1 and "not a dependency" in r.stderr
