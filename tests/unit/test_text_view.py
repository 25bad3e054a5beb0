"""The terminal view of a plan with nothing to show in colour is its plain text."""

from __future__ import annotations

import pytest

from mlcode.address import Address
from mlcode.plan.types import Action, Change, Plan, Snapshot
from mlcode.report.text import plain_plan, render_plan

SPEC = {"dataset": "wine", "estimator": {"_target_": "RandomForest", "n_estimators": 200}}
NOOP = Change(Address.parse("model.rf"), Action.NOOP, (), None, Snapshot("f", SPEC))
DATA = Change(Address.parse("dataset.wine"), Action.NOOP, (), None, Snapshot("d", {}))
REBUILD = Change(Address.parse("model.rf"), Action.REBUILD, ("fingerprint changed",), None, None)


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(Plan("abc", (DATA, NOOP)), id="two"),
        pytest.param(Plan("abc", (NOOP,)), id="one"),
        pytest.param(Plan(None, ()), id="empty"),
    ],
)
def test_plain_plan_is_the_rendered_text(plan):
    # With no change and no note the view is one unstyled line: the same text.
    text = render_plan(plan)
    assert not text.spans and not text.style
    assert plain_plan(plan) == text.plain


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(Plan("abc", (DATA, REBUILD)), id="change"),
        pytest.param(Plan("abc", (DATA, NOOP), ("1 artifact not present locally",)), id="note"),
    ],
)
def test_plans_with_style_have_no_plain_text(plan):
    # A change or a note is shown in colour: only render_plan prints it.
    assert plain_plan(plan) is None
    assert render_plan(plan).spans
