"""Finds how many labelled examples a message talks about.

Counts come in many shapes ("3,000", "2k", "1.5k", "ten thousand", "a few hundred",
"~800", "no labelled data"). A number counts as an example count only when the
words around it say it is data (examples, rows, labelled...), not people, time,
money, percentages, traffic per day or model sizes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
# Vague quantities: a representative value for each.
_VAGUE = [
    (r"tens\s+of\s+thousands(?:\s+of)?", 20_000),
    (r"hundreds\s+of\s+thousands(?:\s+of)?", 200_000),
    (r"a\s+handful(?:\s+of)?", 5),
    (r"a\s+couple(?:\s+of)?\s+dozen", 24),
    (r"(?:a\s+)?(?:few|several)\s+dozen", 40),
    (r"dozens(?:\s+of)?", 40),
    (r"a\s+dozen", 12),
    (r"a\s+couple(?:\s+of)?\s+hundred", 200),
    (r"a\s+few\s+hundred", 300),
    (r"several\s+hundred", 400),
    (r"hundreds(?:\s+of)?", 300),
    (r"a\s+couple(?:\s+of)?\s+thousand", 2_000),
    (r"a\s+few\s+thousand", 3_000),
    (r"several\s+thousand", 4_000),
    (r"thousands(?:\s+of)?", 3_000),
    (r"half\s+a\s+million", 500_000),
    (r"millions(?:\s+of)?", 1_000_000),
]
_NONE = (r"(?:no|zero|none|not\s+any|(?:don'?t|do\s+not|haven'?t|havent|have\s+not)\s+"
         r"(?:\w+\s+){0,2}?(?:any|a\s+single)|(?:don'?t|do\s+not)\s+(?:yet\s+)?have)")

# Words saying the number counts training data.
_DATA_WORDS = (
    r"examples?|exmaples?|examps?|samples?|pairs?|rows?|records?|labell?ed|"
    r"lab[e]?led|annotat\w*|training|dataset|data\s*points?|datapoints?|gold|curated|"
    r"approved|verified|vetted|reviewed|checked|validated|corrected|golden|"
    r"demonstrations?|completions?|transcripts?|replies|responses|answers|drafts|"
    r"conversations|dialogues|chats|tickets|emails|documents|docs|summaries|outputs|"
    r"cases|items|instances|q&a|qa|prompts|letters|notes|reports|messages|queries|"
    r"invoices|contracts|reviews|descriptions|articles|posts|snippets|entries|"
    r"translations|calls|utterances|sentences|texts|forms|claims|records|ones|tagged|logs|"
    r"coded|hand[\w-]+"
)
# Words saying it is something else: people, time, money, sizes.
_NOT_DATA_WORDS = (
    r"%|percent|per\s*cent|people|persons|engineers|devs|developers|employees|users|"
    r"customers|clients|staff|agents|members|seats|days?|weeks?|months?|years?|hours?|"
    r"hrs?|yrs?|minutes?|mins?|seconds?|secs?|ms|milliseconds?|dollars?|usd|eur|euros?|"
    r"gbp|pounds?|bucks|k\s*(?:/|a|per)\s*(?:month|year)|tokens?|gb|mb|tb|gpus?|"
    r"params?|parameters?|b\b|languages?|times|x\b|steps?|epochs?|stars?|pages?|"
    r"words?|characters?|chars?|lines?\s+of\s+code|requests?\s+per|rps|qps|fields?|"
    r"stores|countries|offices|teams|sites|locations|clinics|hospitals|shops|points|rules|"
    r"constraints|criteria|evenings|nights|weekends|mornings|afternoons|sprints|shows|versions|"
    r"iterations|variants|attempts|tries"
)
# Things a team has many of that are not examples by themselves ("12 labels" is a
# label set, "50k SKUs" a catalogue), unless the words after say someone labelled
# them ("50k SKUs categorised by our merchandisers").
_CATALOGUE_WORDS = (r"classes|categories|labels|buckets|queues|tags|intents|codes|products|skus|"
                    r"sections|components|procedures")
# Nouns for people and places, which are never examples ("400 technicians").
_PEOPLE_PLACES = re.compile(
    r"(?:(?!\w*lists\b)\w+(?:ians|ists|ees)|nurses|doctors|lawyers|attorneys|reps|drivers|analysts|editors|"
    r"writers|translators|recruiters|teachers|students|patients|volunteers|partners|"
    r"accountants|adjusters|underwriters|designers|scientists|researchers|managers|"
    r"subscribers|followers|tenants|guests|passengers|vehicles|trucks|beds|branches|"
    r"franchises|restaurants|hotels|warehouses|factories|plants|schools|universities|"
    r"cities|states|departments|vendors|suppliers|brands|apps|services|models|"
    r"servers|machines|sensors|devices|workers|technicians|operators|crews|members|boats|ships|"
    r"vessels|farms|fields|acres)\b"
)
_LABEL_SET_MAX = 200  # "6k labels" are annotations, not a label set
_MIN_ITEMS = 20  # smaller counts of unnamed things ("2 SMEs") are rarely a dataset
_NOT_NOUNS = {"this", "thus", "plus", "across", "less", "unless", "always", "perhaps",
              "besides", "towards", "afterwards", "sometimes", "was", "does", "has", "is"}
_RATE = (
    r"(?:\b(?:a|per|each|every)\s+|/\s*)(?:\w+\s+)?(?:day|week|month|year|hour|minute|second|quarter|"
    r"period|cycle|season|term|semester|shift|issue|round)\b|"
    r"\b(?:daily|weekly|monthly|yearly|hourly)\b"
)

_NUMBER = re.compile(
    r"(?<![\w.])(?P<approx>~|≈|about\s+|around\s+|roughly\s+|like\s+|approx\.?\s+|approximately\s+|"
    r"over\s+|more\s+than\s+|under\s+|less\s+than\s+|nearly\s+|almost\s+|only\s+|just\s+)?"
    r"(?P<num>\d{1,3}(?:[,\s]\d{3})+|\d{1,3}(?:\.\d{3})+(?![\d.])|\d+(?:\.\d+)?)\s*"
    r"(?P<suffix>k|K|m|M|mil|mio|million|thousand)?(?!\w|\.\d)(?!\s*%)",
)


@dataclass(frozen=True)
class CountMention:
    value: int
    start: int
    end: int
    evidence: int  # >0: the context says it is training data


def _words_to_int(words: list[str]) -> int | None:
    total, current, seen = 0, 0, False
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
            seen = True
        elif word in {"and", "a", "-"}:
            continue
        else:
            return None
    return total + current if seen else None


_WORD_NUMBER = re.compile(
    r"(?<![\w-])((?:(?:{})[\s-]+)*(?:{})(?:[\s-]+(?:{}))*)(?![\w-])".format(
        "|".join(list(_UNITS) + list(_SCALES) + ["a", "and"]),
        "|".join(list(_UNITS) + list(_SCALES)),
        "|".join(list(_UNITS) + list(_SCALES)),
    )
)


def _candidates(text: str) -> list[tuple[int, int, int]]:
    """(value, start, end) for every number-like span in `text` (lower-cased)."""
    found: list[tuple[int, int, int]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for pattern, value in _VAGUE:
        for m in re.finditer(r"(?<!\w)" + pattern + r"(?!\w)", text):
            if free(m.start(), m.end()):
                found.append((value, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        if not free(m.start("num"), m.end()):
            continue
        raw = re.sub(r"[,\s]", "", m.group("num"))
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", raw):
            raw = raw.replace(".", "")  # "4.000": a European thousands separator
        try:
            number = float(raw)
        except ValueError:  # pragma: no cover - the regex only admits digits
            continue
        suffix = (m.group("suffix") or "").lower()
        number *= {"k": 1_000, "thousand": 1_000}.get(suffix, 1_000_000 if suffix else 1)
        # "gpt-4", "llama 3", "qwen 2.5", "v2": a model or version, not a count.
        before = text[max(0, m.start() - 12) : m.start()]
        if re.search(r"(?:gpt|llama|qwen|mistral|claude|gemini|phi)[\s-]*$|\b(?:v|version\s*)$|"
                     r"\w-$", before):
            continue
        if not suffix and "." in raw:
            continue
        year_like = not suffix and 1900 <= number <= 2100 and "," not in m.group("num")
        if year_like and re.search(r"(in|since|by|of|from|until|til|before|after)\s*$", before):
            continue
        found.append((int(number), m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in _WORD_NUMBER.finditer(re.sub(r"-ish\b", "    ", text)):
        words = re.split(r"[\s-]+", m.group(1).strip())
        while words and words[0] in {"a", "and"}:
            words = words[1:]
        parsed = _words_to_int(words)
        if parsed is not None and parsed > 1 and free(m.start(), m.end()):
            found.append((parsed, m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return found


_LABEL_VERB = (
    r"(?:labell?ed|annotated|tagged|coded|scored|graded|reviewed|verified|approved|checked|"
    r"categori[sz]ed|classified|curated|vetted|double[\s-]checked|triaged|adjudicated|typed|keyed|"
    r"written|authored|drafted|"
    r"entered|hand[\s-]entered|transcribed|"
    r"signed\s+off(?:\s+on)?)"
)
_POSSESSION = (
    r"(?:have|has|had|got|own|collected|gathered|found|saved|kept|wrote|written|pulled|"
    r"exported|scraped|generated|logged|accumulated|assembled|compiled|holds|contains|"
    r"(?:archive|corpus|set|library|backlog|history|collection|bank|pile)\s+of)"
)


def _evidence(text: str, value: int, start: int, end: int) -> int:
    after = text[end : end + 60]
    before = text[max(0, start - 40) : start]
    labelled_by = (r"(?:" + _LABEL_VERB + r"(?:\s+(?:up|in|out))?\s+(?:by|from)|"
                   r"(?:made|done|created)\s+by\s+hand)\b")
    if re.match(r"\s*(?:[\w'/-]+\s+){1,3}?" + labelled_by, after):
        return 3  # "950 applications tagged by recruiters", "9,000 pages typed up by our staff"
    if re.match(r"\s*(?:" + _NOT_DATA_WORDS + r")(?![\w])", after) or _PEOPLE_PLACES.match(
            after.strip()):
        return -2  # "checked two times", "400 technicians", "approved over 2 years"
    if _restricts_count(before, after):
        return 4  # "only approved ~250 of them", "only about 150 are in the current layout"
    if re.search(_LABEL_VERB + r"\s+(?:about\s+|around\s+|roughly\s+|~)?$", before):
        return 3  # "our intern labelled 90 products"
    if re.match(r"\s*(?:of\s+)?(?:[\w-]+\s+){0,2}?prompt(?!\s*[/-]?\s*(?:response|completion|"
                r"answer|output))", after):
        return -2  # "dozens of prompt rewrites" is prompting effort
    catalogue = re.match(r"\s*(?:\w+\s+)?(" + _CATALOGUE_WORDS + r")(?![\w])", after)
    if catalogue:
        annotations = catalogue.group(1) in {"labels", "tags"} and value >= _LABEL_SET_MAX
        labelled = re.match(r"\s*(?:\w+\s+)?(?:" + _CATALOGUE_WORDS + r")\s+(?:(?:\w+\s+)?"
                            + _LABEL_VERB + r"|with\s+(?:a\s+|their\s+|its\s+)?(?:category|"
                            r"categories|labels?|tags?|class))", after)  # "6k intents labelled"
        return 2 if annotations or labelled else -2
    if re.match(r"\s*(?:\w+\s+){0,3}?(?:" + _RATE + r")", after) or re.match(
            r"\s*(?:[\w-]+\s*)?/\s*(?:day|week|month|year|hour|mo|yr|h|d)\b", after):
        return -2  # "2k a day", "200k calls/month"
    if re.search(r"\$\s*$|€\s*$|£\s*$", before):
        return -2
    if re.search(r"\bone\s+of\s+(?:the\s+|our\s+|their\s+|its\s+)?$", before):
        return -2  # "assign each email to one of 25 service teams": a label set
    if re.search(r"\b(?:attracts?|receives?|handles?|processes?)\s+"
                 r"(?:about\s+|around\s+|roughly\s+|up\s+to\s+)?$", before):
        return -2  # "a big application can attract hundreds of letters": traffic
    if re.search(r"\b(?:every|each|per|a)\s+(?:day|week|month|year|hour)\s+(?:\w+\s+){0,3}$",
                 before):
        return -2  # "every day we get a few thousand bills": traffic, not data
    if re.match(r"\s*(?:\w+\s+)?prompts\b", after) and value < _MIN_ITEMS:
        return -2  # "tried 2 prompts" is prompting effort
    score = 0
    if re.match(r"\s*(?:\w+\s+){0,2}?(?:in\s+)?(?:total|overall|altogether|all\s+told)\b", after):
        score += 3  # "so ~1.5k total" restates the count that matters
    if re.match(r"\s*(?:[\w'/]+[\s-]+){0,3}?(?:" + _DATA_WORDS + r")(?![\w])", after):
        score += 2
    if re.search(r"(?:" + _DATA_WORDS + r"|data)\s*(?:of|:|=|-|\(|,|is|are|total(?:ing)?|number|"
                 r"(?:we|i)\s+(?:have|got|had))?\s*$", before):
        score += 1
    if re.search(_POSSESSION + r"\s+(?:\w+\s+)?$", before):
        score += 1
    if re.search(r"\b(?:count|number|total|tally)\s+of\b[^.!?]{0,80}\b(?:is|are|was|comes\s+to|"
                 r"sits\s+at)\s+(?:about\s+|around\s+|roughly\s+|approximately\s+|~)?$",
                 text[max(0, start - 120) : start]):
        score += 3  # "the honest count of emails we could use is around 300"
    if score == 0 and value >= _MIN_ITEMS and _counts_things(after):
        score = 1  # "about 300 filled-in templates exist": weak, any stated count wins
    if 0 < score < 3 and value < _MIN_ITEMS and not re.search(
            r"\b(?:with|using|on|only|just|have|has|got)\s+(?:\w+\s+)?$", before):
        return 0  # "splits one shift across two rows", "looked at two outputs"
    return score


def _restricts_count(before: str, after: str) -> bool:
    """The number narrows an earlier count to the usable part: "the editor only approved
    ~250 of them", "only about 150 are in the current layout"."""
    only = re.search(r"\bonly\s+(?:\w+\s+)?(?:" + _LABEL_VERB + r"\s+)?"
                     r"(?:about\s+|around\s+|roughly\s+|~)?$", before)
    if not only:
        return False
    approved = re.search(_LABEL_VERB + r"\s+\S*$", before)
    subject = re.match(r"\s*(?:of\s+(?:them|those|these)\s*)?(?:are|were|is|match|fit|follow|"
                       r"passed|done|made|written|completed)\b", after)
    return bool(approved or subject)


def _counts_things(after: str) -> bool:
    """The number is followed by a plural noun that is not people or places."""
    after = re.sub(r"^\+?\s*of\s+(?:our|their|the|my|its|her|his)\s+(?:own\s+)?", " ", after)
    m = re.match(r"\s*(?:[a-z'/-]+\s+){0,2}?([a-z][a-z-]{3,}s)\b", after)
    if m is None:
        return False
    return not _PEOPLE_PLACES.fullmatch(m.group(1)) and m.group(1) not in _NOT_NOUNS


def count_mentions(text: str) -> list[CountMention]:
    """All numbers in `text` with how strongly their context says 'training data'."""
    low = re.sub(r"-?ish\b", lambda m: " " * len(m.group()), text.lower())  # "2k-ish", "400ish"
    mentions = [
        CountMention(value, start, end, _evidence(low, value, start, end))
        for value, start, end in _candidates(low)
    ]
    for m in re.finditer(
        _NONE + r"\s+(?:\w+\s+){0,2}?(?:" + _DATA_WORDS + r"|data|labels)(?![\w])"
        r"|\bnone\s+of\s+(?:the|our|them|these|those)\b[^.;!?]{0,30}?\b(?:is|are|was|were|has|have)\s+"
        r"(?:been\s+|ever\s+been\s+)?(?:annotated|labell?ed|tagged|reviewed|checked|coded)\b"
        r"|\b(?:data|labels|examples)\s+we\s+(?:have|got)\s+(?:not|none|nothing)\b"
        r"|\b(?:haven'?t|have\s+not|not)\s+(?:yet\s+)?(?:labell?ed|annotated|tagged)\s+"
        r"(?:anything|any)\b"
        r"|(?:" + _DATA_WORDS + r"|labels|tags|data)\s*[:=?-]\s*(?:we\s+have\s+|we'?ve\s+got\s+)?"
        r"(?:none|zero|nil|0)\b", low
    ):
        mentions.append(CountMention(0, m.start(), m.end(), 4))  # "50k docs but zero labels"
    return sorted(mentions, key=lambda c: c.start)


def example_count(text: str) -> int | None:
    """The labelled-example count `text` states, or None when it states none."""
    mentions = [m for m in count_mentions(text) if m.evidence > 0]
    if not mentions:
        return None
    best = max(mentions, key=lambda m: (m.evidence, m.value))
    return best.value
