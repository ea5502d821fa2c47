"""pytest fixtures for the Python binding: the emulator (one per session, reset per test) and a
client pointed at it. The library comes from LIBDBX_PATH, else the repository's build/."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..")))
LAUNCHER = os.path.join(ROOT, "tests", "emulator", "dbx-emulator")
TOKEN = "dapi-emulator-token"

import libdbx  # noqa: E402


class Emulator:
    def __init__(self, info):
        self.info = info
        self.base = "http://127.0.0.1:%d" % info["http_port"]
        self.tls_base = "https://127.0.0.1:%d" % info["tls_port"] if info.get("tls_port") else None
        self.ca_file = info.get("ca_file")

    def ctl(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text else None

    def reset(self):
        self.ctl("POST", "/__emulator/reset")

    def config(self, **kv):
        return self.ctl("POST", "/__emulator/config", kv)

    def fault(self, **rule):
        return self.ctl("POST", "/__emulator/faults", rule)

    def advance(self, ms):
        return self.ctl("POST", "/__emulator/clock", {"advance_ms": ms})

    def requests(self, path=None):
        reqs = self.ctl("GET", "/__emulator/requests")["requests"]
        return [r for r in reqs if path is None or r["path"] == path]

    def last(self, path):
        reqs = self.requests(path)
        return reqs[-1] if reqs else None


@pytest.fixture(scope="session")
def emulator_process():
    tmp = tempfile.mkdtemp(prefix="dbx-py-")
    ready = os.path.join(tmp, "ready.json")
    proc = subprocess.Popen([sys.executable, LAUNCHER, "--quiet", "--exit-on-stdin-eof",
                             "--ready-file", ready], stdin=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the emulator did not start")
        time.sleep(0.02)
    time.sleep(0.05)
    with open(ready) as f:
        info = json.load(f)
    yield Emulator(info)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    if proc.stdin:
        proc.stdin.close()


@pytest.fixture
def emu(emulator_process):
    emulator_process.reset()
    return emulator_process


@pytest.fixture
def client(emu):
    with libdbx.Client(host=emu.base, token=TOKEN, no_env=True, no_config_file=True,
                       retry_initial_delay=0.01, retry_max_delay=0.05) as c:
        yield c
