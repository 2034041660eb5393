"""Exercise self-checks, with hints that come one at a time.

A notebook's exercise cell ends with ``lab.check("02.1")``. Until the student's work is right it prints a
stable ``⏳ … not solved yet`` line and **one** hint; each further failed check reveals the next hint, from a
nudge, to the section that teaches it, to the name of the API involved — never the solution's code
(``tests/test_teaching.py`` proves no hint and no stored output contains a line of a solution).
``lab.hint("02.1")`` shows the next hint without checking.

Four kinds of exercise, named in the exercise's heading (``### Exercise 02.1 · Fix: …``):

* **write / fix**: the student writes or repairs code; the check looks at real state (what the code created
  or changed), never at the student's source text.
* **predict**: the student records a prediction in a variable *before* running an experiment and passes it,
  ``lab.check("03.2", prediction=...)``; the check runs or reads the real outcome, compares, and explains
  the difference (:func:`compare_prediction`). An honest wrong prediction, explained, counts as done.
* **diagnose**: a broken set-up is prepared; the student finds and fixes the cause; the check reads state.
* **design**: the student picks an option *and* the reasons for it (:func:`judge_design`).

Checks are registered with :func:`exercise` in ``lab_support/exercises/nbNN.py``. Solutions live apart, in
``solutions/`` at the top of the repository.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lab_support.core import session as _session

Kind = Literal["write", "fix", "predict", "diagnose", "design"]
KINDS: tuple[Kind, ...] = ("write", "fix", "predict", "diagnose", "design")


@dataclass(frozen=True)
class Outcome:
    """What a checker may return instead of ``True``/``False``/a string, to say more than solved or not.

    ``solved`` decides the ✅; ``message`` (if any) is printed after the verdict, e.g. the explanation of a
    prediction.
    """

    solved: bool
    message: str = ""


Verdict = bool | str | Outcome
Checker = Callable[..., Verdict]


@dataclass(frozen=True)
class _Exercise:
    exercise_id: str
    title: str
    kind: Kind
    hints: tuple[str, ...]
    checker: Checker


_REGISTRY: dict[str, _Exercise] = {}
# Failed checks (and hint requests) per exercise: the next one reveals one more hint. Kept per session, so a
# fresh kernel (or lab.reset()) starts again at the first hint and stored outputs stay stable.
_SHOWN: dict[str, int] = {}
_SHOWN_FOR: list[int] = [0]
# Modules that register exercises, imported on first use of check().
_MODULES = tuple(f"lab_support.exercises.nb{n:02d}" for n in range(10))


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


def exercise(exercise_id: str, title: str, hints: Sequence[str] | str, kind: Kind = "write",
             ) -> Callable[[Checker], Checker]:
    """Register ``checker`` as the self-check of exercise ``exercise_id``.

    Args:
        exercise_id: ``"NN.k"``.
        title: a few words, as in the notebook's heading.
        hints: progressive hints, at least three: a nudge, then a pointer to the section that teaches it, then
            the name of the API or setting involved. Never a line of the solution.
        kind: ``write``, ``fix``, ``predict``, ``diagnose`` or ``design``.

    The checker returns ``True`` when solved, ``False`` or a string (what is still wrong, in words) when not,
    or an :class:`Outcome`.
    """
    hints = (hints,) if isinstance(hints, str) else tuple(hints)  # tests/test_teaching.py asks for three
    if kind not in KINDS:
        raise ValueError(f"exercise {exercise_id}: kind must be one of {KINDS}")

    def register(checker: Checker) -> Checker:
        _REGISTRY[exercise_id] = _Exercise(exercise_id, title, kind, hints, checker)
        return checker

    return register


def _load() -> None:
    for module in _MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:  # notebooks without exercises have no module
            if err.name != module:
                raise


def _next_hint(exercise_id: str) -> tuple[int, int, str]:
    running = _session._SESSION  # the counters belong to one session: a new kernel starts at hint 1
    if _SHOWN_FOR[0] != id(running):
        _SHOWN.clear()
        _SHOWN_FOR[0] = id(running)
        if running is not None:
            running.on_reset(reset_hints)
    ex = _REGISTRY[exercise_id]
    level = min(_SHOWN.get(exercise_id, 0), len(ex.hints) - 1)
    _SHOWN[exercise_id] = level + 1
    return level + 1, len(ex.hints), ex.hints[level]


def reset_hints() -> None:
    """Start every exercise again at its first hint (``lab.reset()`` does it)."""
    _SHOWN.clear()


def _hint_lines(exercise_id: str) -> str:
    level, total, text = _next_hint(exercise_id)
    more = f'\n   (run lab.check("{exercise_id}") again for hint {level + 1})' if level < total else ""
    return f"💡 Hint {level} of {total}: {text}{more}"


def _unknown(exercise_id: str) -> CheckResult:
    known = ", ".join(sorted(_REGISTRY)) or "none"
    return CheckResult(exercise_id, False, f"❓ There is no exercise {exercise_id!r}. Known: {known}.")


def check(exercise_id: str, *args: Any, **kwargs: Any) -> CheckResult:
    """Check exercise ``exercise_id``; extra arguments (an answer, a ``prediction=``) go to its checker."""
    _load()
    if exercise_id not in _REGISTRY:
        return _unknown(exercise_id)
    ex = _REGISTRY[exercise_id]
    try:
        verdict = ex.checker(*args, **kwargs)
    except Exception as err:  # a student's half-done work must not crash the check
        verdict = f"checking raised {type(err).__name__}: {err}"
    if isinstance(verdict, Outcome):
        solved, extra = verdict.solved, verdict.message
    else:
        solved, extra = verdict is True, (verdict if isinstance(verdict, str) else "")
    head = f"Exercise {exercise_id} ({ex.title})"
    if solved:
        tail = f"\n{extra}" if extra else ""
        return CheckResult(exercise_id, True, f"✅ {head}: solved. Well done!{tail}")
    detail = f": {extra}" if extra else ""
    return CheckResult(exercise_id, False, f"⏳ {head}: not solved yet{detail}\n{_hint_lines(exercise_id)}")


def hint(exercise_id: str) -> CheckResult:
    """Show the next hint of ``exercise_id`` without checking."""
    _load()
    if exercise_id not in _REGISTRY:
        return _unknown(exercise_id)
    return CheckResult(exercise_id, False, _hint_lines(exercise_id))


def registered() -> list[str]:
    """Ids of every registered exercise (for tests and the README)."""
    _load()
    return sorted(_REGISTRY)


def describe(exercise_id: str) -> tuple[str, Kind, tuple[str, ...]]:
    """Title, kind and hints of ``exercise_id`` (for tests and the instructor's guide)."""
    _load()
    ex = _REGISTRY[exercise_id]
    return ex.title, ex.kind, ex.hints


def compare_prediction(prediction: Any, observed: Any, why: str, *, choices: Collection[Any] | None = None,
                       normalise: Callable[[Any], Any] = lambda value: value) -> Verdict:
    """The verdict of a predict-then-run exercise.

    ``prediction`` is what the student recorded before running (``...`` until they do); ``observed`` is the
    real outcome the checker measured; ``why`` explains the outcome (shown whether the prediction was right
    or not). ``choices``, if given, are the admissible predictions. A recorded prediction counts as done: the
    point is to commit, then see and understand the difference.
    """
    if prediction is ... or prediction is None:
        options = f" (one of {sorted(map(str, choices))})" if choices else ""
        return f"record your prediction in the variable first{options}, then run the cell"
    if choices is not None and prediction not in choices:
        return f"{prediction!r} is not one of the choices {sorted(map(str, choices))}"
    if normalise(prediction) == normalise(observed):
        return Outcome(True, f"🎯 You predicted {prediction!r}, and that is what happened. {why}")
    return Outcome(True, f"🔁 You predicted {prediction!r}; what happened was {observed!r}. {why}")


def judge_design(choice: Any, reasons: Collection[str] | None, *, best: Any, options: Collection[Any],
                 sound: Mapping[str, str], unsound: Mapping[str, str], needed: int = 2,
                 on_choice: Mapping[Any, str] | None = None) -> Verdict:
    """The verdict of a design exercise: the student picks ``choice`` from ``options`` and the labels of the
    ``reasons`` that support it.

    ``sound`` and ``unsound`` map reason labels to a short explanation each (shown when a student picks an
    unsound one: the explanation says why it does not hold, never which option is right). Solved when
    ``choice == best`` and at least ``needed`` sound reasons and no unsound ones were given. ``on_choice``
    may say, per wrong option, which requirement of the case it misses.
    """
    if choice is ... or choice is None:
        return f"set your choice (one of {sorted(map(str, options))}) and your reasons first"
    if choice not in options:
        return f"{choice!r} is not one of {sorted(map(str, options))}"
    picked = set(reasons or ())
    unknown = picked - set(sound) - set(unsound)
    if unknown:
        return f"unknown reason labels {sorted(unknown)}: use the labels of the list above"
    if choice != best:
        return (on_choice or {}).get(choice, f"{choice!r} misses a requirement of the case: read the case again")
    wrong = sorted(picked & set(unsound))
    if wrong:
        return "a reason you gave does not hold: " + "; ".join(f"({label}) {unsound[label]}" for label in wrong)
    if len(picked & set(sound)) < needed:
        return f"the choice is right; now give at least {needed} reasons that support it"
    return True
