"""LLM summaries by map-reduce, so articles longer than the context window work.

Map: passages (chunks, numbered once for the whole job) are packed into prompts that fit the
window; each partial summary cites passage numbers and is checked by the faithfulness guard.
Reduce: the verified notes (never raw passages) are merged into one summary, which is guarded
again against the same numbered passages.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.answer.citations import CitationBook
from app.answer.guard import FaithfulnessGuard, Verified
from app.answer.llm import pack_passages
from app.answer.models import AnswerSentence
from app.llm.client import LLMClient
from app.offline import count_tokens
from app.prompts import Prompt
from app.retrieval.service import Passage

_MARGIN = 48


@dataclass
class LLMSummary:
    sentences: list[AnswerSentence]
    guard: dict
    usage: dict
    map_calls: int


class LLMSummarizer:
    def __init__(self, client: LLMClient, map_prompt: Prompt, reduce_prompt: Prompt, guard: FaithfulnessGuard,
                 context_window: int, max_tokens: int) -> None:
        self.client = client
        self.map_prompt = map_prompt
        self.reduce_prompt = reduce_prompt
        self.guard = guard
        self.context_window = context_window
        self.max_tokens = max_tokens

    def summarize(self, passages: list[Passage], max_words: int, book: CitationBook) -> LLMSummary:
        usage: dict[str, int] = {}
        guard_total = {"kept": 0, "fixed": 0, "dropped": 0, "marked": 0}
        notes: list[Verified] = []
        calls = 0
        judge_budget = [self.guard.judge_budget]  # per summary, as CITEWIRE_GUARD_JUDGE_BUDGET says
        fixed = count_tokens(self.map_prompt.system) + count_tokens(self.map_prompt.user.format(passages="", sentences=4))
        budget = self.context_window - self.max_tokens - fixed - _MARGIN
        start = 0
        while start < len(passages):
            blocks = pack_passages(passages[start:], budget, first_number=start + 1)
            if not blocks:
                raise ValueError("the context window is too small for even one passage")
            completion = self.client.complete(
                self.map_prompt.render(passages="\n\n".join(blocks), sentences="4"), self.max_tokens)
            calls += 1
            _add(usage, completion.usage)
            shown = list(range(start + 1, start + len(blocks) + 1))
            verified, summary = self.guard.verify(completion.text, passages, scope=shown, budget=judge_budget)
            _add(guard_total, summary)
            notes.extend(v for v in verified if v.status != "unsupported")
            start += len(blocks)
        # Reduce, in as many rounds as the notes need to fit the window.
        while calls > 1 and len(notes) > 1 or sum(len(n.text.split()) for n in notes) > max_words:
            groups = self._note_groups(notes, max_words)
            merged: list[Verified] = []
            for group in groups:
                lines = "\n".join(_note_line(n) for n in group)
                completion = self.client.complete(
                    self.reduce_prompt.render(notes=lines, max_words=str(max_words)), self.max_tokens)
                calls += 1
                _add(usage, completion.usage)
                cited = sorted({p for n in group for p in n.passages})
                verified, summary = self.guard.verify(completion.text, passages, scope=cited, budget=judge_budget)
                _add(guard_total, summary)
                merged.extend(v for v in verified if v.status != "unsupported")
            if len(groups) == 1 or len(merged) >= len(notes):
                notes = merged
                break
            notes = merged
        kept = _within(notes, max_words)
        return LLMSummary(self.guard.cite(kept, passages, book), guard_total, usage, calls)

    def _note_groups(self, notes: list[Verified], max_words: int) -> list[list[Verified]]:
        fixed = count_tokens(self.reduce_prompt.system) + count_tokens(
            self.reduce_prompt.user.format(notes="", max_words=max_words))
        budget = self.context_window - self.max_tokens - fixed - _MARGIN
        groups: list[list[Verified]] = [[]]
        used = 0
        for note in notes:
            cost = count_tokens(_note_line(note)) + 1
            if groups[-1] and used + cost > budget:
                groups.append([])
                used = 0
            groups[-1].append(note)
            used += cost
        return groups


def _note_line(note: Verified) -> str:
    return f"- {note.text} " + "".join(f"[{p}]" for p in note.passages)


def _within(sentences: list[Verified], max_words: int) -> list[Verified]:
    out, used = [], 0
    for sentence in sentences:
        size = len(sentence.text.split())
        if used + size > max_words:
            continue
        out.append(sentence)
        used += size
    return out


def _add(total: dict, part: dict) -> None:
    for key, value in part.items():
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
