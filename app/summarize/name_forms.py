"""One person or body written two ways ("Kim Jong Un" and "North Korean leader Kim", "the Federal Reserve" and "the
Fed"): name words that differ between two statements without the statements disagreeing about who."""

from __future__ import annotations

from app.text import NAME_RUN, STOPWORDS, name_tokens

# Capitalised words that say what someone is, not who: "Russian President Putin" is Vladimir Putin.
TITLES = frozenset("""president vice prime minister chancellor premier leader king queen prince princess pope emperor
    sheikh senator sen rep representative congressman congresswoman gov governor mayor secretary chairman chairwoman
    chair chief general gen admiral adm colonel col commander ambassador envoy judge justice attorney dr mr mrs ms
    sir lord lady speaker director ceo founder spokesman spokeswoman spokesperson minister's foreign defence defense
    state interior finance""".split())
# Nationality and regional adjectives, with the compass words of "North Korean", "South African".
DEMONYMS = frozenset("""american british english scottish welsh irish french german italian spanish portuguese dutch
    belgian swiss austrian swedish norwegian danish finnish polish czech slovak hungarian romanian bulgarian greek
    serbian croatian bosnian albanian ukrainian russian belarusian georgian armenian azerbaijani turkish kurdish
    iranian iraqi syrian lebanese israeli palestinian jordanian saudi emirati qatari kuwaiti yemeni omani egyptian
    libyan tunisian algerian moroccan sudanese ethiopian somali kenyan nigerian ghanaian african chinese japanese
    korean taiwanese vietnamese thai filipino indonesian malaysian singaporean indian pakistani afghan bangladeshi
    nepali australian canadian mexican brazilian argentine argentinian chilean colombian venezuelan peruvian cuban
    haitian european asian arab latin western eastern northern southern north south east west""".split())
DESCRIPTIVE = TITLES | DEMONYMS
# Words that say which country or which office, not how a name is written: two runs that each have one of their own
# name two bodies ("the Russian Defense Ministry" / "the Ukrainian Defense Ministry", "the State Department" / "the
# Defense Department"), however much else they share.
QUALIFIERS = DEMONYMS | frozenset("foreign defence defense state interior finance".split())
# Days and months glued to a capitalised run ("in Manhattan Tuesday"): the when, not part of the name; kept, they
# made "Florida Monday" one entity with another statement's bare "Monday" and hid "Florida" against "Georgia". Not
# the months that are names too ("Theresa May", "April", "June", "August").
CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march july september
    october november december""".split())
_CLIPPED = 3  # shortest clipped form that stands for a word it begins ("Fed" for "Federal")


def name_runs(text: str) -> list[frozenset[str]]:
    """The capitalised runs of ``text`` (its first word included) as sets of name tokens, stopwords left out ("The
    Fed" is "fed")."""
    runs = (frozenset(name_tokens(m.group(1)) - STOPWORDS - CALENDAR) for m in NAME_RUN.finditer(" " + text))
    return [run for run in runs if run]


def _clipped(run: frozenset[str], other: frozenset[str]) -> set[str]:
    """A one-word run that is a clipped form of a word of the other run ("Fed" against "Federal Reserve"), with that
    word; else nothing (two longer runs are not read as clippings: "Russia's Far East" is not "Russian President")."""
    for short, long in ((run, other), (other, run)):
        if len(short) == 1:
            (word,) = short
            clipped = {w for w in long if w != word and len(word) >= _CLIPPED and w.startswith(word)}
            if clipped:
                return clipped | {word}
    return set()


def _same(run: frozenset[str], other: frozenset[str]) -> bool:
    """One entity: the runs share a word (or one clips a word of the other), and at most one of them has words of
    its own that are not titles or nationalities ("Vladimir Putin" and "Russian President Putin", "Kim Jong Un" and
    "Kim", "Federal Reserve" and "Fed"; not "John Smith" and "Mary Smith")."""
    clipped = _clipped(run, other)
    if not (run & other or clipped):
        return False
    if (run - other) & QUALIFIERS and (other - run) & QUALIFIERS:  # "Russian President" / "Ukrainian President"
        return False
    return not (_own(run, other, clipped) and _own(other, run, clipped))


def _own(run: frozenset[str], other: frozenset[str], clipped: set[str]) -> set[str]:
    """The words of ``run`` that ``other`` lacks, less titles, and less nationalities beside a title ("Russian
    President"): a nationality alone is who ("Canadian Grand Prix" is not the "Bahrain Grand Prix")."""
    described = DESCRIPTIVE if run & TITLES else TITLES
    return set(run - other - clipped - described)


def same_entity_words(text: str | list[frozenset[str]], other: str | list[frozenset[str]]) -> set[str]:
    """The name words of ``text`` in runs that name an entity ``other`` names too, each such run whole (the extra
    words included: "jong", "un" of "Kim Jong Un" against "Kim"): differing there is two ways of writing one name.
    Either may be given as its ``name_runs`` (computed once per statement by a caller comparing many pairs)."""
    runs = name_runs(text) if isinstance(text, str) else text
    other_runs = name_runs(other) if isinstance(other, str) else other
    return {word for run in runs if any(_same(run, o) for o in other_runs) for word in run}
