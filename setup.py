"""Packaging only what pyproject.toml cannot say: the top-level prompts/ and evals/ folders (the
source of truth, edited in place) ship inside the wheel as app/_prompts and app/_evals."""

from setuptools import find_packages, setup

ASSETS = {"app._prompts": "prompts", "app._evals": "evals"}

setup(packages=find_packages(include=["app", "app.*"]) + list(ASSETS), package_dir=ASSETS)
