"""The web page's error line (app/web/static/api.js describeError), run in Node when it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

API_JS = Path(__file__).resolve().parent.parent / "app" / "web" / "static" / "api.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
@pytest.mark.parametrize("body, said", [
    # the API's 415 repeats its error at the start of its detail: the page said "unsupported file type" twice
    ({"error": "unsupported file type", "detail": "unsupported file type: 'doc.pdf' (supported: .txt)"},
     "unsupported file type: 'doc.pdf' (supported: .txt)"),
    ({"error": "article not found", "detail": "nope"}, "article not found: nope"),
    ({"error": "invalid request", "detail": [{"msg": "question is empty"}]}, "invalid request: question is empty"),
])
def test_the_page_says_an_error_once(body, said):
    script = (f"import {{ describeError }} from {json.dumps(API_JS.as_uri())};"
              f"process.stdout.write(describeError({json.dumps(body)}, 400));")
    result = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == said
