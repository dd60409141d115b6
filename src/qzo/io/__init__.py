"""Reading and writing: the ZTF DR light-curve format and its validation, external catalog
files, HATS metadata, the configured input globs, and atomic writes.

Imports nothing heavy itself (the workflow imports :mod:`qzo.io.inputs` while it is parsed)."""

import os
from typing import TypeAlias

#: A file-system path as the library's public functions accept it.
StrPath: TypeAlias = str | os.PathLike[str]

__all__ = ["StrPath"]
