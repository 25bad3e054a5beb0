"""Resource addresses (`dataset.wine`, `model.wine_rf`): parsed once, then passed as values."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from mlcode.errors import MlcodeError

# Also a valid GTO artifact name: starts and ends with a letter or digit.
NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$")


class Kind(StrEnum):
    """The kinds of resource a project declares; the value is the address prefix."""

    DATASET = "dataset"
    MODEL = "model"

    @property
    def plural(self) -> str:
        """Directory name under `conf/` and `artifacts/` (`datasets`, `models`)."""
        return self.value + "s"


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """`KIND.NAME`; NAME is the spec file's stem and matches NAME_RE."""

    kind: Kind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}.{self.name}"

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse `dataset.NAME` or `model.NAME`; raise MlcodeError with a hint otherwise."""
        found = _PARSED.get(text)
        if found is not None:
            return found
        kind, dot, name = text.partition(".")
        try:
            parsed_kind = Kind(kind)
        except ValueError:
            parsed_kind = None
        if not dot or parsed_kind is None or not NAME_RE.match(name):
            raise MlcodeError(
                f"invalid address {text!r}",
                "addresses look like dataset.NAME or model.NAME",
            )
        address = _PARSED[text] = cls(parsed_kind, name)
        return address

    @property
    def spec_path(self) -> str:
        """Repo-relative path of the spec file that declares this resource."""
        return f"conf/{self.kind.plural}/{self.name}.yaml"

    @property
    def artifact_path(self) -> str:
        """Repo-relative directory of the built artifact."""
        return f"artifacts/{self.kind.plural}/{self.name}"

    @property
    def record_path(self) -> str:
        """Repo-relative path of the DVC file that holds the state record."""
        return f"artifacts/{self.kind.plural}/{self.name}.dvc"


# Every text parsed so far: records, cached resources and their edges name the same few
# thousand addresses again and again on each plan, and an Address is an immutable value.
_PARSED: dict[str, Address] = {}


def addresses_under(root: Path, base: str, suffix: str) -> dict[Address, str]:
    """Files `<base>/<kind>s/NAME<suffix>` by address, sorted (reads a directory listing).

    `base` is `conf` for specs (suffix `.yaml`) or `artifacts` for records (`.dvc`).
    """
    found: dict[Address, str] = {}
    for kind in Kind:
        try:
            names = sorted(e.name for e in os.scandir(root / base / kind.plural))
        except OSError:
            continue
        for name in names:
            if name.endswith(suffix):
                found[Address(kind, name[: -len(suffix)])] = f"{base}/{kind.plural}/{name}"
    return found
