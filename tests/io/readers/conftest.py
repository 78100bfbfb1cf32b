from .reader_helpers import tiny_png  # noqa: F401  (fixture)
