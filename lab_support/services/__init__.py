"""Small real services the notebooks talk to over HTTP on ``127.0.0.1``.

* :mod:`lab_support.services.notes`: a REST service for "notes" (notebook 01).
"""

from __future__ import annotations

from .notes import NotesService, current_notes_service, start_notes_service, stop_notes_service

__all__ = ["NotesService", "current_notes_service", "start_notes_service", "stop_notes_service"]
