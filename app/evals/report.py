"""Write eval results as JSON (machines), Markdown (people), and a PNG (a glance)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from app.answer.support import NAME as CHECKER_NAME
from app.answer.support import VERSION as CHECKER_VERSION
from app.evals.runner import EvalResult


def checker_meta() -> dict:
    """Which faithfulness checker scored citation recall/precision and faithfulness."""
    return {"checker": CHECKER_NAME, "checker_version": CHECKER_VERSION}


def write_reports(result: EvalResult, thresholds: dict, failures: list[str], out: Path, meta: dict) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "markdown": out / "report.md", "plot": out / "report.png"}
    meta = {**checker_meta(), **meta}
    payload = {"generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **meta,
               "metrics": result.metrics, "measured_over": result.over, "thresholds": thresholds,
               "gate_failures": failures,
               "cases": result.cases, "latency_ms": dict(result.latency_ms)}
    paths["json"].write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    paths["markdown"].write_text(_markdown(result, thresholds, failures, meta))
    _plot(result, thresholds, paths["plot"])
    return paths


def _sampled(meta: dict) -> str:
    per_kind = meta.get("cases_per_kind", "all")
    return "" if per_kind == "all" else f" (at most {per_kind} of each kind: a sample, not the gate's verdict)"


def _verdict(failures: list[str], meta: dict) -> str:
    """"gate: FAILED" only where the gate is enforced (``--gate``): without it the run exits 0, and said so."""
    if meta.get("gate_enforced"):
        return f"gate: {'FAILED' if failures else 'passed'}"
    return (f"{len(failures)} below the gate thresholds (not enforced without --gate)" if failures
            else "thresholds met (not enforced without --gate)")


def _missing(meta: dict) -> list[str]:
    missing = meta.get("cases_naming_missing_articles") or []
    if not missing:
        return []
    names = "1 case names" if len(missing) == 1 else f"{len(missing)} cases name"
    return [f"**{names} articles this target does not hold** ({', '.join(missing[:10])}"
            f"{', …' if len(missing) > 10 else ''}): their retrieval and answers cannot be right here. Your own "
            "corpus is evaluated with `--url` (a running `citewire serve`) or `--index DIR` (its data dir).", ""]


def _markdown(result: EvalResult, thresholds: dict, failures: list[str], meta: dict) -> str:
    lines = ["# Citewire eval report", "", f"Target: {meta.get('target')} · suite: {meta.get('suite')} · "
             f"cases: {len(result.cases)}{_sampled(meta)} · {_verdict(failures, meta)} · "
             f"checker: {meta.get('checker')} {meta.get('checker_version')}", "", *_missing(meta),
             "| metric | value | threshold | ok | computed over |", "|---|---|---|---|---|"]
    for name, value in result.metrics.items():
        rule = thresholds.get(name, {})
        bound = f">= {rule['min']}" if "min" in rule else f"<= {rule['max']}" if "max" in rule else ""
        ok = "" if not rule else ("yes" if not any(f.startswith(name + " ") or f.startswith(name + ":") for f in failures) else "**no**")
        lines.append(f"| {name} | {value:.3f} | {bound} | {ok} | {result.over.get(name, '')} |")
    failed = result.failures
    lines += ["", f"## Failing cases ({len(failed)})", ""]
    for case in failed:
        lines.append(f"### {case['id']} ({case['kind']}): {case['question']}")
        lines.append("")
        lines.append(f"- answerable: {case.get('answerable')} · fact coverage: {case.get('fact_coverage')} · "
                     f"retrieval rank: {case.get('retrieval_rank')}")
        lines.append(f"- answer: {case.get('answer')}")
        if case.get("refusal_reason") or case.get("guard"):
            lines.append(f"- refusal reason: {case.get('refusal_reason')} · guard: {case.get('guard')}")
        for c in case.get("citations", []):
            lines.append(f"  - [{c['n']}] {c['article_id']} [{c['char_start']}:{c['char_end']}] “{_cut(c['quote'])}”")
        lines.append("")
    return "\n".join(lines) + "\n"


def _plot(result: EvalResult, thresholds: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    quality = {k: v for k, v in result.metrics.items() if not k.startswith("latency_")}
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    names = list(quality)
    colours = []
    for name in names:
        rule = thresholds.get(name, {})
        ok = (quality[name] >= rule["min"]) if "min" in rule else (quality[name] <= rule["max"]) if "max" in rule else True
        colours.append("#2e7d32" if ok else "#c62828")
    left.barh(names, [quality[n] for n in names], color=colours)
    for i, name in enumerate(names):
        rule = thresholds.get(name, {})
        if rule:
            bound = rule.get("min", rule.get("max"))
            left.plot([bound, bound], [i - 0.4, i + 0.4], color="black", linewidth=2)
    left.set_xlim(0, 1.05)
    left.invert_yaxis()
    left.set_title("Quality metrics (bar) vs thresholds (black line)")
    for path_name, values in result.latency_ms.items():
        right.hist(values, bins=20, alpha=0.6, label=path_name)
    right.set_xlabel("latency (ms)")
    right.set_title("Latency per endpoint")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cut(quote: str, limit: int = 200) -> str:
    """A failing case's quote, cut at ``limit`` characters with an ellipsis: cut without one it read as the quote."""
    return quote if len(quote) <= limit else quote[:limit].rstrip() + "…"
