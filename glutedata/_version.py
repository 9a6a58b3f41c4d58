"""The package version, kept apart so that every layer can read it without importing the facade."""

__version__ = "0.2.0"
