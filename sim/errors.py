"""Bad-input errors: one line naming the source (file or flag) and the key."""

from __future__ import annotations


class InputError(ValueError):
    """Invalid input. ``str(err)`` is one line: ``SOURCE: key: problem``."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")
