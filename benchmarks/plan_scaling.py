"""How `mlcode plan` scales with the number of specs.

Builds throw-away projects of N model specs (one dataset, two shared estimator groups),
applies them once, then times, as subprocesses:

  a) a no-op `mlcode plan` (checked with `--detailed-exitcode` = 0),
  b) the first plan after an edit of `min_samples_split` in the shared group
     `conf/estimator/tree.yaml`, which no model overrides: the plan must show a rebuild
     of exactly the N/5 tree models (and, through the Python API on a separate fresh
     edit, how many specs Hydra had to re-compose; expected N/5),
  c) `mlcode plan --json` with one corrupted model artifact (expects one `repair`),
  d) `mlcode --help`,

and reports which heavy modules (dvc, git, sklearn, hydra) a no-op plan imports.

    python benchmarks/plan_scaling.py --sizes 10,100 --repeats 5
    python benchmarks/plan_scaling.py --sizes 500 --repeats 3 --workdir /tmp/bench --keep

Targets: no-op plan < 0.5 s at 100 specs and < 1.0 s at 500, a corrupt artifact found
within the same budget, `mlcode --help` < 0.3 s, no DVC/GitPython/scikit-learn import in a
no-op plan.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HEAVY = ("dvc", "git", "sklearn", "hydra")
NOOP_TARGET = {100: 0.5, 500: 1.0}
HELP_TARGET = 0.3
APPLY_SLOW = 6 * 60.0

DATASET = """\
loader:
  _target_: sklearn.datasets.load_iris
  as_frame: true
target: target
split: {test_size: 0.25, seed: 0}
"""
LR = """\
_target_: sklearn.linear_model.LogisticRegression
max_iter: 200
C: 1.0
"""
TREE = """\
_target_: sklearn.tree.DecisionTreeClassifier
max_depth: 3
min_samples_split: {split}
"""
MODEL = """\
defaults:
  - /estimator@estimator: {group}
  - _self_
dataset: iris
estimator:
  {key}: {value}
metrics: [accuracy]
"""

# Runs the CLI in-process and writes the top-level names of the modules it imported.
IMPORT_PROBE = """\
import sys
out = sys.argv[1]
sys.argv = ["mlcode", "plan"]
code = 0
try:
    from mlcode.cli.main import main
    main()
except SystemExit as exc:
    code = exc.code
finally:
    names = sorted({m.split(".")[0] for m in list(sys.modules)})
    with open(out, "w") as fh:
        fh.write("\\n".join(names))
sys.exit(code if isinstance(code, int) else 1)
"""

COUNT_PROBE = """\
import sys
from mlcode import api
outcome = api.plan(start=sys.argv[1])
print(len(outcome.composed))
"""


@dataclass
class Result:
    size: int
    apply_s: float = 0.0
    apply_ok: bool = True
    noop: list[float] = field(default_factory=list)
    group_edit: list[float] = field(default_factory=list)
    recomposed: int | None = None
    tree_models: int = 0
    corrupt: list[float] = field(default_factory=list)
    repair_ok: bool = True
    corrupt_detail: str = ""
    help: list[float] = field(default_factory=list)
    heavy: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def env_for(base: Path) -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    site_cache = base / "dvc-site-cache"
    site_cache.mkdir(parents=True, exist_ok=True)
    env.update(
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(site_cache),
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        NO_COLOR="1",
    )
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], check: bool = True):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise SystemExit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def timed(cmd: list[str], cwd: Path, env: dict[str, str]):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def model_name(i: int) -> str:
    return f"m{i:04d}"


def is_tree(i: int) -> bool:
    return i % 5 == 0


def write_project(root: Path, n: int) -> None:
    conf = root / "conf"
    for sub in ("datasets", "estimator", "models"):
        (conf / sub).mkdir(parents=True, exist_ok=True)
    (conf / "datasets" / "iris.yaml").write_text(DATASET)
    (conf / "estimator" / "lr.yaml").write_text(LR)
    (conf / "estimator" / "tree.yaml").write_text(TREE.format(split=2))
    for i in range(1, n + 1):
        if is_tree(i):
            text = MODEL.format(group="tree", key="max_depth", value=2 + i % 4)
        else:
            text = MODEL.format(group="lr", key="C", value=f"{1.0 + i / 1000:.3f}")
        (conf / "models" / f"{model_name(i)}.yaml").write_text(text)


def setup(root: Path, n: int, env: dict[str, str]) -> None:
    root.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], root, env)
    run(["dvc", "init", "-q"], root, env)
    write_project(root, n)
    run(["git", "add", "-A"], root, env)
    run(["git", "commit", "-q", "-m", f"{n} model specs"], root, env)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def bench_noop(root: Path, env: dict[str, str], repeats: int, res: Result) -> None:
    # One warm-up so the resolution/state caches reflect the applied tree.
    run(["mlcode", "plan"], root, env, check=False)
    for _ in range(repeats):
        t, proc = timed(["mlcode", "plan", "--detailed-exitcode"], root, env)
        if proc.returncode != 0:
            res.problems.append(
                f"no-op plan exit {proc.returncode} (expected 0): {proc.stdout[-400:]}"
                f"{proc.stderr[-400:]}"
            )
        res.noop.append(t)


def bench_corrupt(root: Path, env: dict[str, str], repeats: int, res: Result) -> None:
    victim = model_name(1)
    target = root / "artifacts" / "models" / victim / "metrics.json"
    if not target.exists():
        res.problems.append(f"{target} missing; corrupt test skipped")
        res.repair_ok = False
        return
    original = target.read_bytes()
    try:
        for k in range(repeats):
            # Replace (not write through) so a link into the DVC cache is never damaged;
            # each repeat has different bytes and a new mtime.
            corrupted = original.replace(b"{", b"{" + b" " * (k + 1), 1)
            if corrupted == original:
                corrupted = original + b" " * (k + 1)
            tmp = target.with_suffix(".bench-tmp")
            tmp.write_bytes(corrupted)
            os.replace(tmp, target)
            t, proc = timed(["mlcode", "plan", "--json"], root, env)
            res.corrupt.append(t)
            try:
                doc = json.loads(proc.stdout)
                changes = [c for c in doc["changes"] if c["action"] != "noop"]
                summary = doc.get("summary", {})
            except (ValueError, KeyError) as exc:
                res.repair_ok = False
                res.corrupt_detail = f"unparsable --json output ({exc}): {proc.stderr[-300:]}"
                continue
            ok = (
                len(changes) == 1
                and changes[0]["action"] == "repair"
                and changes[0]["address"] == f"model.{victim}"
            )
            if not ok:
                res.repair_ok = False
                res.corrupt_detail = (
                    f"repeat {k}: summary {summary}, non-noop "
                    f"{[(c['address'], c['action']) for c in changes][:5]}"
                )
    finally:
        tmp = target.with_suffix(".bench-tmp")
        tmp.write_bytes(original)
        os.replace(tmp, target)
    proc = run(["mlcode", "plan", "--detailed-exitcode"], root, env, check=False)
    if proc.returncode != 0:
        res.problems.append(
            f"plan after restoring metrics.json exits {proc.returncode} (expected 0)"
        )


def set_tree_split(root: Path, split: int) -> None:
    path = root / "conf" / "estimator" / "tree.yaml"
    path.write_text(TREE.format(split=split))


def bench_group_edit(root: Path, env: dict[str, str], repeats: int, res: Result) -> None:
    # Every edit uses a value not seen before, so no content-keyed cache can answer it.
    split = 10
    try:
        # Count first, through the API (which also refreshes the caches), on its own edit.
        set_tree_split(root, split)
        proc = run([sys.executable, "-c", COUNT_PROBE, str(root)], root, env, check=False)
        if proc.returncode == 0:
            res.recomposed = int(proc.stdout.strip().splitlines()[-1])
        else:
            res.problems.append(f"api.plan failed: {proc.stderr[-400:]}")
        for _ in range(repeats):
            split += 1
            set_tree_split(root, split)
            t, proc = timed(["mlcode", "plan", "--detailed-exitcode"], root, env)
            # No model overrides min_samples_split: every tree model must be rebuilt.
            rebuilds = proc.stdout.count(" rebuild\n")
            if proc.returncode != 2 or rebuilds != res.tree_models:
                res.problems.append(
                    f"plan after group edit: exit {proc.returncode} (expected 2), {rebuilds}"
                    f" rebuilds (expected {res.tree_models}): {proc.stdout[-400:]}"
                )
            res.group_edit.append(t)
    finally:
        set_tree_split(root, 2)
        run(["mlcode", "plan"], root, env, check=False)


def bench_help(root: Path, env: dict[str, str], repeats: int, res: Result) -> None:
    for _ in range(repeats):
        t, proc = timed(["mlcode", "--help"], root, env)
        if proc.returncode != 0:
            res.problems.append(f"mlcode --help exit {proc.returncode}")
        res.help.append(t)


def heavy_imports(root: Path, env: dict[str, str], res: Result) -> None:
    out = root.parent / f"modules-{res.size}.txt"
    proc = run([sys.executable, "-c", IMPORT_PROBE, str(out)], root, env, check=False)
    if proc.returncode != 0:
        res.problems.append(f"import probe: plan exit {proc.returncode}: {proc.stderr[-300:]}")
    names = set(out.read_text().split()) if out.exists() else set()
    res.heavy = [m for m in HEAVY if m in names]


def bench_size(base: Path, n: int, repeats: int, jobs: int) -> Result:
    res = Result(size=n, tree_models=sum(1 for i in range(1, n + 1) if is_tree(i)))
    env = env_for(base)
    root = base / f"size-{n}"
    if root.exists():
        shutil.rmtree(root)
    setup(root, n, env)
    print(f"[size={n}] applying {n} models (--jobs {jobs}) ...", flush=True)
    t, proc = timed(["mlcode", "apply", "--auto-approve", "--jobs", str(jobs)], root, env)
    res.apply_s = t
    print(f"[size={n}] apply took {t:.1f}s (exit {proc.returncode})", flush=True)
    if proc.returncode != 0:
        res.apply_ok = False
        res.problems.append(
            f"apply exit {proc.returncode}: {proc.stdout[-600:]}{proc.stderr[-600:]}"
        )
        return res
    bench_noop(root, env, repeats, res)
    heavy_imports(root, env, res)
    bench_corrupt(root, env, repeats, res)
    bench_group_edit(root, env, repeats, res)
    bench_help(root, env, repeats, res)
    return res


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def report(res: Result) -> None:
    recomposed = "?" if res.recomposed is None else str(res.recomposed)
    line = (
        f"size={res.size:<4d} apply={res.apply_s:.1f}s"
        f"  noop_plan={median(res.noop):.2f}s"
        f"  group_edit_plan={median(res.group_edit):.2f}s (recomposed {recomposed}/{res.size},"
        f" expected {res.tree_models})"
        f"  corrupt_plan={median(res.corrupt):.2f}s"
        f" ({'not run' if not res.corrupt else 'repair found' if res.repair_ok else 'REPAIR NOT FOUND'})"
        f"  help={median(res.help):.2f}s"
        f"  heavy_imports={','.join(res.heavy) or 'none'}"
    )
    print(line)
    budget = NOOP_TARGET.get(res.size)
    noop_ok = None if budget is None or not res.noop else median(res.noop) < budget
    corrupt_ok = (
        None
        if budget is None or not res.corrupt
        else median(res.corrupt) < budget and res.repair_ok
    )
    recompose_ok = None if res.recomposed is None else res.recomposed == res.tree_models
    help_ok = median(res.help) < HELP_TARGET if res.help else None
    imports_ok = not ({"dvc", "git", "sklearn"} & set(res.heavy)) if res.apply_ok else None
    print(
        f"    targets: noop<{budget if budget else '-'}s {verdict(noop_ok)}"
        f"  corrupt<{budget if budget else '-'}s {verdict(corrupt_ok)}"
        f"  help<{HELP_TARGET}s {verdict(help_ok)}"
        f"  no dvc/git/sklearn {verdict(imports_ok)}"
        f"  apply<{APPLY_SLOW / 60:.0f}min {verdict(res.apply_s < APPLY_SLOW if res.apply_ok else None)}"
        f"  recompose=={res.tree_models} {verdict(recompose_ok)}"
    )
    detail = {
        "noop": res.noop,
        "group_edit": res.group_edit,
        "corrupt": res.corrupt,
        "help": res.help,
    }
    print(
        "    samples: "
        + "  ".join(f"{k}=[{', '.join(f'{x:.2f}' for x in v)}]" for k, v in detail.items())
    )
    if res.corrupt_detail:
        print(f"    corrupt: {res.corrupt_detail}")
    for problem in res.problems:
        print(f"    problem: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,500", help="comma-separated spec counts")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the projects afterwards")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs for the initial apply")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        base = Path(tempfile.mkdtemp(prefix="mlcode-bench-", dir=args.workdir))
    else:
        base = Path(tempfile.mkdtemp(prefix="mlcode-bench-"))
    print(f"workdir: {base}  python: {sys.executable}  repeats: {args.repeats}", flush=True)
    results = []
    try:
        for n in sizes:
            results.append(bench_size(base, n, args.repeats, args.jobs))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print(f"medians over {args.repeats} runs (wall time of the subprocess)")
    for res in results:
        report(res)
    if args.keep:
        print(f"projects kept in {base}")
    return 1 if any(res.problems or not res.repair_ok for res in results) else 0


if __name__ == "__main__":
    sys.exit(main())
