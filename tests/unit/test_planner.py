"""The pure planner: actions and reasons from desired x observed state (no I/O)."""

from dataclasses import dataclass, field

import pytest

from mlcode.address import Address, Kind
from mlcode.config.types import Resource
from mlcode.graph.dag import DAG
from mlcode.plan.planner import fingerprint_of, make_plan, record_inputs
from mlcode.plan.types import Action, ArtifactState, Facts, Observed
from mlcode.state.types import Artifact, Record

DS = Address(Kind.DATASET, "wine")
RF = Address(Kind.MODEL, "rf")
LR = Address(Kind.MODEL, "lr")
SPECS = {
    DS: {"loader": {"_target_": "sklearn.datasets.load_wine"}},
    RF: {"dataset": "wine", "estimator": {"_target_": "sklearn.ensemble.RFC", "n": 100}},
    LR: {"dataset": "wine", "estimator": {"_target_": "sklearn.linear_model.LR", "C": 1.0}},
}
CODE = {"pipelines/train.py": "c1"}
ENV = {"scikit-learn": "1.9.1"}


@dataclass
class FakeReuse:
    records: dict = field(default_factory=dict)

    def get(self, fingerprint):
        return self.records.get(fingerprint)


def resources(specs=None):
    specs = specs or SPECS
    return {
        a: Resource(a, s, (a.spec_path,), depends_on=() if a == DS else (DS,))
        for a, s in specs.items()
    }


def facts(artifact=ArtifactState.OK, code=CODE, env=ENV):
    return Facts(code=dict(code), sources={}, env=dict(env), artifact=artifact)


def recorded(specs=None, code=CODE, env=ENV):
    """Records as a previous apply of `specs` would have left them."""
    res = resources(specs)
    dag = DAG(res, {a: r.depends_on for a, r in res.items()})
    records, digests = {}, {}
    for address in dag.order:
        node_facts = facts(code=code, env=env)
        fp = fingerprint_of(res[address], node_facts, digests)
        artifact = Artifact(f"{address.name}.dir", ((f"{address.name}.bin", fp[:8]),), 1)
        inputs = record_inputs(res[address], node_facts, digests)
        records[address] = Record(
            address, fp, artifact, res[address].spec, inputs=inputs, code=dict(code), env=dict(env)
        )
        digests[address] = artifact.digest
    return records


def plan_for(specs=None, records=None, artifact=None, reuse=None, code=CODE, env=ENV, **kw):
    res = resources(specs)
    dag = DAG(res, {a: r.depends_on for a, r in res.items()})
    artifact = artifact or {}
    observed = Observed(
        records=records if records is not None else {},
        facts={a: facts(artifact.get(a, ArtifactState.OK), code, env) for a in res},
        reuse=reuse or FakeReuse(),
    )
    plan = make_plan(res, dag, observed, **kw)
    return {str(c.address): (c.action, c.reasons) for c in plan.changes}, plan


def with_spec(address, **changes):
    specs = {a: dict(s) for a, s in SPECS.items()}
    est = dict(specs[address]["estimator"], **changes)
    specs[address]["estimator"] = est
    return specs


CASES = [
    pytest.param(
        {},
        {"dataset.wine": Action.CREATE, "model.rf": Action.CREATE, "model.lr": Action.CREATE},
        id="fresh-project-creates-all",
    ),
    pytest.param(
        {"records": "same"},
        {"dataset.wine": Action.NOOP, "model.rf": Action.NOOP, "model.lr": Action.NOOP},
        id="applied-is-noop",
    ),
    pytest.param(
        {"records": "same", "specs": with_spec(RF, n=200)},
        {"dataset.wine": Action.NOOP, "model.rf": Action.REBUILD, "model.lr": Action.NOOP},
        id="hyperparameter-rebuilds-one",
    ),
    pytest.param(
        {
            "records": "same",
            "specs": {**SPECS, DS: {"loader": {"_target_": "sklearn.datasets.load_iris"}}},
        },
        {"dataset.wine": Action.REBUILD, "model.rf": Action.REBUILD, "model.lr": Action.REBUILD},
        id="dataset-change-propagates",
    ),
    pytest.param(
        {"records": "same", "artifact": {RF: ArtifactState.CORRUPT}},
        {"dataset.wine": Action.NOOP, "model.rf": Action.REPAIR, "model.lr": Action.NOOP},
        id="corrupt-copy-repairs",
    ),
    pytest.param(
        {"records": "same", "artifact": {RF: ArtifactState.ABSENT}},
        {"dataset.wine": Action.NOOP, "model.rf": Action.NOOP, "model.lr": Action.NOOP},
        id="absent-copy-is-not-a-change",
    ),
    pytest.param(
        {"records": "same", "code": {"pipelines/train.py": "c2"}},
        {"dataset.wine": Action.REBUILD, "model.rf": Action.REBUILD, "model.lr": Action.REBUILD},
        id="code-change-rebuilds",
    ),
    pytest.param(
        {"records": "same", "targets": [RF]},
        {"dataset.wine": Action.NOOP, "model.rf": Action.NOOP},
        id="target-limits-scope",
    ),
    pytest.param(
        {"records": "same", "replace": [LR]},
        {"dataset.wine": Action.NOOP, "model.rf": Action.NOOP, "model.lr": Action.REBUILD},
        id="replace-forces",
    ),
    pytest.param(
        {"records": "same", "specs": {DS: SPECS[DS], RF: SPECS[RF]}},
        {"dataset.wine": Action.NOOP, "model.rf": Action.NOOP, "model.lr": Action.RETIRE},
        id="deleted-spec-retires",
    ),
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_actions(given, expected):
    # Each situation maps to exactly one action per resource in scope, in DAG order.
    given = dict(given)
    if given.pop("records", None) == "same":
        given["records"] = recorded()
    actions, plan = plan_for(**given)
    assert {a: act for a, (act, _) in actions.items()} == expected
    assert str(plan.changes[0].address) == "dataset.wine"


def test_reasons_are_specific():
    # Reasons name the key and both values, the code file, the package versions.
    actions, _ = plan_for(specs=with_spec(RF, n=200), records=recorded())
    assert actions["model.rf"][1] == ("estimator.n: 100 -> 200",)
    actions, _ = plan_for(records=recorded(), code={"pipelines/train.py": "c2"})
    assert actions["model.rf"][1][0] == "code pipelines/train.py changed"
    actions, _ = plan_for(records=recorded(), env={"scikit-learn": "1.9.2"})
    assert actions["dataset.wine"][1] == ("scikit-learn 1.9.1 -> 1.9.2",)


def test_downstream_of_rebuild_names_upstream():
    # A dataset rebuild makes its models rebuild with "upstream X rebuilt".
    specs = {**SPECS, DS: {"loader": {"_target_": "sklearn.datasets.load_iris"}}}
    actions, plan = plan_for(specs=specs, records=recorded())
    assert "upstream dataset.wine rebuilt" in actions["model.rf"][1]
    assert plan.change(RF).after.fingerprint is None  # known after apply


def test_revert_plans_reuse_of_the_earlier_build():
    # A fingerprint built before is restored, not rebuilt: the rollback path.
    old = recorded()
    new = recorded(with_spec(RF, n=200))
    reuse = FakeReuse({old[RF].fingerprint: old[RF]})
    actions, plan = plan_for(records=new, reuse=reuse)
    assert actions["model.rf"][0] is Action.REUSE
    assert plan.change(RF).after.artifact == old[RF].artifact.md5


def test_absent_note_and_summary():
    # Absent local copies are a note; the summary counts every action.
    _, plan = plan_for(
        records=recorded(), artifact={RF: ArtifactState.ABSENT, LR: ArtifactState.ABSENT}
    )
    assert plan.notes == ("2 artifacts not present locally: run mlcode pull",)
    assert plan.summary["noop"] == 3 and not plan.has_changes
