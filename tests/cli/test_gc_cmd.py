"""`mlcode gc`: drop DVC cache (and with --remote, remote) objects no record refers to."""

from __future__ import annotations

import hashlib
import re

import pytest

ORPHAN = b"nothing refers to this\n"  # 23 bytes


def any_size(text: str) -> str:
    """`text` with byte counts as N (a pickled model's size depends on library versions)."""
    return re.sub(r"\b\d+ bytes\b", "N bytes", text)


@pytest.fixture
def orphan(applied):
    """An object in the DVC cache that no state record names."""
    md5 = hashlib.md5(ORPHAN, usedforsecurity=False).hexdigest()
    path = applied.root / ".dvc/cache/files/md5" / md5[:2] / md5[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ORPHAN)
    yield path
    path.unlink(missing_ok=True)


def test_dry_run_only_reports(applied, orphan):
    # --dry-run says what would go and deletes nothing: exit 0.
    done = applied.invoke("gc", "--dry-run")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert done.stdout == (
        "cache: would free 23 bytes in 1 objects; kept 11\n2 artifacts are referenced and kept.\n"
    )
    assert orphan.exists()


def test_gc_removes_what_no_record_refers_to(applied, orphan):
    # The orphan goes, every recorded artifact stays (plan still has nothing to do).
    done = applied.invoke("gc")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert done.stdout == (
        "cache: freed 23 bytes in 1 objects; kept 11\n2 artifacts are referenced and kept.\n"
    )
    assert not orphan.exists()
    assert applied.invoke("plan").stdout == "No changes. 2 resources up to date.\n"


def test_remote_gc_lists_and_needs_a_yes(applied):
    # A build recorded without a commit, then discarded: its 5 objects (model and code
    # bundle) are garbage in the cache and on the remote. Without a terminal gc lists
    # them and refuses (exit 1); with --yes it deletes them.
    applied.project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 2")
    applied.apply("--no-commit")
    applied.git("checkout", "--", "conf", "artifacts")
    assert applied.invoke("pull").exit_code == 0  # the work tree's copy as recorded again

    refused = applied.invoke("gc", "--remote")
    assert refused.exit_code == 1, refused
    victims = refused.stdout
    header, *listed = victims.splitlines()
    assert header == "mlcode gc will delete 5 objects on the remote:"
    assert listed == sorted(listed)  # by md5, so which is a directory varies
    assert sorted(applied.scrub(line) for line in listed) == ["  - HASH"] * 3 + ["  - HASH.dir"] * 2
    assert refused.stderr == (
        "Error: no terminal to confirm the remote deletion on\n"
        "Hint: pass --yes to delete without asking, or --dry-run to list only\n"
    )

    done = applied.invoke("gc", "--remote", "--yes")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert done.stdout.startswith(victims)
    assert any_size(applied.scrub(done.stdout.removeprefix(victims))) == (
        "cache: freed N bytes in 5 objects; kept 11\n"
        "remote: freed N bytes in 5 objects; kept 11; 0 foreign objects kept\n"
        "2 artifacts are referenced and kept.\n"
    )
    assert applied.invoke("plan").stdout == "No changes. 2 resources up to date.\n"


def test_gc_rejects_an_unknown_option(applied):
    # A bad option is a usage mistake: usage line, one error line, exit 1.
    done = applied.invoke("gc", "--all")
    assert done == applied.usage_error("mlcode gc [OPTIONS]", "No such option: --all")
