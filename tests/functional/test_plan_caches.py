"""What a no-op plan keeps in `.mlcode/` to skip work follows the repository: the
registry branch's allowlist follows main's commits, packed or not."""

from __future__ import annotations

import os

OLD = 1_600_000_000  # a file time long past: the cache may vouch for the ref's stat
COPY = "dataset: iris\nmetrics: [accuracy]\nestimator: {_target_: shutil.copyfile}\n"
REFUSED = "'shutil.copyfile' is not allowed (allowed_targets on main: sklearn)"


def _settle(project, minutes: int) -> None:
    """Date main's ref files in the past (`minutes` after OLD, one time per commit, as
    real commits have), as they are in a repository that was not just written."""
    when = OLD + 60 * minutes
    for rel in ("refs/heads/main", "packed-refs"):
        path = project.root / ".git" / rel
        if path.exists():
            os.utime(path, (when, when))


def test_trusted_allowlist_follows_main(project):
    # The allowlist read from main's last commit is kept while main's ref does not move,
    # and read again when a commit on main widens or narrows it.
    project.gen(
        {
            "conf/mlcode.yaml": "allowed_targets: [sklearn]\n",
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/models/copy.yaml": COPY,
        }
    )
    project.commit("main refuses shutil")
    _settle(project, 1)
    done = project.run("plan")
    assert done.returncode == 1 and REFUSED in done.stderr, project.output(done)
    assert (project.root / ".mlcode" / "trusted.json").exists()
    done = project.run("plan")
    assert done.returncode == 1 and REFUSED in done.stderr, project.output(done)

    project.gen({"conf/mlcode.yaml": "allowed_targets: [sklearn, shutil]\n"})
    project.commit("main allows shutil")
    _settle(project, 2)
    for _run in ("fresh", "cached"):
        done = project.run("plan")
        assert done.returncode == 0, project.output(done)

    project.git("pack-refs", "--all")  # the ref moves into packed-refs
    project.gen({"conf/mlcode.yaml": "allowed_targets: [sklearn]\n"})
    project.commit("main refuses shutil again")
    project.git("pack-refs", "--all")
    _settle(project, 3)
    for _run in ("fresh", "cached"):
        done = project.run("plan")
        assert done.returncode == 1 and REFUSED in done.stderr, project.output(done)
