"""A process-wide progress hook: the run steps report work done, a front end may listen.

Kept deliberately tiny so `pipelines` needs no UI library: the CLI registers a listener that
drives a rich progress bar; without one, reporting costs a function call.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["advance", "listen"]

Listener = Callable[[str, int], None]
_listeners: list[Listener] = []


def listen(listener: Listener | None) -> None:
    """Register `listener(what, amount)`; None removes all listeners."""
    if listener is None:
        _listeners.clear()
    else:
        _listeners.append(listener)


def advance(what: str, amount: int = 1) -> None:
    """Report `amount` more units of `what` done (e.g. `pages`, `inputs`)."""
    for listener in _listeners:
        listener(what, amount)
