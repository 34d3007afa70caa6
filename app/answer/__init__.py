"""Answers: extractive (default, no LLM) or LLM-written, always with verifiable citations."""
