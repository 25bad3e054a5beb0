"""The collector pause: off inside, back as it was after, whatever happens inside."""

from __future__ import annotations

import gc

import pytest

from mlcode.collector import paused


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


def test_pause_and_resume():
    # Off inside the block, on again after it.
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumes_after_an_error():
    # An exception inside the block still turns the collector back on.
    with pytest.raises(ValueError), paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_nested_pause_keeps_the_outer_one():
    # A pause inside a pause does not turn the collector on when it ends.
    with paused():
        with paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_leaves_a_host_that_turned_it_off_alone():
    # A host that runs with the collector off keeps it off.
    gc.disable()
    with paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
