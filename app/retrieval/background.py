"""Document frequencies of a news background corpus, blended into the index's own.

The answer models weigh a question's words by IDF. They were fitted over a 210,000-chunk news index, where "died"
is common and "Derna" rare. Over the eight sample articles "died" is in no chunk and so weighs more than "Derna".
With ``CITEWIRE_BACKGROUND_DF_WEIGHT`` > 0 each word's count is smoothed towards its rate in news: ``weight``
pseudo-chunks at the background rate are added to the index's own counts (a Dirichlet prior). A large index
outweighs them; a small one borrows news's sense of which words are common. Off by default: measured over small
indexes it was no clear gain (docs/answers.md, *Small indexes: background word frequencies*).

The table (``app/models/background_df.npz``) is written by ``training/build_background_df.py`` from the 2022–2023
articles of the RealTimeQA corpus only (2024, the evaluation split, never enters it): for each stemmed term key
of the lexical index (``app.store.lexical.term_key``) held by at least ``MIN_CHUNKS`` chunks, how many chunks hold
it, and the number of chunks.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.retrieval.features import DocFreq
from app.store.lexical import term_key, tokens

BACKGROUND_FILE = Path(__file__).resolve().parent.parent / "models" / "background_df.npz"


@dataclass(frozen=True)
class BackgroundFrequencies:
    keys: np.ndarray  # int64 term keys, sorted
    counts: np.ndarray  # chunks holding each key
    chunks: int  # chunks in the background corpus

    @classmethod
    def load(cls, path: Path | None = None) -> BackgroundFrequencies:
        with np.load(path or BACKGROUND_FILE) as data:
            return cls(data["keys"], data["counts"], int(data["chunks"]))

    def rates(self, raw_words: Iterable[str]) -> dict[str, float]:
        """Share of background chunks holding each word as one whole term; 0 for a compound ("kim-putin"),
        as the index's own ``document_frequencies`` counts none, and for a word rarer than the table keeps."""
        out: dict[str, float] = {}
        for word in raw_words:
            parts = tokens(word)
            if len(parts) != 1:
                out[word] = 0.0
                continue
            key = term_key(parts[0])
            i = int(np.searchsorted(self.keys, key))
            found = i < len(self.keys) and self.keys[i] == key
            out[word] = float(self.counts[i]) / self.chunks if found else 0.0
        return out


class BackgroundTableError(RuntimeError):
    """CITEWIRE_BACKGROUND_DF_WEIGHT is set and the shipped table cannot be read (one line at start-up, no trace)."""


@lru_cache(maxsize=1)
def load_background() -> BackgroundFrequencies:
    try:
        return BackgroundFrequencies.load()
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise BackgroundTableError(
            f"CITEWIRE_BACKGROUND_DF_WEIGHT is set but {BACKGROUND_FILE} cannot be read ({type(exc).__name__}: "
            f"{exc}): reinstall Citewire, or set CITEWIRE_BACKGROUND_DF_WEIGHT=0") from None


def blended_doc_freq(local: DocFreq, background: BackgroundFrequencies | None, weight: float) -> DocFreq:
    """``local`` with ``weight`` pseudo-chunks at the background's rates added: (df + w·rate, total + w)."""
    if background is None or weight <= 0:
        return local

    def doc_freq(raw_words: list[str]) -> tuple[dict[str, float], float]:
        raw_words = list(raw_words)  # read three times below
        counts, total = local(raw_words)
        rates = background.rates(raw_words)
        return {w: counts.get(w, 0) + weight * rates[w] for w in raw_words}, total + weight

    # the index's own counts stay reachable: "does any indexed chunk hold this word" is theirs to answer
    # (app/answer/selection.py question_units), a blended count is never 0 for a word news knows
    doc_freq.local = local  # type: ignore[attr-defined]
    return doc_freq
