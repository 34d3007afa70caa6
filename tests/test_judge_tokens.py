"""The judge reads P(yes) from the first token's top log-probabilities: "Yes." and "yes" are one answer, as "no," and
"no" are. A "yes." token was ignored while "no" counted, so P(yes) came out 0 (found by a bug hunt, 2026-11-29)."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from app.llm.judge import LLMJudge
from app.prompts import load_prompt


def _judge(top: dict[str, float]) -> LLMJudge:
    candidates = [SimpleNamespace(token=t, logprob=math.log(p)) for t, p in top.items()]
    choice = SimpleNamespace(logprobs=SimpleNamespace(content=[SimpleNamespace(top_logprobs=candidates)]),
                             message=SimpleNamespace(content="ignored"))
    completions = SimpleNamespace(create=lambda **_: SimpleNamespace(choices=[choice]))
    client = SimpleNamespace(raw=SimpleNamespace(chat=SimpleNamespace(completions=completions)), model="m",
                             temperature=0.0)
    return LLMJudge(client, load_prompt(None, "judge"))


@pytest.mark.parametrize("top, p", [
    ({"Yes.": 0.6, "no": 0.2}, 0.75),
    ({" yes": 0.3, "Yes": 0.3, "No,": 0.2}, 0.75),
    ({"no.": 0.9, "maybe": 0.1}, 0.0),
])
def test_punctuated_yes_and_no_tokens_count(top, p):
    assert _judge(top).p_supported("Kim met Putin.", ["Kim met Putin at Vostochny."]) == pytest.approx(p)
