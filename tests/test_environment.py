"""environment.yml (conda route) must list the same packages and pins as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$")


def _split(requirement: str) -> tuple[str, str]:
    match = _NAME.match(requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def pyproject_packages() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def conda_packages() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict) or dep.startswith(("python=", "pip")):
            continue
        name, spec = _split(dep)
        out[name] = spec
    return out


def test_environment_lists_python_312_and_installs_the_package() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.12" in env["dependencies"]
    pip_block = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_block and "-e ." in pip_block[0]["pip"]


@pytest.mark.parametrize("name", sorted(set(pyproject_packages()) | set(conda_packages())))
def test_same_package_and_pin_in_both_files(name: str) -> None:
    py, conda = pyproject_packages(), conda_packages()
    assert name in py, f"{name} is in environment.yml but not in pyproject.toml"
    assert name in conda, f"{name} is in pyproject.toml but not in environment.yml"
    assert py[name] == conda[name], f"{name}: pyproject.toml pins {py[name]!r}, environment.yml {conda[name]!r}"


def test_mesa_pinned_below_4_with_networkx() -> None:
    py = pyproject_packages()
    assert py["mesa"] == ">=3.5,<4"
    assert "networkx" in py, "Mesa 3.5 imports networkx without declaring it"
