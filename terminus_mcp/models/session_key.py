"""The session key of the task whose model turns are being generated.

A task's turns share a growing prompt prefix. Behind a router with several model replicas, the
turns should all reach the replica whose prefix cache already holds that prefix. The service
sets one key per task (:func:`model_session`) around the task's loop; backends read it
(:func:`current_session_key`) and send it along, for example the ``openai`` backend in the
header named by the ``session_header`` setting, which session-affinity routers hash on.

A context variable carries it, so concurrent tasks (each in its own async task) never see each
other's key, and the model seam needs no extra argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("terminus_model_session", default=None)


@contextmanager
def model_session(key: str) -> Iterator[None]:
    """Within this block (and the tasks it starts), model turns belong to session ``key``."""
    token = _current.set(key)
    try:
        yield
    finally:
        _current.reset(token)


def current_session_key() -> str | None:
    """The key set by the innermost :func:`model_session`, or ``None`` outside any."""
    return _current.get()
