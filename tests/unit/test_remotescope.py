"""Whether the DVC remote is shared (mlcode.storage.remotescope), from DVC's config files."""

from __future__ import annotations

import pytest

from mlcode.storage.remotescope import SHARED_REMOTE_FIX, remote_scope

INIT_LOCAL = "[core]\n    remote = local\n['remote \"local\"']\n    url = /home/a/.cache/r\n"
S3 = "[core]\n    remote = team\n['remote \"team\"']\n    url = s3://bucket/team\n"
S3_NO_DEFAULT = "['remote \"team\"']\n    url = s3://bucket/team\n"


@pytest.mark.parametrize(
    ("config", "local", "setting", "problem"),
    [
        pytest.param(
            "", "", None, "no DVC remote is configured in .dvc/config", id="clone-of-init"
        ),
        pytest.param(
            "",
            INIT_LOCAL,
            None,
            "is a directory on this machine, configured only in .dvc/config.local",
            id="init-machine",
        ),
        pytest.param(
            "", S3, None, "configured only in .dvc/config.local, which Git", id="s3-local-only"
        ),
        pytest.param(S3, "", None, None, id="shared-s3"),
        pytest.param(
            S3_NO_DEFAULT,
            "[core]\n    remote = team\n",
            None,
            "configured only in .dvc/config.local",
            id="default-chosen-locally",
        ),
        pytest.param(S3_NO_DEFAULT, "", "team", None, id="settings-name-shared"),
        pytest.param("", "", "s3://bucket/x", None, id="settings-url"),
        pytest.param(
            "",
            "",
            "/mnt/remote",
            "the remote /mnt/remote is a directory on this machine",
            id="settings-path",
        ),
        pytest.param("", "", "../remote", "is a directory on this machine", id="settings-relative"),
        pytest.param(
            "", "", "file:///srv/r", "is a directory on this machine", id="settings-file-url"
        ),
        pytest.param(
            INIT_LOCAL.replace("/home/a/.cache/r", "s3://b/p"),
            "",
            None,
            None,
            id="committed-default",
        ),
    ],
)
def test_remote_scope(tmp_path, config, local, setting, problem):
    # Each way a remote can be configured: shared, or local to one machine (and why).
    (tmp_path / ".dvc").mkdir()
    if config:
        (tmp_path / ".dvc" / "config").write_text(config)
    if local:
        (tmp_path / ".dvc" / "config.local").write_text(local)
    scope = remote_scope(tmp_path, setting)
    if problem is None:
        assert scope.problem is None and scope.warning is None
    else:
        assert problem in scope.problem
        assert scope.warning.endswith(SHARED_REMOTE_FIX)
