"""Citewire: answers questions about news articles with cited, verifiable passages."""

__version__ = "0.1.0"
