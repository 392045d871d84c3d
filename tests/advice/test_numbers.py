import pytest

from bot.advice.numbers import example_count


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we have 3,000 verified examples", 3000),
        ("tens of thousands of calls our QA team scored", 20000),
        ("the number of usable replies we could find comes to about 450", 450),
        ("logs (12k) nobody looked at", 12000),
        ("data: 9k tickets triaged by support leads", 9000),
        ("600 of our own product blurbs", 600),
        ("we only have 12 examples", 12),
        ("2,000 in total, but the editor only approved ~250 of them", 250),
        ("we made 700, but only about 150 are in the current layout", 150),
        ("only ~300 done properly so far", 300),
        ("800+ of her old letters", 800),
        ("only got like 200 done by hand", 200),
        ("we have 320 checklists we'd consider good", 320),  # "checklists" are no people
        ("our labelled examples number around 400", 400),
        ("roughly 150 labels written by curators", 150),
        ("about 90 cards made by hand", 90),
        ("we have 50,000 support tickets sitting around", 50000),  # "around" is no rate
        ("9,000 pages typed up by our scanning staff", 9000),
        ("15 000 products with their category", 15000),
        ("we'd train on the model's own outputs, 20k of them", 20000),
        ("about 2k checked examples", 2000),
        ("1.5k QA pairs, reviewed", 1500),
        ("roughly 120 approved drafts", 120),
        ("a few hundred labelled pairs", 300),
        ("a couple dozen examples so far", 24),
        ("about ten thousand rows of annotated data", 10000),
        ("twenty-five hundred replies written by the team", 2500),
        ("~800 samples", 800),
        ("over 5000 gold-labelled examples", 5000),
        ("our intern labelled 90 products", 90),
        ("3,000 copywriter-approved blurbs", 3000),
        ("we have eighty-ish labelled ones", 80),
        ("We'd tune on our chat logs - ~50k conversations - raw", 50000),
        ("we have no labelled data yet", 0),
        ("in 2024 we collected 3000 examples", 3000),
        ("north of 12k rows", 12000),
        ("we have 3,000.", 3000),
        ("Samples we have around 350.", 350),
        ("annotations: none so far", 0),
        ("our library holds roughly 900 jingles", 900),
        ("2k-ish transcripts", 2000),
        ("60k parts classified by our engineers", 60000),
        ("our 7k labels came from a vendor", 7000),
        ("about 450 signed-off memos exist", 450),
        ("12.000 invoices checked by accounting", 12000),
        ("2 mil chat turns", 2_000_000),
        ("none of the scans have been labelled", 0),
        ("we haven't annotated anything yet", 0),
        ("we don't have curated data", 0),
        ("3k intents labelled by the team", 3000),
        ("we have 20k tickets but zero labels", 0),
        ("we've got 400ish labelled posts", 400),
    ],
)
def test_counts_in_many_shapes(text: str, expected: int) -> None:
    assert example_count(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we get 2k tickets a day",
        "team of 5 engineers, using gpt-4o",
        "our 12k users love it",
        "prompting fails on 5% of inputs",
        "latency is 300 ms",
        "we spend $4,000 a month on the API",
        "classify into 30 labels",
        "we moved to llama 3 and qwen 2.5 last year",
        "should we fine-tune?",
        "we have 300 technicians in the field",
        "we stock 40k SKUs",
        "each ticket goes to one of 25 departments",
        "after dozens of prompt versions",
        "reviewed twice, three times even",
        "the output has nine labelled sections",
        "the prompt has 25 rules",
        "it merges two rows into one",
        "I spent fifteen evenings on this",
        "we receive about six hundred applications per hiring round",
        "route each request to one of 30 queues",
        "a popular listing can attract hundreds of enquiries",
        "we tried maybe 40 versions",
        "10 yrs of notes",
        "a 5 step runbook",
        "about 200k calls/month on the big model",
        "a co-op of about sixty boats",
        "we've done like 40 prompt iterations",
    ],
)
def test_numbers_that_are_not_example_counts(text: str) -> None:
    assert example_count(text) is None


def test_stated_examples_win_over_other_numbers() -> None:
    text = "Team of 12, 40 intents, 5% error rate; we have 1,200 labelled utterances."
    assert example_count(text) == 1200
