"""QZO: ZTF light-curve quasar classification pipeline (library)."""

__version__ = "0.1.0"
