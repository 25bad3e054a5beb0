"""`mlcode ci github`: the GitHub Actions workflow of DESIGN 7, as text. Pure.

    pull_request  -> job `preview`: contents read + pull-requests write, no secrets;
                     checkout with full history and tags, credentials not persisted;
                     `mlcode apply --preview --format markdown` -> one sticky comment
                     (same-repository PRs) and the full text in the job summary
    push (branch) -> job `apply`: a protected environment, contents write, one at a
                     time (concurrency group); `mlcode apply --auto-approve --git-push`

Actions are pinned by commit SHA; no `workflow_run`, no `pull_request_target`. Values
from the event never reach a shell through `${{ }}`: they go through `env:`.
"""

from __future__ import annotations

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2"
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0"
CACHE = "actions/cache@1bd1e32a3bdc45362d1e726936510720a7c30a57  # v4.2.0"
DEFAULT_INSTALL = 'python -m pip install "mlcode[s3]"'
WORKFLOW_PATH = ".github/workflows/mlcode.yml"


def _setup_steps(install: str) -> str:
    """Checkout (full history and tags, no persisted credentials), Python, the DVC
    cache, and mlcode: the first steps of both jobs."""
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
        run: {install}
"""


def github_workflow(branch: str = "main", install: str = DEFAULT_INSTALL) -> str:
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
