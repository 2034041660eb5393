"""Each exercise's solution really solves it: run it, then its self-check must pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lab_support as lab
from lab_support.exercises import registry as exercises

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^## (\d\d\.\d+)[^\n]*\n(?:(?!^## ).)*?```python\n(.*?)```", re.S | re.M)


def _solutions() -> list[tuple[str, str]]:
    found = []
    for md in sorted((ROOT / "solutions").glob("*.md")):
        found += BLOCK.findall(md.read_text())
    return found


SOLUTIONS = _solutions()


def test_every_registered_exercise_has_a_solution() -> None:
    assert sorted(ex for ex, _ in SOLUTIONS) == exercises.registered()


@pytest.mark.parametrize(("exercise_id", "code"), SOLUTIONS, ids=[s[0] for s in SOLUTIONS])
def test_solution_solves(exercise_id: str, code: str, aws: lab.Session) -> None:
    before = lab.check(exercise_id)
    assert not before.solved, "an exercise must start unsolved"
    assert "not solved yet" in repr(before) and "💡 Hint 1 of" in repr(before)
    namespace: dict = {"lab": lab, "aws": aws}
    exec(compile(code, f"solutions:{exercise_id}", "exec"), namespace)
    result = namespace.get("result") or lab.check(exercise_id)
    assert result.solved, repr(result)


def test_unknown_exercise_is_explained() -> None:
    result = lab.check("99.9")
    assert not result.solved and "There is no exercise '99.9'" in repr(result)
