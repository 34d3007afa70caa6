"""LLM answers: budgeted, fenced prompt → model → faithfulness guard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.answer.guard import FaithfulnessGuard
from app.answer.models import Answer
from app.llm.client import LLMClient
from app.offline import count_tokens, get_encoding
from app.prompts import Prompt
from app.retrieval.service import Passage

_MARGIN_TOKENS = 32


def fence(text: str) -> str:
    """Passage text is data: neutralise anything that could close the fence or fake a new passage."""
    return text.replace("<passage", "‹passage").replace("</passage", "‹/passage")


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


class LLMAnswerer:
    def __init__(self, client: LLMClient, prompt: Prompt, guard: FaithfulnessGuard, context_window: int,
                 max_tokens: int) -> None:
        self.client = client
        self.prompt = prompt
        self.guard = guard
        self.context_window = context_window
        self.max_tokens = max_tokens

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
        answer = self.guard.apply(tokens.text, plan.passages)
        answer.usage = tokens.usage | {"model": self.client.model, "prompt": self.prompt.id}
        yield "answer", answer
