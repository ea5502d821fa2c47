#!/usr/bin/env python3
"""Build a wheel of the libdbx Python binding with the C library inside (standard library only).

    make_wheel.py LIBDBX_SO OUT_DIR [--vendor SONAME ...]

The wheel (libdbx-<version>-py3-none-<platform>.whl) holds the package, LIBDBX_SO as
libdbx/libdbx.so, and libdbx/_vendor/ with the shared libraries named by --vendor (default
libjansson.so.4: Databricks Runtime images have libcurl and OpenSSL but not jansson), copied
from where the dynamic linker finds them for LIBDBX_SO (ldd). The binding loads them first
(_native._preload_vendored). Install it with pip, or as a cluster library
({"whl": "/Volumes/..."}): migration program 1 does that for its training task
(DBX_MIGRATION_TASK_WHEEL). The wheel is for the platform it was built on (glibc and CPU).
Prints the wheel's path.
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(HERE, "libdbx", "__init__.py"), encoding="utf-8") as f:
        m = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M)
    return m.group(1)


def dependencies(so):
    """soname -> path, as the dynamic linker resolves LIBDBX_SO's dependencies."""
    out = subprocess.run(["ldd", so], capture_output=True, text=True, check=True).stdout
    deps = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if m:
            deps[m.group(1)] = m.group(2)
    return deps


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    so, out_dir = argv[1], argv[2]
    vendor = argv[argv.index("--vendor") + 1:] if "--vendor" in argv else ["libjansson.so.4"]
    ver = version()
    plat = re.sub(r"[-.]", "_", sysconfig.get_platform())
    tag = "py3-none-" + plat
    dist = "libdbx-%s.dist-info" % ver
    files = []  # (name in the wheel, bytes)
    for root, dirs, names in os.walk(os.path.join(HERE, "libdbx")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for n in sorted(names):
            if n.endswith(".py") or n == "py.typed":
                p = os.path.join(root, n)
                with open(p, "rb") as f:
                    files.append((os.path.relpath(p, HERE).replace(os.sep, "/"), f.read()))
    with open(so, "rb") as f:
        files.append(("libdbx/libdbx.so", f.read()))
    deps = dependencies(so)
    for soname in vendor:
        if soname not in deps:
            print("make_wheel: %s is not a dependency of %s" % (soname, so), file=sys.stderr)
            return 1
        with open(deps[soname], "rb") as f:
            files.append(("libdbx/_vendor/" + soname, f.read()))
    files.append((dist + "/METADATA", (
        "Metadata-Version: 2.1\nName: libdbx\nVersion: %s\n"
        "Summary: Databricks REST APIs through the libdbx C library (ctypes, standard library only)\n"
        "License: Apache-2.0\nRequires-Python: >=3.8\n" % ver).encode()))
    files.append((dist + "/WHEEL", (
        "Wheel-Version: 1.0\nGenerator: libdbx make_wheel.py\nRoot-Is-Purelib: false\nTag: %s\n" % tag).encode()))
    record = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append(dist + "/RECORD,,")
    files.append((dist + "/RECORD", ("\n".join(record) + "\n").encode()))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "libdbx-%s-%s.whl" % (ver, tag))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name.endswith((".so", ".so.4")) or ".so." in name else 0o644) << 16
            z.writestr(info, data)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
