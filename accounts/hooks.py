"""Hooks of the tenant base: what the base tells the sub-apps it may not import.

A sub-app registers a listener from its ``AppConfig.ready()``; the base calls every
listener inside the transaction that made the change (a listener that raises undoes it).
"""

from collections.abc import Callable


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self.listeners: list[Callable[..., None]] = []

    def register(self, listener: Callable[..., None]) -> None:
        if listener not in self.listeners:
            self.listeners.append(listener)

    def send(self, **kwargs) -> None:
        for listener in self.listeners:
            listener(**kwargs)


# business_set_vetting: (business, from_status, to_status, reason) after the move is saved
vetting_changed = Hook("vetting_changed")
