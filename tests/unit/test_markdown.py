"""Golden Markdown views of plans (pull-request comments), from plans built by hand.

Regenerate after an intended change with MLCODE_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlcode.address import Address
from mlcode.plan.types import Action, Change, Plan, Snapshot
from mlcode.report.markdown import MARKER, render_markdown

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

RF_OLD = {"dataset": "wine", "estimator": {"_target_": "RandomForest", "n_estimators": 200}}
RF_NEW = {"dataset": "wine", "estimator": {"_target_": "RandomForest", "n_estimators": 300}}


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MLCODE_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


def _small() -> Plan:
    return Plan(
        "abc123",
        (
            Change(Address.parse("dataset.wine"), Action.NOOP, (), None, None),
            Change(
                Address.parse("model.wine_rf"),
                Action.REBUILD,
                ("estimator.n_estimators: 200 -> 300",),
                Snapshot("f1", RF_OLD, "a.dir", "v1.0.0", {"accuracy": 0.95}),
                Snapshot(None, RF_NEW, None, "v1.1.0"),
            ),
        ),
        ("1 artifact not present locally: run mlcode pull",),
    )


def _preview() -> Plan:
    gates = [
        {"expr": "accuracy >= 0.9", "value": 0.97, "threshold": 0.9, "ok": True},
        {"expr": "f1_macro >= champion - 0.01", "value": 0.9, "threshold": 0.93, "ok": False},
    ]
    promotion = {
        "stage": "production",
        "from_version": "v1.0.0",
        "to_version": "v1.1.0",
        "gates": gates,
        "unassign": [{"stage": "production", "version": "v1.0.0"}],
        "champion": {"version": "v1.0.0", "metrics": {"accuracy": 0.95, "f1_macro": 0.94}},
    }
    return Plan(
        "abc123",
        (
            Change(
                Address.parse("model.wine_rf"),
                Action.REBUILD,
                ("estimator.n_estimators: 200 -> 300", "production: v1.0.0 -> v1.1.0"),
                Snapshot("f1", RF_OLD, "a.dir", "v1.0.0", {"accuracy": 0.95}),
                Snapshot("f2", RF_NEW, "b.dir", "v1.1.0", {"accuracy": 0.97, "f1_macro": 0.9}),
                promotion,
            ),
        ),
    )


def test_small_plan(tmp_path):
    # A marker line, the summary, one table row per change with its reasons, the
    # resolved-spec diff in a collapsible block, and the notes.
    _golden("markdown_small.md", render_markdown(_small()))


def test_preview_with_metrics_and_gates():
    # Candidate metrics beside the champion's with signed deltas, and each gate's outcome.
    text = render_markdown(_preview())
    _golden("markdown_preview.md", text)
    assert "| `model.wine_rf` | accuracy | 0.97 | 0.95 (v1.0.0) | +0.02 |" in text
    assert "❌ f1_macro >= champion - 0.01: 0.9 failed (threshold 0.93)" in text


@pytest.mark.parametrize("limit", [3000, 65_536])
def test_over_the_limit_degrades_to_a_digest(limit):
    # 400 changes do not fit a comment: the digest keeps the marker and summary, as many
    # rows as fit, and points to the job summary; it always fits the limit.
    changes = tuple(
        Change(
            Address.parse(f"model.m{i:03d}"),
            Action.REBUILD,
            (f"estimator.n_estimators: {i} -> {i + 1}", "code pipelines/train.py changed"),
            Snapshot("f", {"estimator": {"n_estimators": i}}),
            Snapshot(None, {"estimator": {"n_estimators": i + 1}}),
        )
        for i in range(400 if limit == 3000 else 2000)
    )
    text = render_markdown(Plan("abc", changes), limit=limit)
    assert len(text) <= limit
    assert text.startswith(MARKER + "\n")
    assert "see this job's summary" in text and "more changes._" in text
    if limit == 3000:
        _golden("markdown_digest.md", text)
