"""Which conflict notes the short-form rule (app/summarize/name_forms.py) removes from topic summaries.

    python benchmarks/conflict_short_forms.py --data ../shared/data/realtimeqa-dev --data-dir /work/rtqa-index \\
        --years 2023 --out benchmarks/results/conflict_short_forms_2023.json

Each open question of the given years is summarised as a topic as of its date + 1 day over the index (an index of
the corpus, e.g. the one benchmarks/realtimeqa.py builds; opened without writing), with the rule switched off, and
every conflict note found is listed with whether the rule removes it (the two statements, what each says): the
notes to read by hand. RGB's conflict set is the other check: `citewire eval --dataset rgb-fact`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app.summarize.conflicts as conflicts  # noqa: E402
import app.summarize.service as summarize_service  # noqa: E402
from app.config import Settings  # noqa: E402
from app.evals.realtimeqa import load_questions  # noqa: E402
from app.services import build_services  # noqa: E402
from app.summarize.name_forms import same_entity_words  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the realtimeqa-dev folder")
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the corpus")
    parser.add_argument("--years", default="2023", help="question years (2023: where rules are looked at)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    notes: list[dict] = []
    topic = [""]
    find = conflicts.find_conflicts

    def recording(statements, owners, *rest, **options):
        found = find(statements, owners, *rest, **options)
        for c in found:
            first, second = statements[c.first], statements[c.second]
            removed = not set(c.first_says) - same_entity_words(first, second) or \
                not set(c.second_says) - same_entity_words(second, first)
            notes.append({"topic": topic[0], "first": first, "second": second, "first_says": c.first_says,
                          "second_says": c.second_says, "removed": removed})
        return found

    conflicts.same_entity_words = lambda text, other: set()  # the search as it was before the rule
    summarize_service.find_conflicts = recording
    years = set(args.years.split(","))
    questions = [q for q in load_questions(args.data) if q.year in years]
    services = build_services(Settings(data_dir=args.data_dir), create_collection=False)
    try:
        for q in tqdm(questions, unit=" topics", mininterval=10, file=sys.stderr):
            topic[0] = q.question
            services.summaries.summarize_topic(q.question, as_of=q.as_of)
    finally:
        services.close()
    removed = [n for n in notes if n["removed"]]
    print(f"{len(questions)} topics, {len(notes)} conflict notes, {len(removed)} removed by the rule")
    for n in removed:
        print(f"- {n['first_says']} against {n['second_says']}: {n['topic'][:70]}")
    if args.out:
        args.out.write_text(json.dumps({"years": args.years, "notes": notes}, indent=1) + "\n")


if __name__ == "__main__":
    main()
