"""How `mlcode registry` scales with the number of registry tags, beside `gto show`.

Generates a throw-away Git repository whose tags look like a busy registry written by
mlcode: M models, each with versions registered on their own commits (the message
carrying the fingerprint) and stages moved between them (`NAME@vX.Y.Z`, `NAME#STAGE#N`,
`NAME#STAGE!#N`, annotated, increasing tagger dates).
Then times, as subprocesses (median of --repeats runs):

  a) `mlcode registry` (terminal view of every model), warm and without the tag cache
     (`.mlcode/registry.json`, keyed by the stat of the tag refs),
  b) `mlcode registry --json`,
  c) `gto show --json` (fewer runs: it is slow),

and checks that mlcode and GTO agree on every model's stages.

    python benchmarks/registry_scaling.py --tags 1500 --repeats 7

Target: `mlcode registry` median under 0.3 s at 1,500 tags.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = {1500: 0.3}
BIN = Path(sys.executable).parent


def git(root: Path, *args: str, input: str | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, input=input, capture_output=True, text=True, check=True
    )
    return done.stdout


def generate(root: Path, tags: int) -> int:
    """A repo with about `tags` registry tags: per model 5 versions, each registered and
    promoted to staging then production (the previous holders unassigned)."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "bench")
    git(root, "config", "user.email", "bench@example.com")
    tree = git(root, "write-tree").strip()
    per_model = 5 * 5 - 2  # register + assign/unassign staging + assign/unassign production
    models = max(1, tags // per_model)
    parent: list[str] = []
    clock = 1_700_000_000
    lines = ["start"]
    made = 0
    for m in range(models):
        name = f"model-{m:04d}"
        counter = 0
        holders: dict[str, str] = {}
        for v in range(1, 6):
            version = f"v1.{v - 1}.0"
            commit = git(root, "commit-tree", tree, *parent, "-m", f"{name} {version}").strip()
            parent = ["-p", commit]
            events = [
                (f"{name}@{version}", commit, f"Registering artifact {name} version {version}")
            ]
            for stage in ("staging", "production"):
                if stage in holders:
                    counter += 1
                    old_commit = holders[stage]
                    events.append((f"{name}#{stage}!#{counter}", old_commit, f"Unassign {stage}"))
                counter += 1
                events.append((f"{name}#{stage}#{counter}", commit, f"Assign {stage}"))
                holders[stage] = commit
            for tag, target, message in events:
                clock += 1
                body = (
                    f"object {target}\ntype commit\ntag {tag}\n"
                    f"tagger bench <bench@example.com> {clock} +0000\n\n{message}\n"
                )
                obj = git(root, "mktag", input=body).strip()
                lines.append(f"create refs/tags/{tag} {obj}")
                made += 1
    lines += ["prepare", "commit"]
    git(root, "update-ref", "--stdin", input="\n".join(lines) + "\n")
    git(root, "update-ref", "refs/heads/main", parent[1])
    return made


def timed(cmd: list[str], root: Path, repeats: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        out = done.stdout
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", default="1500", help="comma-separated tag counts")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--gto-repeats", type=int, default=3)
    args = parser.parse_args()
    ok = True
    for size in (int(s) for s in args.tags.split(",")):
        root = Path(tempfile.mkdtemp(prefix="mlcode-registry-bench-"))
        try:
            start = time.perf_counter()
            made = generate(root, size)
            print(f"{made} tags generated in {time.perf_counter() - start:.1f}s")
            cold = []
            for _ in range(3):
                (root / ".mlcode" / "registry.json").unlink(missing_ok=True)
                cold.append(timed([str(BIN / "mlcode"), "registry"], root, 1)[0])
            text, _ = timed([str(BIN / "mlcode"), "registry"], root, args.repeats)
            as_json, out = timed([str(BIN / "mlcode"), "registry", "--json"], root, args.repeats)
            gto, gto_out = timed([str(BIN / "gto"), "show", "--json"], root, args.gto_repeats)
            ours = {m["name"]: m["stages"] for m in json.loads(out)}
            theirs = {name: m["stage"] for name, m in json.loads(gto_out).items()}
            agree = ours == theirs
            target = TARGET.get(size)
            verdict = "" if target is None else (" ok" if text < target else " SLOW")
            print(
                f"tags={made}: mlcode registry {text:.3f}s{verdict} (target {target}; "
                f"{statistics.median(cold):.3f}s without its tag cache), "
                f"--json {as_json:.3f}s, gto show --json {gto:.3f}s, "
                f"stages agree with gto: {agree}"
            )
            ok = ok and agree and (target is None or text < target)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
