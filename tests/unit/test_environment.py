"""The build environment: pinned values win over the caller's, tuning knobs are dropped,
everything else passes through; `pinned()` leaves os.environ as it found it."""

from __future__ import annotations

import os

import pytest

from mlcode.worker.environment import PINNED, UNSET, build_environ, pinned


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        pytest.param({}, {}, id="empty"),
        pytest.param({"OMP_NUM_THREADS": "7"}, {}, id="user-threads-overridden"),
        pytest.param({"PYTHONHASHSEED": "123", "TZ": "Asia/Tokyo"}, {}, id="seed-and-zone"),
        pytest.param({"SKLEARN_WORKING_MEMORY": "64"}, {}, id="tuning-knob-dropped"),
        pytest.param({"HOME": "/h", "PATH": "/bin"}, {"HOME": "/h", "PATH": "/bin"}, id="kept"),
    ],
)
def test_build_environ(base, expected):
    # Whatever the caller exports, the result is the pinned values plus what is unrelated.
    assert build_environ(base) == {**expected, **PINNED}


def test_pinned_restores_the_callers_environ(monkeypatch):
    # Inside the block os.environ is the build environment (plus extra); after it, as before.
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv(UNSET[0], "64")
    monkeypatch.delenv("TZ", raising=False)
    before = dict(os.environ)
    with pinned({"EXTRA": "x"}):
        assert os.environ["OMP_NUM_THREADS"] == "1"
        assert os.environ["TZ"] == "UTC"
        assert os.environ["EXTRA"] == "x"
        assert UNSET[0] not in os.environ
    assert dict(os.environ) == before
