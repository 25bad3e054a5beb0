"""Installed versions through their cache: the same answers as importlib.metadata,
also after a distribution is upgraded, removed or rewritten in place."""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

import pytest

from mlcode.versions import InstalledVersions

OLD = 1_600_000_000  # seconds: file times long past, so the cache may vouch for them


def _install(site: Path, version: str, when: int = OLD) -> Path:
    """A `*.dist-info` folder as an installer leaves it, dated `when` (in the past):
    the install moves the site folder's time too, as a real one would."""
    folder = site / f"mlcode_fake_dist-{version}.dist-info"
    folder.mkdir()
    meta = folder / "METADATA"
    meta.write_text(f"Metadata-Version: 2.1\nName: mlcode_fake_dist\nVersion: {version}\n")
    for path in (meta, folder, site):
        os.utime(path, (when, when))
    return folder


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The only path entry: its stat and the metadata files' decide every answer.
    folder = tmp_path / "site"
    folder.mkdir()
    os.utime(folder, (OLD, OLD))
    monkeypatch.setattr(sys, "path", [str(folder)])
    return folder


def _versions(tmp_path: Path) -> InstalledVersions:
    return InstalledVersions(tmp_path / "versions.json")


@pytest.mark.parametrize("name", ["pytest", "PyYAML", "no-such-distribution-xyz"])
def test_answers_as_importlib_metadata(tmp_path, name):
    # Installed or not, the answer is importlib.metadata's, first and from the cache.
    try:
        expected: str | None = metadata.version(name)
    except metadata.PackageNotFoundError:
        expected = None
    first = _versions(tmp_path)
    assert first.version(name) == expected
    first.save()
    assert _versions(tmp_path).version(name) == expected


def test_cache_is_written_and_used(tmp_path, site):
    # An answer whose files are old enough is kept, and read back by the next run.
    _install(site, "1.0")
    first = _versions(tmp_path)
    assert first.version("mlcode_fake_dist") == "1.0"
    first.save()
    assert (tmp_path / "versions.json").exists()
    assert _versions(tmp_path).version("mlcode_fake_dist") == "1.0"


def test_upgrade_and_removal_are_seen(tmp_path, site):
    # An upgrade replaces the dist-info folder, which moves the path entry's stat.
    old = _install(site, "1.0")
    cache = _versions(tmp_path)
    assert cache.version("mlcode_fake_dist") == "1.0"
    cache.save()
    (old / "METADATA").unlink()
    old.rmdir()
    _install(site, "2.0", OLD + 60)
    cache = _versions(tmp_path)
    assert cache.version("mlcode_fake_dist") == "2.0"
    cache.save()
    for path in sorted(site.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    os.utime(site, (OLD + 120, OLD + 120))
    assert _versions(tmp_path).version("mlcode_fake_dist") is None


def test_metadata_rewritten_in_place_is_seen(tmp_path, site):
    # A tool that rewrites METADATA where it is (egg_info does) changes its stat.
    folder = _install(site, "1.0")
    cache = _versions(tmp_path)
    assert cache.version("mlcode_fake_dist") == "1.0"
    cache.save()
    meta = folder / "METADATA"
    meta.write_text(meta.read_text().replace("1.0", "1.1"))
    os.utime(meta, (OLD + 60, OLD + 60))
    assert _versions(tmp_path).version("mlcode_fake_dist") == "1.1"


def test_another_sys_path_has_its_own_answers(tmp_path, site, monkeypatch):
    # `mlcode` and `python -m mlcode` differ in sys.path[0]: each keeps its answers.
    _install(site, "1.0")
    cache = _versions(tmp_path)
    assert cache.version("mlcode_fake_dist") == "1.0"
    cache.save()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _install(elsewhere, "9.0", OLD + 60)
    monkeypatch.setattr(sys, "path", [str(elsewhere), *sys.path])
    there = _versions(tmp_path)
    assert there.version("mlcode_fake_dist") == "9.0"
    there.save()
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(elsewhere)])
    assert _versions(tmp_path).version("mlcode_fake_dist") == "1.0"
