"""The package version, kept apart so the model can read it without Sphinx."""

__version__ = "0.1.0"
