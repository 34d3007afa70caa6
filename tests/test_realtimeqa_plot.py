"""benchmarks/realtimeqa_plot.py: issue 8's targets against each pipeline's 2024 figures, as a picture."""

from __future__ import annotations

import json

from tests.conftest import REPO


def _script(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import realtimeqa_plot

    return realtimeqa_plot


def _results(value: float) -> dict:
    return {m: [value, value - 0.03, value + 0.03] for m in ("hit@5", "containment", "citation_precision",
                                                              "refusal", "false_refusal", "hit@1")}


def test_plots_every_target_for_each_pipeline(tmp_path, monkeypatch):
    plot = _script(monkeypatch)
    source = tmp_path / "realtimeqa.json"
    source.write_text(json.dumps({"scope": "full index", "questions": 562, "unanswerable": 150,
                                  "results": {"old": _results(0.4), "new": _results(0.6)}}))
    out = tmp_path / "targets.png"
    assert plot.main([str(source), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_a_file_without_the_target_metrics_is_one_line_and_no_picture(tmp_path, monkeypatch, capsys):
    plot = _script(monkeypatch)
    source = tmp_path / "realtimeqa.json"
    source.write_text(json.dumps({"results": {"new": {"hit@5": [0.7, 0.6, 0.8]}}}))
    out = tmp_path / "targets.png"
    assert plot.main([str(source), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "containment" in err and err.count("\n") == 1
    assert not out.exists()
    source.write_text("not json")
    assert plot.main([str(source), "--out", str(out)]) == 2
