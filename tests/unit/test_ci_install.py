"""The CI workflow's install step: exactly the mlcode installed here, or a refusal that
asks for --install."""

from __future__ import annotations

import pytest

from mlcode.ci import github_workflow, install_command
from mlcode.distribution import DISTRIBUTION, Installed
from mlcode.errors import MlcodeError

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("found", "files", "expected"),
    [
        pytest.param(
            Installed("mlcode-iac", "0.3.1", None, ("s3",)),
            [],
            'python -m pip install "mlcode-iac[s3]==0.3.1"',
            id="index-pinned-with-extras",
        ),
        pytest.param(
            Installed("mlcode_iac", "0.3.1", None),
            ["requirements.txt"],
            'python -m pip install "mlcode-iac==0.3.1" -r requirements.txt',
            id="index-plus-requirements",
        ),
        pytest.param(
            Installed("mlcode-iac", "0.3.1", None),
            ["requirements.txt", "pyproject.toml"],
            'python -m pip install "mlcode-iac==0.3.1" -r requirements.txt .',
            id="index-plus-both-files",
        ),
        pytest.param(
            Installed(
                "mlcode-iac",
                "0.4.0.dev0",
                {
                    "url": "https://github.com/team/mlcode.git",
                    "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "main"},
                },
                ("s3",),
            ),
            ["pyproject.toml"],
            f'python -m pip install "mlcode-iac[s3] @ git+https://github.com/team/mlcode.git@{COMMIT}" .',
            id="vcs-pinned-to-commit-not-branch",
        ),
        pytest.param(
            Installed(
                "mlcode-iac",
                "0.4.0",
                {
                    "url": "ssh://git@github.com/team/mono.git",
                    "vcs_info": {"vcs": "git", "commit_id": COMMIT},
                    "subdirectory": "tools/mlcode",
                },
            ),
            [],
            f'python -m pip install "mlcode-iac @ git+ssh://git@github.com/team/mono.git@{COMMIT}'
            '#subdirectory=tools/mlcode"',
            id="vcs-subdirectory",
        ),
        pytest.param(
            Installed(
                "mlcode-iac",
                "0.3.1",
                {
                    "url": "https://files.example.org/mlcode_iac-0.3.1-py3-none-any.whl",
                    "archive_info": {"hashes": {"sha256": "ab" * 32}},
                },
            ),
            [],
            'python -m pip install "mlcode-iac @ https://files.example.org/'
            f'mlcode_iac-0.3.1-py3-none-any.whl#sha256={"ab" * 32}"',
            id="remote-archive-with-hash",
        ),
    ],
)
def test_install_step_pins_what_is_installed(found, files, expected):
    # The install step reproduces the installed mlcode and adds the project's own files.
    assert install_command(found, files) == expected


@pytest.mark.parametrize(
    ("found", "message"),
    [
        pytest.param(None, "not installed", id="not-installed"),
        pytest.param(
            Installed(
                "mlcode-iac",
                "0.1.0",
                {"url": "file:///work/mlcode", "dir_info": {"editable": True}},
            ),
            "an editable checkout",
            id="editable-checkout",
        ),
        pytest.param(
            Installed("mlcode-iac", "0.1.0", {"url": "file:///work/mlcode", "dir_info": {}}),
            "file:///work/mlcode",
            id="local-directory",
        ),
        pytest.param(
            Installed(
                "mlcode-iac",
                "0.1.0",
                {"url": "file:///tmp/mlcode_iac-0.1.0.whl", "archive_info": {}},
            ),
            "file:///tmp/mlcode_iac-0.1.0.whl",
            id="local-wheel",
        ),
        pytest.param(
            Installed(
                "mlcode-iac",
                "0.1.0",
                {"url": "file:///srv/git/mlcode", "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
            ),
            "file:///srv/git/mlcode",
            id="local-git-repository",
        ),
        pytest.param(
            Installed(
                "mlcode-iac", "0.1.0", {"url": "https://host/r.git", "vcs_info": {"vcs": "git"}}
            ),
            "without a recorded commit",
            id="vcs-without-commit",
        ),
        pytest.param(
            Installed(
                "mlcode-iac",
                "0.1.0",
                {
                    "url": "https://me:pw@host/r.git",
                    "vcs_info": {"vcs": "git", "commit_id": COMMIT},
                },
            ),
            "credentials",
            id="url-with-credentials",
        ),
        pytest.param(
            Installed("mlcode", "0.1.0", None),
            "belongs to another project",
            id="old-name-from-an-index",
        ),
    ],
)
def test_unknowable_source_asks_for_install(found, message):
    # Where a runner cannot install the same mlcode, the error says so and asks for --install.
    with pytest.raises(MlcodeError, match=message) as caught:
        install_command(found, ["requirements.txt"])
    assert "--install" in (caught.value.hint or "")
    assert ":pw@" not in caught.value.message  # a credential never reaches the terminal


def test_workflow_installs_the_distribution_not_the_unrelated_name():
    # The default install step never names the index's unrelated `mlcode` project.
    text = github_workflow("main", install_command(Installed(DISTRIBUTION, "1.2.3", None)))
    assert 'python -m pip install "mlcode-iac==1.2.3"' in text
    assert '"mlcode[' not in text and '"mlcode=' not in text


def test_a_multi_line_install_step_stays_one_block():
    # A user's --install of several lines stays inside the step's `run: |` block.
    text = github_workflow("main", "pip install a\npip install b  # pinned: x")
    assert "        run: |\n          pip install a\n          pip install b  # pinned: x\n" in text


def test_pyproject_names_the_distribution_and_keeps_the_command():
    # The package is built as mlcode-iac, installs the `mlcode` command, and its own
    # extras refer to that name (never the index's unrelated `mlcode`).
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())[
        "project"
    ]
    assert pyproject["name"] == DISTRIBUTION
    assert pyproject["scripts"] == {"mlcode": "mlcode.cli.main:main"}
    for requirements in pyproject["optional-dependencies"].values():
        own = [r for r in requirements if r.startswith("mlcode")]
        assert all(r.startswith(f"{DISTRIBUTION}[") for r in own), own
