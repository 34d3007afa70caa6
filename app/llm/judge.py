"""An LLM yes/no faithfulness judge: P(yes) from the first token's log-probabilities.

Works with any OpenAI-compatible endpoint that returns ``logprobs`` (OpenAI, vLLM, llama.cpp);
where none come back, the answer text itself counts as 1 or 0.
"""

from __future__ import annotations

import math

from app.llm.client import LLMClient
from app.prompts import Prompt, fence


class LLMJudge:
    def __init__(self, client: LLMClient, prompt: Prompt) -> None:
        self.client = client
        self.prompt = prompt

    @property
    def model(self) -> str:
        return self.client.model

    def p_supported(self, claim: str, evidence: list[str]) -> float:
        messages = self.prompt.render(passage=fence("\n\n".join(evidence)), claim=claim)
        response = self.client.raw.chat.completions.create(
            model=self.client.model, messages=messages, max_tokens=1, temperature=self.client.temperature,
            logprobs=True, top_logprobs=10,
        )
        choice = response.choices[0]
        content = getattr(choice.logprobs, "content", None) if choice.logprobs else None
        if content:
            yes = no = 0.0
            for candidate in content[0].top_logprobs or []:
                token = candidate.token.strip().lower().rstrip(".,!:;")  # "Yes." and "no," are the same answers
                if token in ("yes", "y"):
                    yes += math.exp(candidate.logprob)
                elif token in ("no", "n"):
                    no += math.exp(candidate.logprob)
            if yes + no > 0:
                return yes / (yes + no)
        text = (choice.message.content or "").strip().lower()
        return 1.0 if text.startswith("yes") else 0.0
