"""Self-checks for notebook 01 (What is an API). They look at the notes service's real state and log.

01.1 (fix) reads the notes the service holds and the requests it answered; 01.2 (predict) sends its four requests
itself, after the student recorded a prediction, and compares.
"""

from __future__ import annotations

from typing import Any

import requests

from lab_support.course.http import status_text
from lab_support.course.services import notes as _notes
from lab_support.exercises.registry import Verdict, compare_prediction, exercise

DENTIST = "book the dentist"
RENT = "pay rent"


def _service() -> _notes.NotesService | None:
    service = _notes._SERVICE
    return service if service is not None and service.running else None


def _answered(response: Any) -> str:
    """What the service said in ``response`` (a requests.Response), in one line, or nothing."""
    if not isinstance(response, requests.Response):
        return ""
    try:
        message = response.json().get("message", "")
    except (ValueError, AttributeError):
        message = ""
    return f"\n   The service answered {status_text(response.status_code)}" + (f": {message}" if message else "")


@exercise(
    "01.1",
    "a request the service refuses",
    [
        "Read the message in the answer: it names the first problem. Fix that one, run the cell, read the next answer.",
        "The section 'Status codes: when things go wrong' makes these mistakes on purpose: compare its requests.",
        "requests.post's json= parameter writes JSON (double quotes, false) and sets Content-Type: application/json.",
    ],
    kind="fix",
)
def _dentist(response: Any = None) -> Verdict:
    """Solved when the service holds the note "book the dentist", not done. ``response`` (optional) is only
    quoted back, so the student reads what the service said."""
    service = _service()
    if service is None:
        return "the notes service is not running: notes = lab.start_notes_service()"
    found = [n for n in service.notes if n["title"].strip().lower() == DENTIST]
    if not found:
        return f'there is no note "{DENTIST}" yet{_answered(response)}'
    if all(n["done"] for n in found):
        return f'"{DENTIST}" exists, but it is done: the note should not be done yet'
    return True


def _recorded(prediction: Any) -> bool:
    if not isinstance(prediction, dict):
        return False
    statuses = prediction.get("statuses")
    return (isinstance(statuses, list | tuple) and len(statuses) == 4 and all(s is not ... for s in statuses)
            and prediction.get("notes_left", ...) is not ...)


def _normalise(value: Any) -> Any:
    return [int(s) for s in value["statuses"]], int(value["notes_left"])


@exercise(
    "01.2",
    "the same requests, twice",
    [
        'Fill in every "...": four status codes (numbers such as 200) and a count, before you run anything.',
        "The sections 'POST to insert' and 'DELETE to delete' show which status each method answers with.",
        "RFC 9110 §9.2.2 (idempotent methods): what matters is the state left on the server, not the answer.",
    ],
    kind="predict",
)
def _twice(prediction: Any = ...) -> Verdict:
    if not _recorded(prediction):
        return ('record your prediction first: prediction = {"statuses": [four codes], "notes_left": a number}, '
                "then run the cell")
    service = _service()
    if service is None:
        return "the notes service is not running: notes = lab.start_notes_service()"
    url = f"{service.url}/notes"
    first = requests.post(url, json={"title": RENT}, timeout=10)
    second = requests.post(url, json={"title": RENT}, timeout=10)
    created = [r.json().get("id") for r in (first, second) if r.status_code == 201]
    gone = [requests.delete(f"{url}/{created[0]}", timeout=10) for _ in range(2)] if created else []
    statuses = [r.status_code for r in (first, second, *gone)]
    left = sum(1 for n in service.notes if n["id"] in created)
    observed = {"statuses": statuses, "notes_left": left}
    why = (f"The two POSTs created two notes (ids {created}): POST is not idempotent. The first DELETE removed "
           "the first note (204, no body); the second found nothing to delete (404). DELETE is still idempotent: "
           "after one DELETE or two, that note is gone; idempotence is about the state, not the answer. "
           f"One \"{RENT}\" note is left: the second POST's.")
    try:
        return compare_prediction(_normalise(prediction), _normalise(observed), why)
    except (TypeError, ValueError):
        return "the status codes and the count are whole numbers, e.g. 200"
