"""Build app/answer/lemmas.json.gz: the base forms of WordNet's irregular forms ("went" -> "go"), keyed by stem.

    apt-get install wordnet-base            # Debian's WordNet 3.0 database (/usr/share/wordnet)
    python training/build_lemmas.py [--wordnet /usr/share/wordnet]

Why: the answer features look WordNet up by ``app.text.stem``, which does not lemmatise irregular forms
("went", "took", "men", "best" stay as they are). The checker's lexicon (build_lexicon.py) folds each
irregular form's senses into its own entry, but a stem of an irregular form still never equals, nor
shares every sense with, its base ("won" vs "win"). This file maps the stem of every form in the
exception lists (verb.exc, noun.exc, adj.exc, adv.exc) to the stems of its base forms, so the answer
features can also compare the bases. It is separate from lexicon.json.gz so the checker, trained on
that file, is untouched. Deterministic output (sorted keys, fixed gzip mtime); no network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_lexicon import LICENCE, REPO, read_exceptions, stem, write  # noqa: E402

OUT = REPO / "app" / "answer" / "lemmas.json.gz"


def build(root: Path) -> dict:
    lemmas: dict[str, set[str]] = {}
    for form, bases in read_exceptions(root).items():
        found = {stem(b) for b in bases} - {stem(form)}
        if found:
            lemmas.setdefault(stem(form), set()).update(found)
    return {"source": "WordNet 3.0 exception lists (Debian wordnet-base)", "built_by": "training/build_lemmas.py",
            "licence": LICENCE, "lemmas": {k: sorted(v) for k, v in sorted(lemmas.items())}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"), help="WordNet 3.0 dict folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (args.wordnet / "verb.exc").exists():
        print(f"error: no WordNet exception lists at {args.wordnet} (apt-get install wordnet-base)", file=sys.stderr)
        return 1
    payload = build(args.wordnet)
    digest = write(payload, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {digest[:16]}): "
          f"{len(payload['lemmas'])} irregular stems")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
