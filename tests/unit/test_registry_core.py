"""The registry's pure core: tag grammar, the fold into a view, gates and decisions."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcode.address import Address
from mlcode.registry import tags
from mlcode.registry.decide import Decision, bump_part, decide, decide_retire
from mlcode.registry.gates import Gate, evaluate, parse_gate, passed
from mlcode.registry.tags import ParsedTag, TagKind
from mlcode.registry.view import event_from_tag, fold
from mlcode.state.types import Artifact, Record

K = TagKind


def fp(letter):
    return letter * 16


def event(line):
    """`"TAG COMMIT TIME [F]"` -> TagEvent; F marks a registration mlcode made (fingerprint F*16)."""
    text, commit, time, *mark = line.split()
    message = f"Register\n\nmlcode-fingerprint: {fp(mark[0])}\n" if mark else "by hand"
    return event_from_tag(text, commit, int(time), "alice", message)


def model(*lines):
    return fold([event(line) for line in lines]).get("m")


def no_champion(version):
    raise AssertionError(f"champion({version}) asked for, but no stage is held")


def unscored(version):
    return None  # the champion's metrics are not known yet


# --- tags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        pytest.param("m@v1.2.3", ParsedTag(K.REGISTER, "m", "v1.2.3"), id="register"),
        pytest.param("m@v1.2.3!", ParsedTag(K.DEREGISTER, "m", "v1.2.3"), id="deregister"),
        pytest.param("m#prod#4", ParsedTag(K.ASSIGN, "m", None, "prod", 4), id="assign"),
        pytest.param("m#prod!#4", ParsedTag(K.UNASSIGN, "m", None, "prod", 4), id="unassign"),
        pytest.param("m@deprecated", ParsedTag(K.DEPRECATE, "m"), id="deprecated"),
        pytest.param("m@deprecated#7", ParsedTag(K.DEPRECATE, "m", counter=7), id="deprecated#n"),
        pytest.param("m@created", ParsedTag(K.CREATE, "m"), id="created"),
        pytest.param("m@v2.0.0-rc.1+b7", ParsedTag(K.REGISTER, "m", "v2.0.0-rc.1+b7"), id="pre"),
        pytest.param("a/my-m_2@v0.1.0", ParsedTag(K.REGISTER, "a/my-m_2", "v0.1.0"), id="-_/"),
        pytest.param("v1.0", None, id="plain-version-tag"),
        pytest.param("foo", None, id="plain-tag"),
        pytest.param("name@1.0.0", None, id="version-without-v"),
        pytest.param("name@v01.0.0", None, id="leading-zero"),
        pytest.param("-m@v1.0.0", None, id="name-starts-with-dash"),
        pytest.param("m#prod#x", None, id="non-numeric-counter"),
    ],
)
def test_parse_tag(text, parsed):
    # Every GTO tag form parses to its kind and parts; any other tag is not a registry tag.
    assert tags.parse_tag(text) == parsed


NAMES = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9\-/_]*[a-zA-Z0-9])?", fullmatch=True)
VERSIONS = st.from_regex(
    r"v(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+)?",
    fullmatch=True,
)


@given(NAMES, NAMES, VERSIONS, st.integers(0, 10**9))
def test_formatters_round_trip_through_parse(name, stage, version, n):
    # Whatever the formatters write, parse_tag reads back unchanged.
    written = {
        tags.register_tag(name, version): ParsedTag(K.REGISTER, name, version),
        tags.assign_tag(name, stage, n): ParsedTag(K.ASSIGN, name, None, stage, n),
        tags.unassign_tag(name, stage, n): ParsedTag(K.UNASSIGN, name, None, stage, n),
        tags.deprecate_tag(name, n): ParsedTag(K.DEPRECATE, name, counter=n),
    }
    assert {text: tags.parse_tag(text) for text in written} == written


@pytest.mark.parametrize(
    ("highest", "part", "expected"),
    [
        pytest.param(None, "major", "v1.0.0", id="first-is-1.0.0"),
        pytest.param("v1.2.3", "major", "v2.0.0", id="major"),
        pytest.param("v1.2.3", "minor", "v1.3.0", id="minor"),
        pytest.param("v1.2.3", "patch", "v1.2.4", id="patch"),
    ],
)
def test_bump(highest, part, expected):
    # The next version starts at v1.0.0 and resets the parts below the bumped one.
    assert tags.bump(highest, part) == expected


def test_version_key_orders_numerically_with_prereleases_first():
    # Versions sort by number, not text, and a pre-release goes before its release.
    ordered = ["v0.9.0", "v1.0.0-alpha", "v1.0.0-beta", "v1.0.0", "v1.2.0", "v1.10.0", "v10.0.0"]
    assert sorted(reversed(ordered), key=tags.version_key) == ordered


def test_version_key_compares_numeric_prerelease_identifiers_numerically():
    # SemVer 11.4.1: numeric pre-release identifiers compare as numbers (rc.2 < rc.10).
    assert tags.version_key("v1.0.0-rc.2") < tags.version_key("v1.0.0-rc.10")


# --- view -------------------------------------------------------------------------------


def test_fold_registrations_and_stage_moves():
    # A stage is held by the version most recently assigned to it; counters advance.
    m = model(
        "m@v1.0.0 c1 10 a", "m@v1.0.1 c2 20 b", "m#prod#1 c1 11", "m#dev#2 c1 12", "m#prod#3 c2 21"
    )
    assert list(m.versions) == ["v1.0.0", "v1.0.1"]
    assert m.current_stages() == {"prod": "v1.0.1", "dev": "v1.0.0"}
    assert m.stages_of("v1.0.0") == ["dev"]
    assert (m.highest, m.latest, m.next_counter(), m.managed) == ("v1.0.1", "v1.0.1", 4, True)
    assert (m.version_for(fp("a")), m.version_for(fp("c"))) == ("v1.0.0", None)
    assert " ".join(f"{h.event.tag}={h.version}" for h in m.history) == (
        "m@v1.0.0=v1.0.0 m#prod#1=v1.0.0 m#dev#2=v1.0.0 m@v1.0.1=v1.0.1 m#prod#3=v1.0.1"
    )


def test_fold_unmanaged_model_without_counters():
    # Versions registered by hand (no fingerprint line) are listed but not managed.
    m = model("m@v1.0.0 c1 10")
    assert (m.latest, m.managed, m.next_counter()) == ("v1.0.0", False, 1)


@pytest.mark.parametrize(
    ("lines", "holder"),
    [
        pytest.param(["m#prod#1 c1 11", "m#prod!#2 c1 12"], None, id="unassign-empties"),
        pytest.param(
            ["m#prod#1 c1 11", "m#prod#2 c2 21", "m#prod!#3 c2 22"], "v1.0.0", id="back-to-previous"
        ),
        pytest.param(
            ["m#prod#1 c1 11", "m#prod#2 c2 21", "m@v1.0.1! c2 30"], "v1.0.0", id="deregistered"
        ),
        pytest.param(["m#prod#1 deadbeef 11"], "deadbeef", id="unregistered-commit"),
        pytest.param(
            ["m#prod#1 deadbeef 11", "m#prod!#2 deadbeef 12"], "deadbeef", id="unregistered-own"
        ),
        pytest.param(["m#prod#2 c1 500", "m#prod#3 c2 30"], "v1.0.0", id="time-not-counter"),
        pytest.param(["m#prod#1 c1 11", "m#prod!#2 c1 11"], None, id="unassign-wins-tie"),
        pytest.param(["m#prod#1 c2 40", "m#prod#2 c1 40"], "v1.0.0", id="tie-earlier-version"),
        pytest.param(
            ["m#prod#1 c1 40", "m#prod#2 c2 40", "m@v1.0.0#3 c1 25"],
            "v1.0.1",
            id="tie-reregistered",
        ),
        pytest.param(
            ["m#prod#1 c1 11", "m#prod#2 c2 21", "m@v1.0.1! c2 21"], "v1.0.0", id="dereg-tie"
        ),
    ],
)
def test_stage_holder(lines, holder):
    # A stage goes to the active version with the latest active assignment, by tagger
    # time with GTO's tie rules (its counter only names the tag), via its commit: a stage
    # tag on a commit without a registration is a version of its own, never unassigned.
    m = model("m@v1.0.0 c1 10 a", "m@v1.0.1 c2 20 b", *lines)
    assert m.current_stages().get("prod") == holder


def test_deregistration_deactivates_the_version():
    # A deregistered version stays the highest but is no longer latest or found by fingerprint.
    m = model("m@v1.0.0 c1 10 a", "m@v1.0.1 c2 20 b", "m@v1.0.1! c2 30")
    assert (m.highest, m.latest, m.version_for(fp("b"))) == ("v1.0.1", "v1.0.0", None)


def test_deprecation_hides_everything_until_registered_again():
    # A deprecated model shows no stages or latest; a later registration revives it.
    retired = ["m@v1.0.0 c1 10 a", "m#prod#1 c1 11", "m@deprecated#2 c1 12"]
    m = model(*retired)
    assert (m.deprecated, m.active, m.latest, m.version_for(fp("a"))) == (True, False, None, None)
    assert (m.current_stages(), m.highest, m.next_counter()) == ({}, "v1.0.0", 3)
    m = model(*retired, "m@v1.1.0 c2 13 b")
    assert (m.deprecated, m.latest, m.version_for(fp("b"))) == (False, "v1.1.0", "v1.1.0")


def test_events_apply_in_time_order_as_gto_does():
    # GTO orders by tagger time, not by counter: a clock running backwards reorders.
    m = model("m@v1.0.0 c1 10", "m#prod#2 c1 500", "m#prod!#3 c1 30", "m#dev#1 c1 900")
    assert [h.event.tag for h in m.history] == ["m@v1.0.0", "m#prod!#3", "m#prod#2", "m#dev#1"]
    assert m.current_stages() == {"dev": "v1.0.0", "prod": "v1.0.0"}


@pytest.mark.parametrize(
    ("lines", "deprecated"),
    [
        pytest.param(["m@deprecated#1 c1 20"], True, id="later"),
        pytest.param(["m@deprecated#1 c1 20", "m@v1.1.0 c2 20"], False, id="register-same-second"),
        pytest.param(["m@deprecated#1 c1 10"], False, id="its-registration-same-second"),
        pytest.param(["m@deprecated#1 c1 20", "m#prod#2 c1 21"], False, id="assign-revives"),
        pytest.param(["m@deprecated#1 c1 20", "m@created#2 c1 20"], True, id="beats-created"),
        pytest.param(["m@deprecated#1 c1 20", "m@created#2 c1 21"], False, id="created-later"),
    ],
)
def test_deprecation_is_the_latest_event_with_gto_ties(lines, deprecated):
    # Deprecated while the latest event is a deprecation; a version or stage event of the
    # same second keeps the model active, a creation of the same second does not.
    assert model("m@v1.0.0 c1 10", *lines).deprecated is deprecated


def test_a_version_commit_made_after_the_deprecation_revives_the_model():
    # GTO dates an event for each version by its commit's committer time.
    later_commit = event_from_tag("m@v1.0.0", "c1", 10, "alice", "by hand", committed=21)
    assert model("m@v1.0.0 c1 10", "m@deprecated#1 c1 20").deprecated
    assert not fold([later_commit, event("m@deprecated#1 c1 20")]).get("m").deprecated


def test_hidden_assignments_are_listed_for_unassignment():
    # `gto assign` leaves the previous holder assigned, hidden behind the new one.
    m = model("m@v1.0.0 c1 10", "m@v1.0.1 c2 20", "m#prod#1 c1 11", "m#prod#2 c2 21")
    assert m.current_stages() == {"prod": "v1.0.1"}
    assert m.assignments() == [("prod", "v1.0.0"), ("prod", "v1.0.1")]
    # An assignment on a commit with no registration cannot be undone: not listed.
    m = model("m@v1.0.0 c1 10", "m#prod#1 c1 11", "m#prod#2 deadbeef 12")
    assert (m.current_stages(), m.assignments()) == ({"prod": "deadbeef"}, [("prod", "v1.0.0")])


@st.composite
def event_logs(draw):
    time = st.integers(0, 30).map(str)
    commits = [f"c{i}" for i in range(draw(st.integers(1, 4)))]
    lines = [f"m@v1.0.{i} {c} {draw(time)} a" for i, c in enumerate(commits)]
    lines += [f"m@v1.0.{i}! {c} {draw(time)}" for i, c in enumerate(commits) if draw(st.booleans())]
    for n in range(1, draw(st.integers(0, 10)) + 1):
        stage = draw(st.sampled_from(["prod", "dev"]))
        text = draw(st.sampled_from([f"m#{stage}#{n}", f"m#{stage}!#{n}", f"m@deprecated#{n}"]))
        lines.append(f"{text} {draw(st.sampled_from([*commits, 'zz']))} {draw(time)}")
    return [event(line) for line in [*lines, f"other@v1.0.0 o1 {draw(time)}"]]


@given(st.data())
def test_fold_is_independent_of_input_order(data):
    # Any permutation of the same tags folds to the same view, history included.
    events = data.draw(event_logs())
    assert fold(data.draw(st.permutations(events))) == fold(events)


# --- gates ------------------------------------------------------------------------------

NO_CHAMPION = "no champion"  # no version holds the stage yet


@pytest.mark.parametrize(
    ("expr", "gate", "shown"),
    [
        pytest.param(">= 0.90", Gate("acc", ">=", False, 0.9), "acc >= 0.9", id="absolute"),
        pytest.param("== -1", Gate("acc", "==", False, -1.0), "acc == -1", id="negative"),
        pytest.param(
            ">=champion-0.01", Gate("acc", ">=", True, -0.01), "acc >= champion - 0.01", id="minus"
        ),
        pytest.param(
            "< champion + 0.5", Gate("acc", "<", True, 0.5), "acc < champion + 0.5", id="plus"
        ),
        pytest.param("> champion", Gate("acc", ">", True, 0.0), "acc > champion", id="champion"),
    ],
)
def test_parse_gate(expr, gate, shown):
    # Absolute and champion-relative conditions parse to a Gate that prints canonically.
    assert parse_gate("acc", expr) == gate
    assert gate.expr == shown


def test_parse_gate_rejects_garbage():
    # A condition outside the grammar raises ValueError naming it.
    with pytest.raises(ValueError, match="~ 3"):
        parse_gate("acc", "~ 3")


@pytest.mark.parametrize(
    ("expr", "value", "champion", "outcome"),
    [
        pytest.param(">= 0.9", 0.95, NO_CHAMPION, (0.9, True, ""), id="pass"),
        pytest.param(">= 0.9", 0.8, NO_CHAMPION, (0.9, False, ""), id="fail"),
        pytest.param(">= champion - 0.1", 0.75, 0.9, (0.8, False, ""), id="relative-fail"),
        pytest.param(">= champion - 0.1", 0.8, 0.9, (0.8, True, ""), id="relative-pass"),
        pytest.param("> champion", 0.9, 0.9, (0.9, False, ""), id="tie"),
        pytest.param(">= champion", 0.5, NO_CHAMPION, (None, True, "no champion yet"), id="first"),
        pytest.param(
            ">= champion", 0.9, None, (None, None, "champion scored at apply"), id="unscored"
        ),
        pytest.param(">= 0.9", None, None, (0.9, None, "known after the build"), id="unbuilt"),
    ],
)
def test_evaluate_gate(expr, value, champion, outcome):
    # Each gate's threshold and verdict (None: undecided), with a note for the odd cases.
    metrics = None if value is None else {"a": value}
    scored = None if champion in (None, NO_CHAMPION) else {"a": champion}
    [result] = evaluate({"a": expr}, metrics, scored, champion is not NO_CHAMPION)
    assert (result.value, (result.threshold, result.ok, result.note)) == (value, outcome)


def test_gate_results_render_serialise_and_combine():
    # A result prints and serialises its outcome; any failure fails, else any unknown pends.
    ok, missing = evaluate([("acc", ">= 0.9"), ("f1", "> 0.5")], {"acc": 0.97}, None, False)
    [unknown] = evaluate({"acc": ">= 0.9"}, None, None, False)
    assert str(ok) == "acc >= 0.9: 0.97 (threshold 0.9) ok"
    assert ok.to_dict() == {"expr": "acc >= 0.9", "value": 0.97, "threshold": 0.9, "ok": True}
    assert missing.to_dict()["note"] == "metric f1 not recorded"
    assert str(missing) == "f1 > 0.5: ? (threshold 0.5) failed; metric f1 not recorded"
    assert (passed([ok]), passed([ok, unknown])) == (True, None)
    assert (passed([unknown, missing]), passed([])) == (False, True)


# --- decide -----------------------------------------------------------------------------

HELD = ("m@v1.0.0 c1 10 a", "m#prod#1 c1 11")


def test_decide_registers_a_new_model_at_1_0_0():
    # A model the registry has never seen gets v1.0.0 and, with a stage, takes it unopposed.
    d = decide(
        None, fp("a"), lambda: "major", "prod", [("acc", ">= champion")], {"acc": 0.5}, no_champion
    )
    assert replace(d, gates=()) == Decision("v1.0.0", register=True, assign="prod")
    assert d.reasons() == ["prod: (none) -> v1.0.0"]
    assert decide(None, fp("a"), lambda: "major", None, [], None, no_champion) == Decision(
        "v1.0.0", True
    )


def test_decide_reuses_a_registered_fingerprint():
    # A build whose fingerprint is already registered is not registered again nor moved.
    d = decide(model(*HELD), fp("a"), lambda: "patch", "prod", [], {}, no_champion)
    assert (d, d.promotion()) == (Decision("v1.0.0"), None)


def test_decide_moves_a_stage_from_its_holder():
    # A new version taking a held stage assigns it and unassigns the old holder.
    gates = [("acc", ">= champion - 0.01")]
    d = decide(
        model(*HELD), fp("b"), lambda: "minor", "prod", gates, {"acc": 0.9}, lambda v: {"acc": 0.9}
    )
    assert replace(d, gates=()) == Decision(
        "v1.1.0", True, "prod", "v1.0.0", unassign=(("prod", "v1.0.0"),)
    )
    assert d.reasons() == ["prod: v1.0.0 -> v1.1.0"]
    assert d.promotion() == {
        "stage": "prod",
        "from_version": "v1.0.0",
        "to_version": "v1.1.0",
        "gates": [{"expr": "acc >= champion - 0.01", "value": 0.9, "threshold": 0.89, "ok": True}],
        "unassign": [{"stage": "prod", "version": "v1.0.0"}],
    }


def test_decide_failing_gate_blocks_the_move():
    # A failed gate keeps the stage with its holder: no assign, no unassign of the holder.
    d = decide(
        model(*HELD), fp("b"), lambda: "patch", "prod", [("acc", ">= 0.9")], {"acc": 0.5}, unscored
    )
    assert replace(d, gates=()) == Decision("v1.0.1", True, None, "v1.0.0", blocked=True)
    assert d.blocked_note("model.m", "prod") == (
        "model.m: promotion to prod blocked by gate acc >= 0.9: 0.5 (threshold 0.9) failed"
    )


def test_decide_pending_gate_still_plans_the_move():
    # Before the build, gates are undecided: the move is planned and marked pending.
    d = decide(model(*HELD), None, lambda: "patch", "prod", [("acc", ">= 0.9")], None, unscored)
    assert (d.version, d.register, d.assign, d.pending_gates) == ("v1.0.1", True, "prod", True)


def test_decide_unassigns_stages_the_spec_does_not_name():
    # Dropping the spec's stage unassigns every stage; keeping one unassigns only the others.
    m = model(*HELD, "m#dev#2 c1 12")
    dropped = decide(m, fp("a"), lambda: "patch", None, [], {}, no_champion)
    assert dropped == Decision("v1.0.0", unassign=(("dev", "v1.0.0"), ("prod", "v1.0.0")))
    assert dropped.reasons() == ["dev: v1.0.0 -> (none)", "prod: v1.0.0 -> (none)"]
    kept = decide(m, fp("a"), lambda: "patch", "prod", [], {}, no_champion)
    assert kept == Decision("v1.0.0", unassign=(("dev", "v1.0.0"),))


def test_decide_retire_unassigns_every_stage_then_deprecates():
    # Retiring an active model unassigns every stage and deprecates it.
    d = decide_retire(model(*HELD, "m#dev#2 c1 12"))
    assert d == Decision(None, unassign=(("dev", "v1.0.0"), ("prod", "v1.0.0")), deprecate=True)


@pytest.mark.parametrize(
    "lines",
    [pytest.param(None, id="unknown"), pytest.param([*HELD, "m@deprecated#2 c1 12"], id="retired")],
)
def test_decide_retire_leaves_retired_models_alone(lines):
    # Retiring a model that is unknown or already deprecated writes nothing.
    assert decide_retire(lines and model(*lines)) == Decision(None)


SPEC = {"dataset": "iris", "estimator": {"n_estimators": 100}, "stage": "dev"}
INPUTS = {"dataset.iris": "h1"}


@pytest.mark.parametrize(
    ("spec", "inputs", "part"),
    [
        pytest.param(SPEC, INPUTS, "patch", id="same"),
        pytest.param({**SPEC, "stage": "prod", "gates": {"a": "> 1"}}, INPUTS, "patch", id="stage"),
        pytest.param({**SPEC, "estimator": {"n_estimators": 2}}, INPUTS, "minor", id="model-spec"),
        pytest.param(SPEC, {"dataset.iris": "h2"}, "major", id="dataset-content"),
        pytest.param({**SPEC, "dataset": "wine"}, {"dataset.wine": "h1"}, "major", id="dataset"),
    ],
)
def test_bump_part(spec, inputs, part):
    # The dataset changing is major, the model spec minor, anything else (a rebuild) patch.
    artifact = Artifact("0" * 32 + ".dir", (("model.pkl", "1" * 32),), 10)
    reference = Record(Address.parse("model.m"), fp("a"), artifact, SPEC, INPUTS)
    assert bump_part(reference, spec, inputs) == part
    assert bump_part(None, spec, inputs) == "patch"
