"""Summaries with citations: one article, several, or a topic across the corpus."""
