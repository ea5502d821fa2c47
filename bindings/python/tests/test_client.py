"""The client, configuration, errors and the escape hatch, against the emulator."""

import gc
import os
import threading

import pytest

import libdbx
from conftest import TOKEN


def test_library_loads_and_reports_its_version():
    assert libdbx.library_version().startswith("0.")
    assert os.path.exists(libdbx.load().path)


def test_configuration_resolution_and_sources(emu, tmp_path, monkeypatch):
    cfg = tmp_path / "databrickscfg"
    cfg.write_text("[DEFAULT]\nhost = %s\ntoken = %s\n[other]\nhost = https://x.example\ntoken = t\n"
                   % (emu.base, TOKEN))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    with libdbx.Client() as c:
        assert c.host == emu.base
        assert c.auth_type == "pat"
        assert c.config_source("host") == "config"
        assert c.clusters.spark_versions()  # a real call with the file's token
    with libdbx.Client(profile="other") as c:
        assert c.host == "https://x.example"
    monkeypatch.setenv("DATABRICKS_HOST", emu.base)
    with libdbx.Client(token=TOKEN) as c:
        assert c.config_source("host") == "env"
        assert c.config_source("token") == "option"


def test_bad_configuration_raises_config_error():
    with pytest.raises(libdbx.ConfigError) as ei:
        libdbx.Client(no_env=True, no_config_file=True)
    assert "host" in str(ei.value)
    assert ei.value.status_name == "DBX_ECONFIG"
    with pytest.raises(libdbx.ConfigError):
        libdbx.Client(host="http://example.com", token="t", no_env=True, no_config_file=True)
    with pytest.raises(TypeError):
        libdbx.Client(no_such_option=1)
    with pytest.raises(TypeError):
        libdbx.Client(host="http://127.0.0.1:1", token="t", http_timeout="slow")


def test_errors_carry_the_service_detail(client, emu):
    with pytest.raises(libdbx.NotFound) as ei:
        client.clusters.get("no-such-cluster")
    e = ei.value
    assert isinstance(e, LookupError) and isinstance(e, libdbx.DatabricksError)
    assert e.status == -12 and e.status_name == "DBX_ENOTFOUND"
    assert e.http_status == 400 and e.error_code == "INVALID_PARAMETER_VALUE"
    assert e.method == "GET" and e.path == "/api/2.1/clusters/get"
    assert e.request_id
    assert "no-such-cluster" in e.message


def test_retries_then_rate_limited(client, emu):
    emu.fault(path="/api/2.1/clusters/spark-versions", times=-1, action="status", status=429,
              body={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"})
    with libdbx.Client(host=emu.base, token=TOKEN, no_env=True, no_config_file=True,
                       max_attempts=3, retry_initial_delay=0.01, retry_max_delay=0.02) as c:
        with pytest.raises(libdbx.RateLimited) as ei:
            c.clusters.spark_versions()
    assert ei.value.attempts == 3
    assert ei.value.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert len(emu.requests("/api/2.1/clusters/spark-versions")) == 3


def test_request_escape_hatch(client, emu):
    r = client.request("GET", "/api/2.1/clusters/spark-versions")
    assert r.status == 200 and r.json()["versions"]
    assert r.header("Content-Type").startswith("application/json")
    r = client.request("POST", "/api/2.1/clusters/create",
                       {"spark_version": "15.4.x-scala2.12", "num_workers": 1})
    cid = r.json()["cluster_id"]
    assert emu.last("/api/2.1/clusters/create")["json"]["num_workers"] == 1
    assert client.clusters.get(cid).cluster_id == cid
    with pytest.raises(libdbx.InvalidArgument):
        client.request("POST", "/api/2.1/clusters/create", "{not json")


def test_log_callback_sees_requests_without_secrets(emu):
    lines = []
    with libdbx.Client(host=emu.base, token=TOKEN, no_env=True, no_config_file=True,
                       log=lambda level, cat, msg: lines.append((level, cat, msg))) as c:
        c.clusters.spark_versions()
    assert any(cat == "http_request" and "spark-versions" in msg for _, cat, msg in lines)
    assert not any(TOKEN in msg for _, _, msg in lines)


def test_log_callback_exception_is_reported_not_swallowed(emu, monkeypatch):
    seen = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: seen.append(u.exc_value))

    def bad(level, cat, msg):
        raise RuntimeError("logger broke")

    with libdbx.Client(host=emu.base, token=TOKEN, no_env=True, no_config_file=True, log=bad) as c:
        assert c.clusters.spark_versions()  # the call itself is unaffected
    assert seen and isinstance(seen[0], RuntimeError)


def test_closed_client_and_gc(emu):
    c = libdbx.Client(host=emu.base, token=TOKEN, no_env=True, no_config_file=True)
    it = c.clusters.list()
    c.close()
    c.close()
    assert list(it) == []  # the iterator holds its own reference on the C client
    with pytest.raises(libdbx.InvalidArgument):
        c.clusters.get("x")
    assert "closed" in repr(c)
    del c, it
    gc.collect()


def test_shared_between_threads(client, emu):
    cid = client.clusters.create(spark_version="15.4.x-scala2.12", num_workers=1)
    errors = []

    def work():
        try:
            for _ in range(20):
                assert client.clusters.get(cid).cluster_id == cid
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
