"""Labelled (claim, evidence) pairs for training and measuring the faithfulness checker.

Sources, all read by path from ../shared/data (never copied): SummEdits-dev (seven domains),
QAGS, and synthetic pairs made from RealTimeQA corpus sentences (supported: the sentence, a
compression, a fusion of two adjacent sentences, a reordering, a synonym, a paraphrase doing several of
these at once; unsupported: a
same-article entity swap, a changed number or date, a negation inserted or removed, an antonym,
a subject/object swap, an unsupported addition).
"""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from app.text import STOPWORDS, sentence_spans

SUMMEDITS_DOMAINS = ("ectsum", "podcast", "qmsumm", "sales_call", "sales_email", "samsum", "scitldr")


@dataclass(slots=True)
class Pair:
    source: str  # summedits | qags | synthetic
    domain: str  # summedits domain, qags subset, or the perturbation type
    group: str  # items sharing a document (never split across folds)
    item: str  # the unit a label is scored on (a SummEdits summary; otherwise the pair itself)
    claim: str
    evidence: str
    label: bool
    item_label: bool
    trainable: bool = True  # False where only the item's label is known, not this sentence's


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def load_summedits(root: Path, domains=SUMMEDITS_DOMAINS, limit: int | None = None) -> list[Pair]:
    """One pair per summary sentence. A consistent summary's sentences are all supported; in an
    edited one, the sentences that also stand in the group's original (``_og``, consistent) summary
    are supported and the others carry the edit. Edited summaries without an original are skipped
    for training (their label is only known per summary) but kept for measurement."""
    pairs = []
    for domain in domains:
        with gzip.open(root / f"{domain}.jsonl.gz", "rt") as handle:
            records = [json.loads(line) for line in handle]
        records = records[: limit or None]
        originals = {r["id"].rsplit("_", 1)[0]: set(sentences(r["summary"])) for r in records
                     if r["id"].endswith("_og") and int(r["label"]) == 1}
        for r in records:
            group = f"{domain}:{r['id'].rsplit('_', 1)[0]}"
            consistent = int(r["label"]) == 1
            original = originals.get(r["id"].rsplit("_", 1)[0])
            for sentence in sentences(r["summary"]) or [r["summary"]]:
                label = consistent or (original is not None and sentence in original)
                pairs.append(Pair("summedits", domain, group, f"{domain}:{r['id']}", sentence, r["doc"], label,
                                  consistent, consistent or original is not None))
    return pairs


def load_qags(root: Path) -> list[Pair]:
    pairs = []
    for file in sorted(root.glob("*.jsonl")):
        subset = file.stem.replace("mturk_", "")
        for n, line in enumerate(file.open()):
            record = json.loads(line)
            for k, item in enumerate(record["summary_sentences"]):
                votes = [r["response"] if isinstance(r, dict) else r for r in item["responses"]]
                label = sum(str(v).lower().startswith("y") for v in votes) * 2 > len(votes)
                pairs.append(Pair("qags", subset, f"qags:{subset}:{n}", f"qags:{subset}:{n}:{k}", item["sentence"],
                                  record["article"], label, label))
    return pairs


# --- synthetic pairs from news sentences ------------------------------------------------------
# Small hand-written lexicons: training data only (the model must not depend on them at run time).
SYNONYMS = {
    "pledged": "promised", "promised": "pledged", "said": "stated", "told": "informed", "big": "large",
    "large": "big", "small": "little", "began": "started", "started": "began", "begin": "start", "ended": "finished",
    "bought": "purchased", "buy": "purchase", "help": "assist", "helped": "assisted", "rose": "increased",
    "fell": "declined", "killed": "slain", "died": "perished", "attack": "assault", "attacked": "assaulted",
    "showed": "demonstrated", "shows": "demonstrates", "try": "attempt", "tried": "attempted", "need": "require",
    "needs": "requires", "announced": "declared", "met": "gathered", "meeting": "talks", "quickly": "rapidly",
    "hard": "difficult", "difficult": "hard", "important": "significant", "major": "significant",
    "chose": "selected", "picked": "selected", "leader": "head", "country": "nation", "nation": "country",
    "enough": "sufficient", "almost": "nearly", "nearly": "almost", "about": "around", "around": "about",
    "warned": "cautioned", "fight": "battle", "battle": "fight", "war": "conflict", "car": "vehicle",
    "children": "kids", "people": "individuals", "company": "firm", "firm": "company", "job": "position",
    "jobs": "positions", "law": "legislation", "rules": "regulations", "talked": "spoke", "asked": "requested",
    "gave": "provided", "give": "provide", "shut": "closed", "hit": "struck", "built": "constructed",
    # more news verbs, nouns and adjectives, so substitutions span many words and word-vector distances
    "pledge": "promise", "pledges": "promises", "promise": "pledge", "vowed": "pledged", "vow": "pledge",
    "stated": "said", "says": "states", "claimed": "asserted", "argued": "contended", "insisted": "maintained",
    "criticized": "condemned", "praised": "commended", "urged": "called on", "demanded": "called for",
    "reported": "said", "revealed": "disclosed", "confirmed": "verified", "denied": "rejected",
    "received": "got", "obtained": "acquired", "acquired": "bought", "sold": "sold off", "paid": "spent",
    "launched": "started", "created": "formed", "founded": "established", "established": "set up",
    "finished": "completed", "completed": "finished", "stopped": "halted",
    "halted": "stopped", "continued": "kept going", "remained": "stayed", "stayed": "remained",
    "left": "departed", "arrived": "came", "returned": "came back", "traveled": "travelled", "visited": "toured",
    "moved": "relocated", "sent": "dispatched", "dispatched": "sent", "carried": "transported",
    "injured": "wounded", "wounded": "injured", "damaged": "harmed", "destroyed": "wrecked",
    "seized": "captured", "captured": "seized", "arrested": "detained", "detained": "held", "charged": "accused",
    "accused": "charged", "convicted": "found guilty", "sentenced": "jailed", "investigating": "probing",
    "investigation": "probe", "probe": "investigation", "inquiry": "investigation",
    "increased": "rose", "grew": "expanded", "expanded": "grew", "declined": "fell", "dropped": "fell",
    "reduced": "cut", "boosted": "raised", "surged": "jumped", "jumped": "surged", "plunged": "tumbled",
    "decided": "chose", "agreed": "consented", "approved": "passed", "signed": "inked", "proposed": "suggested",
    "suggested": "proposed", "planned": "intended", "plans": "intends", "expects": "anticipates",
    "expected": "anticipated", "hopes": "wishes", "believes": "thinks", "thinks": "believes",
    "considered": "weighed", "discussed": "talked about", "described": "called", "called": "described",
    "noted": "observed", "explained": "said", "added": "said", "replied": "responded", "responded": "replied",
    "allowed": "permitted", "permitted": "allowed", "banned": "prohibited", "prohibited": "banned",
    "required": "mandated", "forced": "compelled", "helps": "aids", "protect": "defend", "defend": "protect",
    "protected": "shielded", "supported": "backed", "backed": "supported", "support": "backing",
    "opposed": "resisted", "threatened": "menaced", "feared": "worried", "worried": "concerned",
    "concerned": "worried", "afraid": "scared", "happy": "glad", "angry": "furious",
    "huge": "enormous", "enormous": "huge", "tiny": "minute", "significant": "substantial",
    "substantial": "considerable", "serious": "grave", "severe": "harsh", "key": "crucial", "crucial": "vital",
    "vital": "essential", "main": "principal", "primary": "main", "recent": "latest", "latest": "newest",
    "former": "previous", "previous": "prior", "current": "present", "final": "last", "entire": "whole",
    "whole": "entire", "total": "overall", "several": "a number of", "many": "numerous", "numerous": "many",
    "various": "different", "rapid": "fast", "fast": "quick", "quick": "fast", "slowly": "gradually",
    "immediately": "at once", "recently": "lately", "often": "frequently", "frequently": "often",
    "currently": "now", "also": "too", "however": "but", "because": "since", "mostly": "largely",
    "largely": "mostly", "mainly": "chiefly", "approximately": "about", "roughly": "approximately",
    "officials": "authorities", "authorities": "officials", "official": "officer", "lawmakers": "legislators",
    "legislators": "lawmakers", "president": "head of state", "residents": "inhabitants", "citizens": "people",
    "troops": "soldiers", "soldiers": "troops", "police": "officers", "victims": "casualties",
    "businesses": "companies", "companies": "firms", "firms": "companies", "workers": "employees",
    "employees": "workers", "customers": "clients", "clients": "customers", "students": "pupils",
    "town": "municipality", "city": "municipality", "region": "area", "area": "region", "home": "house",
    "house": "home", "building": "structure", "road": "street", "plan": "proposal", "proposal": "plan",
    "agreement": "deal", "deal": "agreement", "decision": "ruling", "ruling": "decision", "rule": "regulation",
    "statement": "remarks", "remarks": "comments", "comments": "remarks", "report": "account",
    "study": "research", "research": "study", "data": "figures", "figures": "numbers", "cost": "price",
    "price": "cost", "prices": "costs", "money": "funds", "funds": "money", "funding": "financing",
    "budget": "spending plan", "tax": "levy", "taxes": "levies", "economy": "economic system",
    "election": "vote", "vote": "ballot", "campaign": "drive", "crisis": "emergency", "emergency": "crisis",
    "disaster": "catastrophe", "conflict": "war", "fighting": "combat", "attacks": "assaults",
    "strike": "attack", "threat": "danger", "danger": "threat", "risk": "danger", "problem": "issue",
    "issue": "problem", "problems": "issues", "issues": "problems", "effort": "attempt", "efforts": "attempts",
    "goal": "aim", "aim": "goal", "chance": "opportunity", "opportunity": "chance", "result": "outcome",
    "outcome": "result", "reason": "cause", "impact": "effect", "effect": "impact", "change": "shift",
    "changes": "shifts", "growth": "expansion", "loss": "defeat", "win": "victory", "victory": "win",
}
ANTONYMS = {
    "increase": "decrease", "increased": "decreased", "decrease": "increase", "decreased": "increased",
    "rose": "fell", "fell": "rose", "rise": "fall", "won": "lost", "lost": "won", "win": "lose", "lose": "win",
    "higher": "lower", "lower": "higher", "more": "fewer", "most": "least", "first": "last", "last": "first",
    "approved": "rejected", "rejected": "approved", "accepted": "refused", "support": "oppose",
    "supported": "opposed", "opposed": "supported", "allow": "ban", "allowed": "banned", "banned": "allowed",
    "open": "closed", "opened": "closed", "closed": "opened", "strong": "weak", "weak": "strong",
    "large": "small", "big": "small", "small": "large", "new": "old", "old": "new", "early": "late",
    "late": "early", "before": "after", "after": "before", "up": "down", "down": "up", "gained": "lost",
    "positive": "negative", "negative": "positive", "guilty": "innocent", "arrested": "released",
    "released": "arrested", "entered": "left", "joined": "left", "raised": "cut", "cut": "raised",
    "good": "bad", "best": "worst", "worst": "best", "highest": "lowest", "lowest": "highest",
    "public": "private", "private": "public", "long": "short", "short": "long", "easy": "hard",
    "agreed": "refused", "ally": "rival", "peace": "war", "legal": "illegal", "illegal": "legal",
    "north": "south", "south": "north", "east": "west", "west": "east", "domestic": "foreign",
    # more, so unsupported substitutions span word-vector distances too (some antonyms sit close)
    "increases": "decreases", "rising": "falling", "falling": "rising", "grew": "shrank", "expanded": "contracted",
    "gain": "loss", "loss": "gain", "profit": "loss", "surplus": "deficit", "boosted": "reduced",
    "accept": "reject", "accepts": "rejects", "approve": "reject", "approves": "rejects", "passed": "failed",
    "succeeded": "failed", "success": "failure", "victory": "defeat", "defeat": "victory", "defeated": "lost to",
    "praised": "criticized", "criticized": "praised", "welcomed": "condemned", "condemned": "welcomed",
    "agree": "disagree", "confirmed": "denied", "denied": "confirmed", "admitted": "denied", "include": "exclude",
    "included": "excluded", "hired": "fired", "fired": "hired", "bought": "sold", "sold": "bought",
    "buy": "sell", "sell": "buy", "imports": "exports", "exports": "imports", "import": "export",
    "started": "ended", "ended": "started", "began": "ended", "begin": "end", "start": "end", "opens": "closes",
    "launched": "cancelled", "created": "eliminated", "added": "removed", "removed": "added",
    "maximum": "minimum", "minimum": "maximum", "above": "below", "below": "above",
    "inside": "outside", "outside": "inside", "upper": "lower", "left": "right", "right": "left",
    "younger": "older", "older": "younger", "young": "old", "cheaper": "costlier", "expensive": "cheap",
    "cheap": "expensive", "rich": "poor", "poor": "rich", "wealthy": "poor", "safe": "dangerous",
    "dangerous": "safe", "healthy": "sick", "alive": "dead", "dead": "alive", "survived": "died",
    "died": "survived", "full": "empty", "empty": "full", "true": "false", "false": "true", "correct": "wrong",
    "wrong": "right", "likely": "unlikely", "unlikely": "likely", "possible": "impossible", "able": "unable",
    "popular": "unpopular", "successful": "unsuccessful", "official": "unofficial", "major": "minor",
    "minor": "major", "increasing": "decreasing", "faster": "slower", "slower": "faster",
    "quickly": "slowly", "slowly": "quickly", "always": "rarely", "often": "rarely", "everyone": "no one",
    "all": "none", "many": "few", "few": "many", "majority": "minority", "minority": "majority",
    "winner": "loser", "winners": "losers", "friend": "enemy", "allies": "rivals", "ceasefire": "offensive",
    "conservative": "liberal", "liberal": "conservative", "republican": "democratic", "internal": "external",
    "permanent": "temporary", "temporary": "permanent", "convicted": "acquitted",
    "acquitted": "convicted", "resigned": "was reappointed", "leads": "trails", "led": "trailed",
}
AUXILIARIES = ("is", "are", "was", "were", "will", "would", "can", "could", "has", "have", "had", "should",
               "does", "did", "do", "must", "may", "might")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NAME = re.compile(r"(?<=\s)([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_NUM = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)(?![\w])")
ADDITIONS = ("killing at least {n} people", "a year after {name} resigned", "despite objections from {name}",
             "in a deal worth ${n} million", "according to {name}", "after talks with {name} on {day}",
             "for the {ordinal} time this year", "with support from {name}")


def _word_replace(sentence: str, table: dict[str, str], rng: random.Random, most: int = 1) -> str | None:
    """Replace one word of ``sentence`` found in ``table`` (up to ``most``, each picked at random)."""
    found = [m for m in re.finditer(r"\b[a-z]+\b", sentence) if m.group(0) in table]
    if not found:
        return None
    chosen = sorted(rng.sample(found, min(len(found), rng.randint(1, most))), key=lambda m: m.start())
    for m in reversed(chosen):
        sentence = sentence[: m.start()] + table[m.group(0)] + sentence[m.end() :]
    return sentence


def _names(sentence: str) -> list[re.Match]:
    """Capitalised runs that do not open a sentence (matched over " " + sentence)."""
    text = " " + sentence
    return [m for m in _NAME.finditer(text) if m.group(1) not in MONTH_NAMES + DAY_NAMES
            and m.start(1) > 1 and text[: m.start(1)].rstrip()[-1:] not in ".!?\"“:"]


def _strip_end(sentence: str) -> str:
    return sentence.rstrip().rstrip(".!?\"'”’")


def compression(sentence: str, rng: random.Random) -> str | None:
    parts = [p.strip() for p in sentence.split(",")]
    if len(parts) < 3 and not (len(parts) == 2 and len(parts[0].split()) >= 6):
        return None
    if len(parts) >= 3:
        drop = rng.randrange(1, len(parts) - 1)
        kept = parts[:drop] + parts[drop + 1 :]
    else:
        kept = parts[:1]
    out = ", ".join(kept)
    return _strip_end(out) + "." if len(out.split()) >= 5 else None


def fusion(first: str, second: str) -> str | None:
    if len(first.split()) + len(second.split()) > 60 or not second:
        return None
    first_word = second.split()[0]
    head = second[0].lower() + second[1:] if first_word.lower() in STOPWORDS and first_word != "I" else second
    return f"{_strip_end(first)}, and {head}"


def reorder(sentence: str) -> str | None:
    """'A, B said.' -> 'B said A.'; 'A, B.' -> 'B, A.' when both halves are long enough to stand."""
    match = re.match(r"^(.{20,}?),\s+(?:\"|“)?([^,]{3,60}?)\s+(said|says|added|told reporters)\.?$", sentence.strip())
    if match:
        speaker = match.group(2)
        speaker = speaker[0].upper() + speaker[1:]
        claim = match.group(1).strip("\"“” ")
        if claim.split()[0].lower() in STOPWORDS and claim.split()[0] != "I":  # keep a name's capital
            claim = claim[0].lower() + claim[1:]
        return f"{speaker} {match.group(3)} that {claim}."
    parts = sentence.rsplit(", ", 1)
    if len(parts) != 2 or len(parts[0].split()) < 4 or len(parts[1].split()) < 4:
        return None
    second = _strip_end(parts[1])
    first = parts[0]
    if first.split()[0].lower() in STOPWORDS and first.split()[0] != "I":
        first = first[0].lower() + first[1:]
    return f"{second[0].upper() + second[1:]}, {first}."


def said_first(sentence: str) -> str | None:
    """'B said (that) A.' -> 'A, B said.' (the reverse of ``reorder``'s first form)."""
    match = re.match(r"^([A-Z][^,]{2,60}?)\s+(said|says|added|told reporters)\s+(?:that\s+)?([^\"“”]{20,}?)[.!]?$",
                     sentence.strip())
    if not match:
        return None
    speaker, verb, claim = match.groups()
    if speaker.split()[0].lower() in STOPWORDS and speaker.split()[0] != "I":
        speaker = speaker[0].lower() + speaker[1:]
    return f"{claim[0].upper() + claim[1:]}, {speaker} {verb}."


def possessive(sentence: str) -> str | None:
    """'the X of Y' <-> "Y's X" for a named Y: the same relation, the words in another order."""
    match = re.search(r"\bthe ([a-z]+) of ([A-Z][a-z]+(?: [A-Z][a-z]+)?)\b", sentence)
    if match:
        return sentence[: match.start()] + f"{match.group(2)}'s {match.group(1)}" + sentence[match.end() :]
    match = re.search(r"\b([A-Z][a-z]+)['’]s ([a-z]{3,})\b", sentence)
    if match:
        return sentence[: match.start()] + f"the {match.group(2)} of {match.group(1)}" + sentence[match.end() :]
    return None


def rewordings(sentence: str, following: str, rng: random.Random) -> list[str]:
    """Faithful restructurings of ``sentence``: reordered, a possessive turned round, compressed, fused."""
    made = [reorder(sentence), said_first(sentence), possessive(sentence), compression(sentence, rng),
            fusion(sentence, following)]
    return [m for m in made if m and m != sentence]


def paraphrase(sentence: str, following: str, rng: random.Random) -> str | None:
    """Several rewordings at once, as a writer paraphrases: a restructuring and a synonym (word order and
    wording both change, and the claim still says what the evidence says)."""
    bases = rewordings(sentence, following, rng)
    if not bases:
        return None
    base = rng.choice(bases)
    return _word_replace(base, SYNONYMS, rng) or possessive(base)


def entity_swap(sentence: str, article_names: list[str], rng: random.Random) -> str | None:
    names = _names(sentence)
    if not names:
        return None
    m = rng.choice(names)
    original = m.group(1)
    candidates = [n for n in article_names if n != original and n not in sentence and
                  len(n.split()) == len(original.split())]
    if not candidates:
        return None
    start, end = m.start(1) - 1, m.end(1) - 1  # the match ran over " " + sentence
    return sentence[:start] + rng.choice(candidates) + sentence[end:]


def number_change(sentence: str, rng: random.Random) -> str | None:
    numbers_found = list(_NUM.finditer(sentence))
    months = [m for m in re.finditer(r"\b(" + "|".join(MONTH_NAMES) + r")\b", sentence)]
    days = [m for m in re.finditer(r"\b(" + "|".join(DAY_NAMES) + r")\b", sentence)]
    options = [("n", m) for m in numbers_found] + [("m", m) for m in months] + [("d", m) for m in days]
    if not options:
        return None
    kind, m = rng.choice(options)
    if kind == "m":
        new = rng.choice([x for x in MONTH_NAMES if x != m.group(0)])
    elif kind == "d":
        new = rng.choice([x for x in DAY_NAMES if x != m.group(0)])
    else:
        text = m.group(1).replace(",", "")
        value = float(text)
        if "." in text:
            new = f"{value + rng.choice([-1, 1]) * max(0.1, round(value * 0.2, 1)):.{len(text.split('.')[1])}f}"
        elif 1900 <= value <= 2100:
            new = str(int(value) + rng.choice([-2, -1, 1, 2]))
        else:
            v = int(value)
            new = str(rng.choice([v + rng.randint(1, max(2, v // 2)), max(0, v - rng.randint(1, max(1, v // 2))),
                                  v * 10 if v else 3]))
        if new == text:
            return None
    return sentence[: m.start()] + new + sentence[m.end() :]


def negation(sentence: str, rng: random.Random) -> str | None:
    removals = [(r"\bnot\s+", ""), (r"\bnever\b", "once"), (r"n't\b", ""), (r"\bno longer\b", "still")]
    for pattern, repl in rng.sample(removals, len(removals)):
        if re.search(pattern, sentence):
            out = re.sub(pattern, repl, sentence, count=1)
            return out.replace("ca ", "can ").replace("wo ", "will ")
    found = [m for m in re.finditer(r"\b(" + "|".join(AUXILIARIES) + r")\b", sentence)]
    if not found:
        return None
    m = found[0]
    return sentence[: m.end()] + " not" + sentence[m.end() :]


def role_swap(sentence: str) -> str | None:
    names = _names(sentence)
    distinct = []
    for m in names:
        if all(m.group(1) != d.group(1) for d in distinct):
            distinct.append(m)
    if len(distinct) < 2:
        return None
    a, b = distinct[0], distinct[-1]
    s = " " + sentence
    return (s[: a.start(1)] + b.group(1) + s[a.end(1) : b.start(1)] + a.group(1) + s[b.end(1) :])[1:]


def addition(sentence: str, other_names: list[str], rng: random.Random) -> str | None:
    if not other_names:
        return None
    template = rng.choice(ADDITIONS)
    clause = template.format(n=rng.randint(3, 400), name=rng.choice(other_names), day=rng.choice(DAY_NAMES),
                             ordinal=rng.choice(["second", "third", "fourth"]))
    return f"{_strip_end(sentence)}, {clause}."


SUPPORTED_TYPES = ("copy", "compression", "fusion", "reorder", "synonym", "paraphrase")
UNSUPPORTED_TYPES = ("entity_swap", "number_change", "negation", "antonym", "role_swap", "addition")


def make_synthetic(corpus: Path, articles: int = 500, seed: int = 13, skip: int = 0) -> list[Pair]:
    """Perturbations of one sentence per article; evidence = that sentence's passage (5 sentences)."""
    rng = random.Random(seed)
    records = []
    with gzip.open(corpus, "rt") as handle:
        for n, line in enumerate(handle):
            if n < skip:
                continue
            record = json.loads(line)
            if len(record.get("text") or "") > 1500:
                records.append(record)
            if len(records) >= articles * 3:
                break
    rng.shuffle(records)
    records = records[:articles]
    all_names = sorted({m.group(1) for r in records for m in _names(r["text"][:4000])})
    pairs = []
    for r in records:
        sents = [s for s in sentences(r["text"][:5000]) if 6 <= len(s.split()) <= 45]
        if len(sents) < 6:
            continue
        article_names = sorted({m.group(1) for s in sents for m in _names(s)})
        i = rng.randrange(1, len(sents) - 3)
        evidence = " ".join(sents[max(0, i - 2) : i + 3])
        s = sents[i]
        foreign = [n for n in all_names if n not in r["text"]]
        # Half the entity swaps and antonyms start from a faithful rewording, so that reworded word order
        # alone never tells a supported claim from a fabrication.
        reworded = rewordings(s, sents[i + 1], rng)
        base = rng.choice(reworded) if reworded and rng.random() < 0.5 else s
        made = {
            "copy": s, "compression": compression(s, rng), "fusion": fusion(s, sents[i + 1]),
            "reorder": reorder(s) or said_first(s) or possessive(s), "synonym": _word_replace(s, SYNONYMS, rng, most=2),
            "paraphrase": paraphrase(s, sents[i + 1], rng),
            "entity_swap": entity_swap(base, article_names, rng), "number_change": number_change(s, rng),
            "negation": negation(s, rng), "antonym": _word_replace(base, ANTONYMS, rng), "role_swap": role_swap(s),
            "addition": addition(s, rng.sample(foreign, min(20, len(foreign))), rng),
        }
        for kind, claim in made.items():
            if claim and claim != s or kind == "copy":
                label = kind in SUPPORTED_TYPES
                key = f"synthetic:{r['doc_id']}"
                pairs.append(Pair("synthetic", kind, key, f"{key}:{kind}", claim, evidence, label, label))
    return pairs
