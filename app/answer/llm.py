"""LLM answers: budgeted, fenced prompt → model → faithfulness guard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from app.answer.extractive import Candidate, candidate_sentences, near_duplicate, restates
from app.answer.guard import FaithfulnessGuard
from app.answer.models import Answer
from app.llm.client import LLMClient, strip_reasoning
from app.offline import count_tokens, get_encoding
from app.prompts import Prompt, fence
from app.retrieval.service import Passage
from app.text import sentence_spans

_MARGIN_TOKENS = 32


def render_passage(n: int, passage: Passage, text: str | None = None) -> str:
    meta = ", ".join(x for x in (passage.title, passage.source, passage.published_at or "") if x)
    return f'Passage [{n}]: ({fence(meta)})\n<passage id="{n}">\n{fence(text if text is not None else passage.text)}\n</passage>'


@dataclass
class PromptPlan:
    messages: list[dict]
    passages: list[Passage]  # the passages the model saw, numbered 1..n
    prompt_tokens: int


def pack_passages(passages: list[Passage], budget: int, first_number: int = 1) -> list[str]:
    """Render passages, best first, while they fit in ``budget`` tokens; the last one may be trimmed."""
    rendered: list[str] = []
    remaining = budget
    for passage in passages:
        number = first_number + len(rendered)
        block = render_passage(number, passage)
        cost = count_tokens(block) + 2
        if cost <= remaining:
            rendered.append(block)
            remaining -= cost
            continue
        overhead = count_tokens(render_passage(number, passage, "")) + 2
        if remaining - overhead > 40:  # trim the passage to what is left, at a token boundary
            encoding = get_encoding()
            head = encoding.decode(encoding.encode(passage.text, disallowed_special=())[: remaining - overhead - 4])
            rendered.append(render_passage(number, passage, head))
        break
    return rendered


def plan_prompt(prompt: Prompt, question: str, passages: list[Passage], context_window: int, max_tokens: int) -> PromptPlan:
    """Fit the passages, best first, into what the context window leaves after the answer's tokens."""
    budget = context_window - max_tokens - _MARGIN_TOKENS
    fixed = count_tokens(prompt.system) + count_tokens(prompt.user.format(passages="", question=question)) + 16
    if fixed >= budget:
        raise ValueError("the question alone does not fit in the model's context window")
    rendered = pack_passages(passages, budget - fixed)
    messages = prompt.render(passages="\n\n".join(rendered), question=question)
    total = sum(count_tokens(m["content"]) for m in messages)
    return PromptPlan(messages, passages[: len(rendered)], total)


def rank_sentences(extractive, question: str, passages: list[Passage]) -> list[Candidate] | None:
    """The passages' sentences, best answer first, by the hand-weighted scorer (the learned answerer
    carries one too): with excerpts of 2 sentences its ranking kept every expected fact of the suite
    in the prompt (42/42) where the learned selector's kept 35/42 (docs/performance.md).
    None when the answerer has no scorer."""
    scorer = getattr(extractive, "scorer", None) or getattr(getattr(extractive, "selector", None), "heuristic", None)
    if scorer is None:
        return None
    candidates = [c for c in candidate_sentences(passages) if not restates(c.text, question)]
    scores = scorer.score(question, [c.text for c in candidates], [c.passage.title for c in candidates],
                          [c.previous for c in candidates], [c.passage.text for c in candidates])
    ranked = sorted(zip(candidates, scores), key=lambda cs: cs[1].score - 0.01 * cs[0].rank, reverse=True)
    return [c for c, _ in ranked]


def excerpt_passages(ranked: list[Candidate], sentences: int, max_chunks: int) -> list[Passage]:
    """The best ``sentences`` sentences (from at most ``max_chunks`` chunks), each with the sentence
    before it (or after, for a chunk's first), as contiguous excerpts of their chunks, best first.

    An excerpt is a Passage whose text and article offsets are a slice of its chunk's, with the
    chunk's id: the guard checks claims against what the model saw and citations quote the
    article verbatim, as with whole chunks. A prompt of excerpts is about half as long as whole chunks'
    (docs/performance.md): prefill is what the local model's time to first token is made of."""
    chosen: dict[str, tuple[Passage, set[int]]] = {}
    texts: list[str] = []
    for c in ranked:
        if len(texts) >= sentences:
            break
        if c.text.rstrip("\"'”’) ").endswith("?") or any(near_duplicate(c.text, t) for t in texts):
            continue
        if c.passage.chunk_id not in chosen and len(chosen) >= max_chunks:
            continue
        spans = sentence_spans(c.passage.text, offset=c.passage.char_start)
        at = next((i for i, s in enumerate(spans) if s.start <= c.start < s.end), None)
        if at is None:
            continue
        texts.append(c.text)
        picked = chosen.setdefault(c.passage.chunk_id, (c.passage, set()))[1]
        picked.update({at, at - 1 if at > 0 else at + 1} & set(range(len(spans))))
    out: list[Passage] = []
    for passage, picked in chosen.values():
        spans = sentence_spans(passage.text, offset=passage.char_start)
        run: list[int] = []
        for i in sorted(picked) + [-2]:
            if run and i != run[-1] + 1:
                start, end = spans[run[0]].start, spans[run[-1]].end
                text = passage.text[start - passage.char_start : end - passage.char_start]
                out.append(replace(passage, text=text, char_start=start, char_end=end))
                run = []
            run.append(i)
    return out


class LLMAnswerer:
    def __init__(self, client: LLMClient, prompt: Prompt, guard: FaithfulnessGuard, context_window: int,
                 max_tokens: int, excerpt_sentences: int = 0) -> None:
        self.client = client
        self.prompt = prompt
        self.guard = guard
        self.context_window = context_window
        self.max_tokens = max_tokens
        self.excerpt_sentences = excerpt_sentences

    def context(self, question: str, passages: list[Passage], extractive, max_chunks: int) -> list[Passage] | None:
        """Excerpts around the best-ranked sentences (``excerpt_sentences`` > 0), else None: the caller
        then sends whole chunks."""
        if self.excerpt_sentences <= 0:
            return None
        ranked = rank_sentences(extractive, question, passages)
        if not ranked:
            return None
        return excerpt_passages(ranked, self.excerpt_sentences, max_chunks) or None

    def plan(self, question: str, passages: list[Passage]) -> PromptPlan:
        return plan_prompt(self.prompt, question, passages, self.context_window, self.max_tokens)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        plan = self.plan(question, passages)
        completion = self.client.complete(plan.messages, self.max_tokens)
        answer = self.guard.apply(completion.text, plan.passages)
        answer.usage = completion.usage | {"model": completion.model, "prompt": self.prompt.id}
        return answer

    def stream(self, question: str, passages: list[Passage]) -> Iterator[tuple[str, object]]:
        """Yields ("delta", text) while generating, then ("answer", Answer). Closing the iterator
        closes the HTTP stream, which stops generation."""
        plan = self.plan(question, passages)
        tokens = self.client.stream(plan.messages, self.max_tokens)
        try:
            for delta in tokens:
                yield "delta", delta
        finally:
            tokens.close()
        answer = self.guard.apply(strip_reasoning(tokens.text), plan.passages)
        answer.usage = tokens.usage | {"model": self.client.model, "prompt": self.prompt.id}
        yield "answer", answer
