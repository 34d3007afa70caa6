"""Prompts live in files (prompts/NAME.vN.md), versioned and loaded by name, never inlined in code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.assets import asset_dir

_SECTION = re.compile(r"^## (system|user)\s*$", re.M)


def fence(text: str) -> str:
    """Passage text is data: neutralise anything that could close the fence or fake a new passage.

    Here, under both app.answer and app.llm (the judge), so neither imports the other for it."""
    return text.replace("<passage", "‹passage").replace("</passage", "‹/passage")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    system: str
    user: str

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def render(self, **values: str) -> list[dict]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user.format(**values)}]


@lru_cache(maxsize=32)
def load_prompt(folder: Path | None, name: str, version: int | None = None) -> Prompt:
    """The given version, or the highest one present; ``folder=None`` means the prompts shipped with Citewire."""
    folder = folder or asset_dir("prompts")
    candidates = sorted(folder.glob(f"{name}.v*.md"), key=lambda p: int(p.stem.rsplit(".v", 1)[1]))
    if version is not None:
        candidates = [p for p in candidates if p.stem == f"{name}.v{version}"]
    if not candidates:
        raise FileNotFoundError(f"no prompt {name!r} (version {version or 'latest'}) in {folder}")
    path = candidates[-1]
    text = path.read_text()
    if text.startswith("---"):
        text = text.split("---", 2)[2]
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ValueError(f"{path}: needs '## system' and '## user' sections")
    return Prompt(name, int(path.stem.rsplit(".v", 1)[1]), sections["system"], sections["user"])
