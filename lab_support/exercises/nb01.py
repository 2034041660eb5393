"""Self-checks for notebook 01 (What is an API). They look at the notes service's real state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lab_support.course.services import notes as _notes
from lab_support.exercises.registry import exercise

IDEMPOTENT = {"GET", "PUT", "DELETE"}  # RFC 9110 §9.2.2; POST is neither safe nor idempotent


@exercise(
    "01.1",
    "create a note and mark it done with PUT",
    'POST {"title": "buy milk"} to /notes, then PUT {"title": "buy milk", "done": true} to /notes/{its id}',
)
def _buy_milk() -> bool | str:
    service = _notes._SERVICE
    if service is None or not service.running:
        return "the notes service is not running: notes = lab.start_notes_service()"
    milk = [n for n in service.notes if n["title"].strip().lower() == "buy milk"]
    if not milk:
        return 'there is no note titled "buy milk" yet'
    puts = {c.path.split("?")[0] for c in service.log if c.method == "PUT" and c.status == 200}
    for note in milk:
        if note["done"] and f"/notes/{note['id']}" in puts:
            return True
    if any(n["done"] for n in milk):
        return '"buy milk" is done, but not through a successful PUT to /notes/{id}'
    return f'note {milk[0]["id"]} "buy milk" exists but is not done yet'


@exercise(
    "01.2",
    "which methods are idempotent",
    "call lab.check(\"01.2\", {...}) with the methods that leave the same state when sent once or "
    "twice (RFC 9110 §9.2.2)",
)
def _idempotent(answer: Any = None) -> bool | str:
    if answer is None:
        return 'pass your answer, e.g. lab.check("01.2", {"GET"})'
    if isinstance(answer, str) or not isinstance(answer, Iterable):
        return 'the answer is a set of method names, e.g. {"GET", "POST"}'
    given = {str(m).strip().upper() for m in answer}
    unknown = given - {"GET", "POST", "PUT", "DELETE"}
    if unknown:
        return f"choose among GET, POST, PUT and DELETE (not {', '.join(sorted(unknown))})"
    if "POST" in given:
        return "send the same POST twice and count the notes: is the state the same as after one?"
    missing = IDEMPOTENT - given
    if missing:
        return f"{', '.join(sorted(missing))} missing: what does sending it a second time change on the server?"
    return True
