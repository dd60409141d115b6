"""Errors that tell the user which file, column and rule to look at."""

from __future__ import annotations

import os


class InputDataError(ValueError):
    """Bad input data: names the file and, where it applies, the column."""

    def __init__(
        self, path: str | os.PathLike[str], message: str, column: str | None = None
    ) -> None:
        self.path = str(path)
        self.column = column
        self.reason = message
        where = f"file {self.path}" + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str | None]]:
        # survive the trip back from a worker process
        return type(self), (self.path, self.reason, self.column)


class ConfigError(ValueError):
    """An invalid configuration: names the offending key."""
