"""How `mlcode plan` scales with the number of specs, beside `dvc status`.

Builds throw-away projects of N model specs (one dataset, two shared estimator groups),
applies them once for real (`mlcode apply --auto-approve`: every model is trained on
iris, stored through DVC, recorded and registered; about a minute at 2,000 specs
here), then times, as subprocesses:

  a) a no-op `mlcode plan` (checked with `--detailed-exitcode` = 0), and in the same
     loop, run for run in turn with it, `dvc status` on the equivalent DVC pipeline
     (checked to report "Data and pipelines are up to date."); see below,
  b) the first plan after an edit of `min_samples_split` in the shared group
     `conf/estimator/tree.yaml`, which no model overrides: the plan must show a rebuild
     of exactly the N/5 tree models (and, through the Python API on a separate fresh
     edit, how many specs Hydra had to re-compose; expected N/5),
  c) `mlcode plan --json` with one corrupted model artifact (expects one `repair`),
  d) `mlcode --help`,

and reports which heavy modules (dvc, git, sklearn, hydra) a no-op plan imports.

The equivalent DVC pipeline is a second Git + DVC repository beside the project, holding
a copy of its `conf/` and of the artifacts mlcode built, and a `dvc.yaml` of one stage
per resource with the dependencies mlcode's fingerprint reads from the repository:

    dataset_iris:  deps [conf/datasets/iris.yaml]                     outs [artifacts/datasets/iris]
    model_m0001:   deps [artifacts/datasets/iris, conf/models/m0001.yaml,
                         conf/estimator/lr.yaml]                        outs [artifacts/models/m0001]

Its `dvc.lock` is written by `dvc commit --force` (DVC hashes every dependency and
output, stores the outputs in its cache and records the stages, as `dvc repro` does
after running them) instead of `dvc repro`, whose per-stage overhead makes a first
reproduction of a few hundred stages take many minutes; the stage commands
(`python build.py ...`) are therefore placeholders that never run. `dvc status` only
compares hashes, so it does the same work either way.

Timing: each figure is the median of --repeats runs after one warm-up run (which also
lets the caches in `.mlcode/` settle); wall time of the whole subprocess, and its CPU
time (user + system, from the operating system's accounting of the finished child),
which the other load of a shared machine disturbs less. The ratio is the median over
the runs of (dvc status time / mlcode no-op plan time), run i against run i. Children
run with bytecode caches allowed (PYTHONDONTWRITEBYTECODE is dropped), as an installed
package has them.

    python benchmarks/plan_scaling.py --sizes 10,100 --repeats 5 --no-dvc
    python benchmarks/plan_scaling.py --sizes 100,500,2000 --repeats 7
    python benchmarks/plan_scaling.py --sizes 500 --repeats 3 --workdir /tmp/bench --keep

Targets: no-op plan < 0.5 s at 100 specs, < 1.0 s at 500 and < 0.5 s at 2,000; at 100
specs at least 10x faster than `dvc status`; a corrupt artifact found within the no-op
budget at 100 and 500; `mlcode --help` < 0.3 s; no DVC/GitPython/scikit-learn import in
a no-op plan.

Figures as of 2026-11-29 (2 cores, Python 3.11, DVC 3.67.1; `--repeats 7`, medians of
wall seconds; the machine is shared, so compare within one run): mlcode at 6e493c5
("before") and at dde8be9 ("after"), each run with its own `dvc status` beside it.

              no-op mlcode plan      dvc status          dvc status / mlcode plan
    specs     before     after     before    after         before     after
      100      0.201     0.091      0.921    0.928           4.6x     10.3x
      500      0.315     0.152      3.220    3.162          10.1x     20.3x
    2,000      0.752     0.418     12.173   12.866          16.3x     30.6x

Before, GC took 0.05 s of the in-process run at 2,000 specs and 0.18 s at 4,000 (the rest
grew linearly): the super-linear part, see mlcode/collector.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HEAVY = ("dvc", "git", "sklearn", "hydra")
NOOP_TARGET = {100: 0.5, 500: 1.0, 2000: 0.5}
CORRUPT_TARGET = {100: 0.5, 500: 1.0}  # finding a corrupt artifact: the no-op budget
RATIO_TARGET = {100: 10.0}  # dvc status / mlcode no-op plan
DVC_UP_TO_DATE = "Data and pipelines are up to date."
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
    noop_cpu: list[float] = field(default_factory=list)
    dvc_setup_s: float | None = None
    dvc: list[float] = field(default_factory=list)
    dvc_cpu: list[float] = field(default_factory=list)
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
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
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
    seconds, _cpu, proc = timed_cpu(cmd, cwd, env)
    return seconds, proc


def timed_cpu(cmd: list[str], cwd: Path, env: dict[str, str]):
    """(wall seconds, CPU seconds, process): CPU is user + system of the child and of
    every process it waited for, as the operating system accounted them."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


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


def setup_dvc(project: Path, root: Path, env: dict[str, str]) -> None:
    """The DVC pipeline equivalent to the applied `project` (see the module docstring):
    a copy of conf/ and of the built artifacts, one stage per resource, recorded with
    `dvc commit --force` so that `dvc status` has nothing to report."""
    root.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], root, env)
    run(["dvc", "init", "-q"], root, env)
    shutil.copytree(project / "conf", root / "conf")
    for kind in ("datasets", "models"):
        for built in sorted((project / "artifacts" / kind).iterdir()):
            if built.is_dir():
                shutil.copytree(built, root / "artifacts" / kind / built.name)
    lines = [
        "stages:",
        "  dataset_iris:",
        "    cmd: python build.py dataset iris",
        "    deps: [conf/datasets/iris.yaml]",
        "    outs: [artifacts/datasets/iris]",
    ]
    for spec in sorted((root / "conf" / "models").glob("*.yaml")):
        name = spec.stem
        group = "tree" if "estimator@estimator: tree" in spec.read_text() else "lr"
        deps = f"artifacts/datasets/iris, conf/models/{name}.yaml, conf/estimator/{group}.yaml"
        lines += [
            f"  model_{name}:",
            f"    cmd: python build.py model {name}",
            f"    deps: [{deps}]",
            f"    outs: [artifacts/models/{name}]",
        ]
    (root / "dvc.yaml").write_text("\n".join(lines) + "\n")
    run(["dvc", "commit", "--force", "--quiet"], root, env)
    run(["git", "add", "-A"], root, env)
    run(["git", "commit", "-q", "-m", "equivalent DVC pipeline"], root, env)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def ratio(slow: list[float], fast: list[float]) -> float:
    """Median over runs i of slow[i] / fast[i] (runs made in turn, so paired)."""
    return median([s / f for s, f in zip(slow, fast, strict=False) if f > 0])


def bench_noop(
    root: Path, env: dict[str, str], repeats: int, res: Result, dvc_root: Path | None
) -> None:
    # One warm-up each: the resolution/state caches reflect the applied tree, and DVC's
    # state database knows the files it hashed at commit.
    run(["mlcode", "plan"], root, env, check=False)
    if dvc_root is not None:
        run(["dvc", "status"], dvc_root, env, check=False)
    for _ in range(repeats):
        t, cpu, proc = timed_cpu(["mlcode", "plan", "--detailed-exitcode"], root, env)
        if proc.returncode != 0:
            res.problems.append(
                f"no-op plan exit {proc.returncode} (expected 0): {proc.stdout[-400:]}"
                f"{proc.stderr[-400:]}"
            )
        res.noop.append(t)
        res.noop_cpu.append(cpu)
        if dvc_root is None:
            continue
        t, cpu, proc = timed_cpu(["dvc", "status"], dvc_root, env)
        if proc.returncode != 0 or DVC_UP_TO_DATE not in proc.stdout:
            res.problems.append(
                f"dvc status exit {proc.returncode}, not up to date: {proc.stdout[-400:]}"
                f"{proc.stderr[-400:]}"
            )
        res.dvc.append(t)
        res.dvc_cpu.append(cpu)


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


def bench_size(base: Path, n: int, repeats: int, jobs: int, dvc: bool) -> Result:
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
    dvc_root = None
    if dvc:
        dvc_root = base / f"dvc-{n}"
        if dvc_root.exists():
            shutil.rmtree(dvc_root)
        print(f"[size={n}] recording the equivalent DVC pipeline ...", flush=True)
        start = time.perf_counter()
        setup_dvc(root, dvc_root, env)
        res.dvc_setup_s = time.perf_counter() - start
    bench_noop(root, env, repeats, res, dvc_root)
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
        f"  noop_plan={median(res.noop):.3f}s (cpu {median(res.noop_cpu):.3f}s)"
        f"  group_edit_plan={median(res.group_edit):.2f}s (recomposed {recomposed}/{res.size},"
        f" expected {res.tree_models})"
        f"  corrupt_plan={median(res.corrupt):.2f}s"
        f" ({'not run' if not res.corrupt else 'repair found' if res.repair_ok else 'REPAIR NOT FOUND'})"
        f"  help={median(res.help):.2f}s"
        f"  heavy_imports={','.join(res.heavy) or 'none'}"
    )
    print(line)
    if res.dvc:
        print(
            f"    beside dvc status: noop_plan={median(res.noop):.3f}s"
            f" dvc_status={median(res.dvc):.3f}s ratio={ratio(res.dvc, res.noop):.1f}x"
            f"  (cpu: {median(res.noop_cpu):.3f}s vs {median(res.dvc_cpu):.3f}s,"
            f" ratio={ratio(res.dvc_cpu, res.noop_cpu):.1f}x)"
            f"  dvc commit of the pipeline took {res.dvc_setup_s:.1f}s"
        )
    budget = NOOP_TARGET.get(res.size)
    corrupt_budget = CORRUPT_TARGET.get(res.size)
    want = RATIO_TARGET.get(res.size)
    ratio_ok = None if want is None or not res.dvc else ratio(res.dvc, res.noop) >= want
    noop_ok = None if budget is None or not res.noop else median(res.noop) < budget
    corrupt_ok = (
        None
        if corrupt_budget is None or not res.corrupt
        else median(res.corrupt) < corrupt_budget and res.repair_ok
    )
    recompose_ok = None if res.recomposed is None else res.recomposed == res.tree_models
    help_ok = median(res.help) < HELP_TARGET if res.help else None
    imports_ok = not ({"dvc", "git", "sklearn"} & set(res.heavy)) if res.apply_ok else None
    print(
        f"    targets: noop<{budget if budget else '-'}s {verdict(noop_ok)}"
        f"  dvc/noop>={want if want else '-'}x {verdict(ratio_ok)}"
        f"  corrupt<{corrupt_budget if corrupt_budget else '-'}s {verdict(corrupt_ok)}"
        f"  help<{HELP_TARGET}s {verdict(help_ok)}"
        f"  no dvc/git/sklearn {verdict(imports_ok)}"
        f"  apply<{APPLY_SLOW / 60:.0f}min {verdict(res.apply_s < APPLY_SLOW if res.apply_ok else None)}"
        f"  recompose=={res.tree_models} {verdict(recompose_ok)}"
    )
    detail = {
        "noop": res.noop,
        "noop_cpu": res.noop_cpu,
        "dvc_status": res.dvc,
        "dvc_status_cpu": res.dvc_cpu,
        "group_edit": res.group_edit,
        "corrupt": res.corrupt,
        "help": res.help,
    }
    print(
        "    samples: "
        + "  ".join(f"{k}=[{', '.join(f'{x:.3f}' for x in v)}]" for k, v in detail.items() if v)
    )
    if res.corrupt_detail:
        print(f"    corrupt: {res.corrupt_detail}")
    for problem in res.problems:
        print(f"    problem: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,500,2000", help="comma-separated spec counts")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the projects afterwards")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs for the initial apply")
    parser.add_argument(
        "--no-dvc", action="store_true", help="skip the equivalent DVC pipeline and dvc status"
    )
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
            results.append(bench_size(base, n, args.repeats, args.jobs, not args.no_dvc))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print(f"medians over {args.repeats} runs (wall time of the subprocess; cpu where shown)")
    for res in results:
        report(res)
    if args.keep:
        print(f"projects kept in {base}")
    return 1 if any(res.problems or not res.repair_ok for res in results) else 0


if __name__ == "__main__":
    sys.exit(main())
