"""Errors that tell the user which file, column and rule to look at."""

from __future__ import annotations


class InputDataError(ValueError):
    """Bad input data: names the file and, where it applies, the column."""

    def __init__(self, path, message: str, column: str | None = None):
        self.path = str(path)
        self.column = column
        self.reason = message
        where = f"file {self.path}" + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # survive the trip back from a worker process
        return type(self), (self.path, self.reason, self.column)


class ConfigError(ValueError):
    """An invalid configuration: names the offending key."""
