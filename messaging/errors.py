"""The errors messaging raises, all in the one ``ApplicationError`` family (accounts.errors):
the API's exception handler and the portal turn each into the one error shape by its
``code`` and ``status_code``.

- ``ValidationFailed`` (400 ``invalid``) — bad input, with ``fields`` naming each field
  (``items[3].body`` for a bulk send, ``receipts.3.message_id`` for a receipt batch);
- ``NotFound`` (404) — a message, broadcast, quick reply or webhook endpoint that is
  missing or another business's (the same answer for both);
- ``MessageStateConflict`` / ``BroadcastStateConflict`` (409 ``conflict``) — the object is
  past the state that allows the action.

A message refused by a send gate is not an error: it is stored BLOCKED or HELD with its
reasons (services.gates).
"""

from accounts.errors import ApplicationError, Conflict, NotFound, ValidationFailed

__all__ = [
    "ApplicationError",
    "BroadcastStateConflict",
    "MessageStateConflict",
    "NotFound",
    "ValidationFailed",
]


class MessageStateConflict(Conflict):
    """Cancel once the message is on its way; review a message that is not held."""


class BroadcastStateConflict(Conflict):
    """Start a broadcast that is not a draft (or a running fan-out to resume)."""
