"""The reuse index's two files: a plan whose record index did not move reads only the
small one, and nothing it skips is lost (no Git repository here: nothing to scan)."""

from __future__ import annotations

from mlcode.address import Address
from mlcode.state.reuse import ReuseIndex
from mlcode.state.types import Artifact, Record

INDEX = [1_600_000_000_000_000_000, 2048, 77]  # the stat of an index.json, long past
MOVED = [1_600_000_060_000_000_000, 2050, 78]


def _record(name: str, fp: str) -> Record:
    artifact = Artifact(f"{fp}.dir", (("model.joblib", fp[:8]),), 10)
    return Record(Address.parse(f"model.{name}"), fp, artifact, {"dataset": "d"})


RF, LR, GB = _record("rf", "f" * 64), _record("lr", "a" * 64), _record("gb", "b" * 64)


def _index(tmp_path) -> ReuseIndex:
    return ReuseIndex(tmp_path, tmp_path / "reuse.json")


def test_records_of_an_unmoved_index_are_not_read_again(tmp_path):
    # Once the records of an index were added, the same index adds nothing: reuse.json
    # is not even read, yet every lookup still finds the records.
    first = _index(tmp_path)
    first.add_current([RF, LR], INDEX)
    first.save()
    again = _index(tmp_path)
    again.add_current([RF, LR], INDEX)
    assert again._entries is None  # reuse.json untouched
    assert again.get(RF.fingerprint) == RF and again.get(LR.fingerprint) == LR
    assert LR.fingerprint in again and len(again.records()) == 2


def test_a_moved_index_adds_its_records(tmp_path):
    # A record index that changed (another stat) has its records added.
    first = _index(tmp_path)
    first.add_current([RF], INDEX)
    first.save()
    moved = _index(tmp_path)
    moved.add_current([RF, GB], MOVED)
    moved.save()
    assert _index(tmp_path).get(GB.fingerprint) == GB


def test_any_other_addition_voids_the_mark(tmp_path):
    # An entry added otherwise (apply, a history scan) may have replaced a current
    # record's entry: the next plan adds the current records again.
    first = _index(tmp_path)
    first.add_current([RF], INDEX)
    first.save()
    apply = _index(tmp_path)
    older = Record(RF.address, RF.fingerprint, RF.artifact, {"dataset": "old"})
    apply.add(older)
    apply.save()
    plan = _index(tmp_path)
    plan.add_current([RF], INDEX)
    assert plan.get(RF.fingerprint) == RF


def test_a_lost_entries_file_is_not_trusted(tmp_path):
    # Without the reuse.json the state vouches for, the state is void: records are
    # added again instead of being taken as present.
    first = _index(tmp_path)
    first.add_current([RF], INDEX)
    first.save()
    (tmp_path / "reuse.json").unlink()
    again = _index(tmp_path)
    again.add_current([RF], INDEX)
    assert again.get(RF.fingerprint) == RF
