"""`mlcode ci github`: the GitHub Actions workflow of DESIGN 7, as text. Pure.

    pull_request  -> job `preview`: contents read + pull-requests write, no secrets;
                     checkout with full history and tags, credentials not persisted;
                     `mlcode apply --preview --format markdown` -> one sticky comment
                     (same-repository PRs) and the full text in the job summary
    push (branch) -> job `apply`: a protected environment, contents write, one at a
                     time (concurrency group); `mlcode apply --auto-approve --git-push`

Both jobs install exactly the mlcode that wrote the file (`install_command`: pinned to
its version or its commit; never the index's unrelated `mlcode`), plus the project's
own dependency file. Actions are pinned by commit SHA; no `workflow_run`, no
`pull_request_target`. Values
from the event never reach a shell through `${{ }}`: they go through `env:`.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from mlcode.distribution import DISTRIBUTION, Installed
from mlcode.errors import MlcodeError

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2"
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0"
CACHE = "actions/cache@1bd1e32a3bdc45362d1e726936510720a7c30a57  # v4.2.0"
INSTALL_HINT = (
    'pass the install step yourself: mlcode ci github --install "python -m pip install '
    f'{DISTRIBUTION}==VERSION -r requirements.txt" (anything pip can install on a runner)'
)
WORKFLOW_PATH = ".github/workflows/mlcode.yml"


def install_command(found: Installed | None, project_files: Sequence[str] = ()) -> str:
    """The workflow's install step: exactly the mlcode the user runs, plus the project's
    own dependencies, in one pip call (one resolution).

    `found` is the installed distribution (PEP 610 `direct_url` None = from an index:
    pinned to its version; a VCS URL with a commit: that commit; a remote archive: that
    URL with its hash). `project_files` are the dependency files the repository holds at
    its root (`requirements.txt`, `pyproject.toml`). Raises MlcodeError, asking for
    `--install`, where the source cannot be reproduced on a runner: not installed, an
    editable or local checkout, a local file, a VCS install without a commit."""
    if found is None:
        raise MlcodeError("mlcode is not installed as a distribution", INSTALL_HINT)
    extras = f"[{','.join(found.extras)}]" if found.extras else ""
    name = DISTRIBUTION
    direct = found.direct_url
    if direct is None:
        if found.name.lower().replace("_", "-") != DISTRIBUTION:
            raise MlcodeError(
                f"mlcode is installed as {found.name!r}, a name that on the package index "
                f"belongs to another project; the distribution is {DISTRIBUTION!r}",
                INSTALL_HINT,
            )
        requirement = f"{name}{extras}=={found.version}"
    else:
        requirement = f"{name}{extras} @ {_direct_reference(direct)}"
    parts = ["python -m pip install", f'"{requirement}"']
    if "requirements.txt" in project_files:
        parts.append("-r requirements.txt")
    if "pyproject.toml" in project_files:
        parts.append(".")
    return " ".join(parts)


def _direct_reference(direct: dict) -> str:
    """A PEP 508 URL for a PEP 610 record, or MlcodeError when a runner cannot fetch it."""
    url = str(direct.get("url", ""))
    where = urlsplit(url)
    if where.scheme not in ("http", "https", "ssh", "git") or not where.hostname:
        what = "an editable checkout" if direct.get("dir_info", {}).get("editable") else url
        raise MlcodeError(
            f"mlcode was installed from {what} ({url}), which a CI runner cannot install",
            INSTALL_HINT,
        )
    if where.password:
        raise MlcodeError(
            "mlcode was installed from a URL carrying credentials; they must not go into "
            "the workflow",
            INSTALL_HINT,
        )
    subdirectory = direct.get("subdirectory")
    vcs = direct.get("vcs_info")
    if vcs is not None:
        commit = vcs.get("commit_id")
        if not commit:
            raise MlcodeError(
                f"mlcode was installed from {url} without a recorded commit", INSTALL_HINT
            )
        reference = f"{vcs.get('vcs', 'git')}+{url}@{commit}"
        fragments = []
    elif "archive_info" in direct:
        archive = direct["archive_info"]
        hashes = archive.get("hashes") or {}
        digest = archive.get("hash") or (f"sha256={hashes['sha256']}" if "sha256" in hashes else "")
        reference, fragments = url, [digest] if digest else []
    else:
        raise MlcodeError(
            f"mlcode was installed from {url}, which a CI runner cannot install", INSTALL_HINT
        )
    if subdirectory:
        fragments.append(f"subdirectory={subdirectory}")
    return reference + ("#" + "&".join(fragments) if fragments else "")


def _setup_steps(install: str) -> str:
    """Checkout (full history and tags, no persisted credentials), Python, the DVC
    cache, and mlcode: the first steps of both jobs."""
    install = "\n".join(f"          {line}" for line in install.splitlines())
    return f"""\
      - uses: {CHECKOUT}
        with:
          fetch-depth: 0
          fetch-tags: true
          persist-credentials: false
      - uses: {SETUP_PYTHON}
        with:
          python-version: "3.11"
      - uses: {CACHE}
        with:
          path: .dvc/cache
          key: dvc-cache-${{{{ hashFiles('artifacts/**/*.dvc') }}}}
          restore-keys: dvc-cache-
      - name: Install mlcode
        run: |
{install}
"""


def github_workflow(branch: str, install: str) -> str:
    """The workflow file's text for a project whose registry branch is `branch`."""
    setup = _setup_steps(install)
    return f"""\
# Written by `mlcode ci github`. Pull requests get the plan and the candidates' metrics
# as one comment; a push to {branch} applies it: trains, records, registers, pushes.
name: mlcode

on:
  pull_request:
  push:
    branches: [{branch}]

permissions: {{}}

jobs:
  preview:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
{setup}      - name: Preview
        run: |
          mlcode apply --preview --format markdown \\
            --summary-file "$GITHUB_STEP_SUMMARY" > "$RUNNER_TEMP/mlcode-comment.md"
      - name: Comment on the pull request
        if: github.event.pull_request.head.repo.full_name == github.repository
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          PR_NUMBER: ${{{{ github.event.pull_request.number }}}}
        run: |
          gh pr comment "$PR_NUMBER" --edit-last --body-file "$RUNNER_TEMP/mlcode-comment.md" \\
            || gh pr comment "$PR_NUMBER" --body-file "$RUNNER_TEMP/mlcode-comment.md"

  apply:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    environment: mlcode-{branch}
    concurrency:
      group: mlcode-apply-{branch}
      cancel-in-progress: false
    permissions:
      contents: write
    steps:
{setup}      - name: Apply
        env:
          GH_TOKEN: ${{{{ github.token }}}}
        run: |
          if [ -n "${{GH_TOKEN:-}}" ]; then
            auth=$(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\\n')
            export GIT_CONFIG_COUNT=1
            export GIT_CONFIG_KEY_0="http.$GITHUB_SERVER_URL/.extraheader"
            export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $auth"
          fi
          mlcode apply --auto-approve --git-push
"""
