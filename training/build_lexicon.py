"""Build app/answer/lexicon.json.gz: WordNet synonyms, near senses and antonyms, keyed by stem.

    apt-get install wordnet-base            # Debian's WordNet 3.0 database (/usr/share/wordnet)
    python training/build_lexicon.py [--wordnet /usr/share/wordnet]

Why: wordllama's subword vectors put some synonyms far apart ("pledged" and "promised": cosine .25),
so the checker could not tell a faithful rewording from an antonym. WordNet can, and it is small once
cut down to what the checker asks: for a claim word the evidence lacks, is one of the evidence words
a synonym (shares a synset), a near sense (one hypernym step apart), or an antonym?

The output is deterministic (sorted keys, fixed gzip mtime) and keyed by ``app.text.stem`` so the
checker needs no lemmatiser: "pledged" and "pledge" share the stem "pledg". Only single-word
lemmas, only each word's most frequent senses (WordNet lists them in frequency order), and the
irregular forms of the exception lists ("rose" -> "rise"). No network at build or run time.
WordNet 3.0 Copyright 2006 by Princeton University (licence text kept in the file's "licence").
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.text import stem  # noqa: E402

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
SENSES = 4  # a word's most frequent senses per part of speech: rarer senses mostly add false synonyms
LICENCE = (
    "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. Permission to use, copy, "
    "modify and distribute this software and database and its documentation for any purpose and without fee "
    "or royalty is hereby granted, provided that you agree to comply with the following copyright notice and "
    "statements, including the disclaimer, and that the same appear on ALL copies of the software, database "
    "and documentation, including modifications that you make for internal use or for distribution. THIS "
    "SOFTWARE AND DATABASE IS PROVIDED \"AS IS\" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR "
    "WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY MAKES NO "
    "REPRESENTATIONS OR WARRANTIES OF MERCHANTABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF "
    "THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, "
    "TRADEMARKS OR OTHER RIGHTS. The name of Princeton University or Princeton may not be used in advertising "
    "or publicity pertaining to distribution of the software and/or database. Title to copyright in this "
    "software, database and any associated documentation shall at all times remain with Princeton University "
    "and LICENSEE agrees to preserve same."
)
OUT = REPO / "app" / "answer" / "lexicon.json.gz"


def _single(lemma: str) -> str | None:
    word = lemma.lower().split("(")[0]
    return word if word.isalpha() else None


def read_synsets(root: Path) -> tuple[dict, dict, list]:
    """(synset -> member words, synset -> hypernym synsets, word-level antonym synset pairs)."""
    members: dict[tuple[str, int], list[str]] = {}
    hypernyms: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    antonyms: list[tuple[tuple[str, int], tuple[str, int]]] = []
    for pos_file in ("noun", "verb", "adj", "adv"):
        for line in (root / f"data.{pos_file}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue  # the licence header
            fields = line.split(" | ")[0].split()
            offset, count = int(fields[0]), int(fields[3], 16)
            key = (pos_file, offset)
            members[key] = [fields[4 + 2 * i] for i in range(count)]
            at = 4 + 2 * count
            pointers = int(fields[at])
            for i in range(pointers):
                symbol, target, pos = fields[at + 1 + 4 * i : at + 4 + 4 * i]
                other = (POS_FILES[pos], int(target))
                if symbol in ("@", "@i"):
                    hypernyms[key].append(other)
                elif symbol == "!":
                    antonyms.append((key, other))
    return members, hypernyms, antonyms


def read_senses(root: Path) -> dict[str, list[tuple[str, int]]]:
    """word -> its most frequent synsets (index files list them by frequency)."""
    senses: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for pos_file in ("noun", "verb", "adj", "adv"):
        for line in (root / f"index.{pos_file}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split()
            word = _single(fields[0])
            if word is None:
                continue
            synsets, pointers = int(fields[2]), int(fields[3])
            offsets = fields[6 + pointers : 6 + pointers + synsets]
            senses[word].extend((pos_file, int(o)) for o in offsets[:SENSES])
    return senses


def read_exceptions(root: Path) -> dict[str, set[str]]:
    """Irregular form -> base forms ("rose" -> "rise", "won" -> "win")."""
    out: dict[str, set[str]] = defaultdict(set)
    for pos_file in ("noun", "verb", "adj", "adv"):
        for line in (root / f"{pos_file}.exc").read_text(encoding="latin-1").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].isalpha():
                out[parts[0]].update(p for p in parts[1:] if p.isalpha())
    return out


def build(root: Path) -> dict:
    members, hypernyms, antonym_links = read_synsets(root)
    senses = read_senses(root)
    exceptions = read_exceptions(root)
    for form, bases in exceptions.items():
        for base in sorted(bases):
            if base in senses and form != base:
                senses.setdefault(form, [])
                senses[form] = senses[form] + [s for s in senses[base] if s not in senses[form]]
    used = sorted({s for found in senses.values() for s in found})
    ids = {s: i for i, s in enumerate(used)}
    by_stem: dict[str, set[int]] = defaultdict(set)
    for word, found in senses.items():
        by_stem[stem(word)].update(ids[s] for s in found)
    broader: dict[int, list[int]] = {}
    for s in used:
        up = sorted(ids[h] for h in hypernyms.get(s, []) if h in ids)
        if up:
            broader[ids[s]] = up
    # Antonyms between whole synsets ('rise' vs 'fall' makes 'climb' vs 'drop' too), stem pairs both ways.
    pairs: set[tuple[str, str]] = set()
    for a, b in antonym_links:
        left = {stem(w) for w in map(_single, members[a]) if w}
        right = {stem(w) for w in map(_single, members[b]) if w}
        pairs.update((x, y) for x in left for y in right if x != y)
    # Irregular forms take their base's antonyms ('rose' vs 'fell' as 'rise' vs 'fall').
    forms: dict[str, set[str]] = defaultdict(set)
    for form, bases in exceptions.items():
        forms[stem(form)].update(stem(b) for b in bases if b != form)
    by_word: dict[str, set[str]] = defaultdict(set)
    for x, y in pairs:
        by_word[x].add(y)
    for form, bases in sorted(forms.items()):
        for base in sorted(bases):
            for other in sorted(by_word.get(base, ())):
                pairs.update({(form, other), (other, form)})
                for other_form in sorted(f for f, bs in forms.items() if other in bs):
                    pairs.update({(form, other_form), (other_form, form), (base, other_form), (other_form, base)})
    antonyms: dict[str, list[str]] = defaultdict(list)
    for x, y in sorted(pairs):
        if x != y:
            antonyms[x].append(y)
    return {
        "source": "WordNet 3.0 (Debian wordnet-base)", "built_by": "training/build_lexicon.py",
        "senses_per_word": SENSES, "licence": LICENCE,
        "synsets": {k: sorted(v) for k, v in sorted(by_stem.items()) if v},
        "hypernyms": {str(k): v for k, v in sorted(broader.items())},
        "antonyms": dict(sorted(antonyms.items())),
    }


def write(payload: dict, out: Path) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=False).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(raw)
    out.write_bytes(buffer.getvalue())
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"), help="WordNet 3.0 dict folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (args.wordnet / "data.noun").exists():
        print(f"error: no WordNet database at {args.wordnet} (apt-get install wordnet-base)", file=sys.stderr)
        return 1
    payload = build(args.wordnet)
    digest = write(payload, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {digest[:16]}): "
          f"{len(payload['synsets'])} stems, {sum(map(len, payload['antonyms'].values()))} antonym pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
