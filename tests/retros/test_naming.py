"""Theme names from what the cards share (pure function)."""

from __future__ import annotations

from deliveryops.retros.naming import suggest_title

BOARD = [
    "Starting stories without acceptance criteria",
    "Stories begun with no acceptance criteria",
    "Stand-ups run long",
    "Stories too big to finish in a sprint",
]


def test_the_most_informative_shared_words_not_the_first_card() -> None:
    # "stories" is on three of four cards, so it says less than "acceptance criteria", which only the two share.
    assert suggest_title(BOARD[:2], BOARD) == "Acceptance criteria"


def test_inflections_meet_and_the_words_read_as_a_card_says_them() -> None:
    assert suggest_title(["Release notes late", "Release notes missing", "Missing release approvals"]) == (
        "Release notes missing"
    )
    assert suggest_title(["Deploys fail on Fridays", "Deployment pipeline flaky", "Pipelines red every morning"]) == "Pipeline"


def test_no_shared_word_falls_back_to_the_first_card_cut_short() -> None:
    assert suggest_title(["Coffee machine broken", "Too many meetings"]) == "Coffee machine broken"
    long = "A very long card text that goes on and on about everything that happened in the sprint"
    title = suggest_title([long, "Something else entirely"])
    assert len(title) <= 60
    assert title.endswith("…")


def test_empty_group() -> None:
    assert suggest_title([]) == "Untitled theme"
    assert suggest_title(["  "]) == "Untitled theme"
