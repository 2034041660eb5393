"""pyproject.toml (pip users) and environment.yml (conda users) must list the same pinned dependencies."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"jupyterlab", "boto3", "moto", "requests", "ipywidgets", "matplotlib", "jupyterlab-rise", "pytest", "nbval"}


def _pyproject() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return {Requirement(r).name.lower(): Requirement(r) for r in reqs}


def _environment() -> dict[str, Requirement]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return {Requirement(r).name.lower(): Requirement(r) for r in pip if not r.startswith("-e")}


def test_both_files_list_the_same_requirements() -> None:
    py, conda = _pyproject(), _environment()
    assert sorted(py) == sorted(conda), "package names differ between pyproject.toml and environment.yml"
    for name, req in py.items():
        assert str(req.specifier) == str(conda[name].specifier), f"{name}: {req.specifier} vs {conda[name].specifier}"
        assert req.extras == conda[name].extras, f"{name}: extras differ"


def test_course_packages_are_listed_and_bounded() -> None:
    py = _pyproject()
    assert set(py) >= REQUIRED
    for name in REQUIRED:
        ops = {spec.operator for spec in py[name].specifier}
        assert ops & {">=", "=="} and ops & {"<", "==", "~="}, f"{name} must be bounded on both sides: {py[name]}"


def test_environment_installs_the_course_itself() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_installed_versions_satisfy_the_bounds() -> None:
    import lab_support

    assert lab_support.check_environment(verbose=False) == []
