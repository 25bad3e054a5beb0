"""Hostile specs, property-tested: each is refused with a clear error (a SpecError naming
the file), and nothing is written outside the repository.

Each property runs 500 examples against one real repository (Git + DVC), through the
same `api.validate` the CLI uses. No example is timed (`deadline=None`: a busy machine
must not fail them); a hang is caught by pytest-timeout's per-test limit (300 s in
pyproject.toml, over ten times what 500 examples take here), and the bombs are refused
by the limits they cross, which the assertions name.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcode import api
from mlcode.config.safeyaml import MAX_ALIASES, MAX_BYTES, MAX_NODES
from mlcode.errors import SpecError

EXAMPLES = int(os.environ.get("MLCODE_HYPOTHESIS_EXAMPLES", "500"))
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,  # behaviour, not speed: a hang is left to the per-test timeout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
IRIS = "loader: {_target_: sklearn.datasets.load_iris, as_frame: true}\ntarget: target\n"
MODEL = "dataset: iris\nmetrics: [accuracy]\nestimator: {_target_: sklearn.tree.DecisionTreeClassifier}\n"


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory):
    """A committed project, plus the snapshot of everything around it (which must not
    change) and a file outside it (which must never be read into a spec)."""
    base = tmp_path_factory.mktemp("hostile")
    root = base / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    from dvc.repo import Repo

    Repo.init(str(root)).close()
    (root / "conf/datasets").mkdir(parents=True)
    (root / "conf/models").mkdir(parents=True)
    (root / "conf/datasets/iris.yaml").write_text(IRIS)
    (root / "data").mkdir()
    (root / "data/ok.csv").write_text("a,target\n1,0\n")
    (base / "outside.txt").write_text("TOP-SECRET-OUTSIDE\n")
    (root / "data/escape").symlink_to(base / "outside.txt")
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", *ident, "commit", "-qm", "base"], cwd=root, check=True)
    return root, base


def _around(base: Path, root: Path) -> set[str]:
    """Every path under `base` outside the repository, with its size and mtime."""
    out = set()
    for folder, dirs, files in os.walk(base):
        if Path(folder) == base:
            dirs[:] = [d for d in dirs if d != root.name]
        for name in files:
            st_ = os.stat(os.path.join(folder, name))
            out.add(f"{folder}/{name}:{st_.st_size}:{st_.st_mtime_ns}")
    return out


def _refused(hostile_repo, rel: str, text: str, must_mention: tuple[str, ...] = ()) -> str:
    """Write `text` at `rel`, validate: a SpecError naming `rel`; nothing else changes."""
    root, base = hostile_repo
    before = _around(base, root)
    path = root / rel
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        api.validate(root)
    except SpecError as exc:
        message = exc.message
    else:
        message = ""
    finally:
        path.unlink()
    assert message, f"accepted:\n{text[:500]}"
    assert rel in message, message
    for word in must_mention:
        assert word in message, message
    assert "TOP-SECRET-OUTSIDE" not in message
    assert _around(base, root) == before, "something was written outside the repository"
    return message


@HOSTILE
@given(st.text(max_size=400))
def test_random_text_is_refused_or_valid_never_a_crash(hostile_repo, text):
    # Arbitrary text as a model spec: either a valid spec or a SpecError naming the file,
    # never another exception, a hang, or a write outside the repository.
    root, base = hostile_repo
    before = _around(base, root)
    path = root / "conf/models/random.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        api.validate(root)
    except SpecError as exc:
        assert "conf/models/random.yaml" in exc.message
    finally:
        path.unlink()
    assert _around(base, root) == before


NAMES = st.from_regex(r"\A[a-z][a-z0-9_]{0,11}\Z")


@HOSTILE
@given(
    st.sampled_from(["alias", "depth", "size"]),
    st.integers(min_value=2, max_value=12),
    st.integers(min_value=4, max_value=12),
    NAMES,
)
def test_bombs_are_refused_before_expansion(hostile_repo, kind, width, levels, key):
    # Alias bombs (any width and depth), deep nesting and oversized files are refused
    # before anything expands them, naming the limit they cross.
    if kind == "alias":
        width = max(width, 6)  # width**levels must exceed the node limit
        lines = [f"{key}0: &{key}0 [" + ", ".join(["x"] * width) + "]"]
        lines += [
            f"{key}{i}: &{key}{i} [" + ", ".join([f"*{key}{i - 1}"] * width) + "]"
            for i in range(1, levels)
        ]
        text = "\n".join(lines) + "\n" + MODEL
    elif kind == "depth":
        text = MODEL + f"{key}: " + "[" * (20 * levels) + "]" * (20 * levels) + "\n"
    else:
        text = MODEL + f"{key}: " + "x" * (MAX_BYTES + 1000 * width) + "\n"
    limit = {"alias": "aliases", "depth": "nested", "size": "larger"}[kind]
    # (a small alias "bomb" crosses no limit; it is refused for its unknown keys)
    crosses = kind != "alias" or width**levels > MAX_NODES or width * (levels - 1) > MAX_ALIASES
    _refused(hostile_repo, "conf/models/bomb.yaml", text, (limit,) if crosses else ())


ESCAPES = st.sampled_from(["/", "../", "../../", "data/../../", "data/escape/", "/etc/"])
SEGMENTS = st.lists(st.from_regex(r"\A[A-Za-z0-9_-][A-Za-z0-9_.-]{0,11}\Z"), max_size=4)
TRAVERSALS = st.one_of(
    st.sampled_from(["../outside.txt", "/etc/passwd", "data/escape", "data/\x00nul"]),
    st.builds(lambda head, parts: head + "/".join(parts), ESCAPES, SEGMENTS).filter(
        lambda p: p not in ("/", "/etc/", "data/escape/")
    ),
)


@HOSTILE
@given(TRAVERSALS, st.sampled_from(["source", "code"]))
def test_paths_out_of_the_repository_are_refused(hostile_repo, path, key):
    # `source:` and `code:` paths that leave the repository (.., absolute, a symlink out)
    # are refused, and the outside file is never read.
    if key == "source":
        text = f"source: {path!r}\ntarget: target\n".replace("'", '"')
        rel = "conf/datasets/trav.yaml"
    else:
        text = MODEL + f"code: [{path!r}]\n".replace("'", '"')
        rel = "conf/models/trav.yaml"
    _refused(hostile_repo, rel, text.replace("\x00", "\\0"), (key,))


TARGETS = st.one_of(
    st.sampled_from(
        [
            "os.system",
            "shutil.rmtree",
            "shutil.copyfile",
            "builtins.eval",
            "builtins.exec",
            "subprocess.run",
            "importlib.import_module",
            "pickle.loads",
            "sklearn",
            "eval",
            "sklearnx.tree.X",
            "pipelinesx.evil",
            "__import__",
        ]
    ),
    st.from_regex(r"\A[a-z_]{1,8}(\.[a-z_]{1,8}){0,3}\Z").filter(
        lambda t: not t.startswith(("sklearn.", "pipelines."))
    ),
)


@HOSTILE
@given(TARGETS, st.sampled_from(["estimator", "train"]))
def test_targets_outside_the_allowlist_are_refused(hostile_repo, target, key):
    # Any `_target_` outside allowed_targets is refused, named, without being imported.
    text = "dataset: iris\nmetrics: [accuracy]\n"
    if key == "estimator":
        text += f"estimator: {{_target_: '{target}'}}\n"
    else:
        text += f"estimator: {{_target_: sklearn.tree.DecisionTreeClassifier}}\ntrain: {{_target_: '{target}'}}\n"
    _refused(hostile_repo, "conf/models/target.yaml", text, (f"{key}._target_",))


INTERPOLATIONS = st.one_of(
    st.sampled_from(
        [
            "${oc.env:HOME}",
            "${oc.env:MLCODE_HOSTILE_SECRET}",
            "${oc.decode:'${oc.env:HOME}'}",
            "${hydra:runtime.cwd}",
            "${now:%Y}",
            "${file:/etc/passwd}",
            "${oc.create:{a: 1}}",
            "${oc.select:nothing,/etc/passwd}",
            "${..}",
            "${estimator}",
        ]
    ),
    st.builds("${{oc.env:{}}}".format, st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,15}\Z")),
    st.builds("${{{}:{}}}".format, NAMES, st.from_regex(r"\A[/A-Za-z0-9_.]{0,20}\Z")),
)


@HOSTILE
@given(INTERPOLATIONS, st.sampled_from(["description", "estimator.max_depth", "api_token"]))
def test_interpolations_never_read_files_or_leak_the_environment(
    hostile_repo, monkeypatch, expr, key
):
    # Interpolations that would read the environment or files are either refused with a
    # SpecError or kept unresolved and redacted: the value never reaches a resolved spec.
    monkeypatch.setenv("MLCODE_HOSTILE_SECRET", "hostile-secret-value")
    root, base = hostile_repo
    before = _around(base, root)
    if key == "estimator.max_depth":
        body = (
            f'estimator:\n  _target_: sklearn.tree.DecisionTreeClassifier\n  max_depth: "{expr}"\n'
        )
    elif key == "api_token":
        body = (
            f'estimator:\n  _target_: sklearn.tree.DecisionTreeClassifier\n  api_token: "{expr}"\n'
        )
    else:
        body = "estimator: {_target_: sklearn.tree.DecisionTreeClassifier}\n"
        body += f'description: "{expr}"\n'
    path = root / "conf/models/interp.yaml"
    path.write_text("dataset: iris\nmetrics: [accuracy]\n" + body)
    try:
        project = api.validate(root)
    except SpecError as exc:
        assert "conf/models/interp.yaml" in exc.message
        text = exc.message
    else:
        from mlcode.config.types import redact

        text = repr(
            redact(project.resources[next(a for a in project.resources if a.name == "interp")].spec)
        )
    finally:
        path.unlink()
    assert "hostile-secret-value" not in text
    assert str(Path.home()) not in text or "${oc.env:HOME}" not in expr
    assert "root:x:" not in text
    assert _around(base, root) == before


def test_the_property_runs_are_real(hostile_repo):
    # Guard: a valid spec written the same way is accepted (the properties above would
    # pass vacuously if every spec failed for an unrelated reason).
    root, _base = hostile_repo
    path = root / "conf/models/fine.yaml"
    path.write_text(textwrap.dedent(MODEL))
    try:
        project = api.validate(root)
    finally:
        path.unlink()
    assert any(a.name == "fine" for a in project.resources)
