"""Exercise self-checks.

A notebook's exercise cell ends with ``lab.check("01.1")``. Until the student's
work is right, it prints a stable ``not solved yet — hint: …`` line; once it is,
``solved``. The checks look at real state (what the student's code created or
changed), never at the student's source text. Solutions live apart, in
``solutions/`` at the top of the repository.

Checks are registered with :func:`exercise` in the module of the notebook they
belong to (``lab_support/exercises_nb01.py`` …).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Checker = Callable[..., "bool | str"]


@dataclass(frozen=True)
class _Exercise:
    exercise_id: str
    title: str
    hint: str
    checker: Checker


_REGISTRY: dict[str, _Exercise] = {}
# Modules that register exercises, imported on first use of check().
_MODULES = (
    "lab_support.exercises.nb00",
    "lab_support.exercises.nb01",
    "lab_support.exercises.nb02",
    "lab_support.exercises.nb03",
    "lab_support.exercises.nb04",
    "lab_support.exercises.nb05",
    "lab_support.exercises.nb06",
    "lab_support.exercises.nb07",
    "lab_support.exercises.nb08",
)


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check` returns: truthy when solved; its repr is the message."""

    exercise_id: str
    solved: bool
    message: str

    def __bool__(self) -> bool:
        return self.solved

    def __repr__(self) -> str:
        return self.message


def exercise(exercise_id: str, title: str, hint: str) -> Callable[[Checker], Checker]:
    """Register ``checker`` as the self-check of exercise ``exercise_id``.

    The checker returns ``True`` when solved, and ``False`` or a string (a more
    specific hint) when not.
    """

    def register(checker: Checker) -> Checker:
        _REGISTRY[exercise_id] = _Exercise(exercise_id, title, hint, checker)
        return checker

    return register


def _load() -> None:
    for module in _MODULES:
        importlib.import_module(module)


def check(exercise_id: str, *args: Any, **kwargs: Any) -> CheckResult:
    """Check exercise ``exercise_id``; extra arguments go to its checker."""
    _load()
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        return CheckResult(exercise_id, False, f"❓ There is no exercise {exercise_id!r}. Known: {known}.")
    ex = _REGISTRY[exercise_id]
    try:
        verdict = ex.checker(*args, **kwargs)
    except Exception as err:  # a student's half-done work must not crash the check
        verdict = f"checking raised {type(err).__name__}: {err}"
    if verdict is True:
        return CheckResult(exercise_id, True, f"✅ Exercise {exercise_id} ({ex.title}): solved. Well done!")
    detail = f" ({verdict})" if isinstance(verdict, str) and verdict else ""
    return CheckResult(
        exercise_id, False, f"⏳ Exercise {exercise_id} ({ex.title}): not solved yet{detail} — hint: {ex.hint}"
    )


def registered() -> list[str]:
    """Ids of every registered exercise (for tests and the README)."""
    _load()
    return sorted(_REGISTRY)
