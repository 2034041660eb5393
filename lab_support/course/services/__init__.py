"""Small real services the notebooks talk to over HTTP on ``127.0.0.1``.

* :mod:`lab_support.course.services.notes`: a REST service for "notes" (notebook 01).
* :mod:`lab_support.course.services.inventory`: a one-route "inventory" server, a second backend (notebook 05).
"""

from __future__ import annotations

from lab_support.course.services.inventory import start_inventory_service, stop_inventory_service
from lab_support.course.services.notes import NotesService, current_notes_service, start_notes_service, stop_notes_service

__all__ = [
    "NotesService",
    "current_notes_service",
    "start_inventory_service",
    "start_notes_service",
    "stop_inventory_service",
    "stop_notes_service",
]
