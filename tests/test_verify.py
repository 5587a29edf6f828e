"""The engine attaches citations by checking sentences against passages."""

from __future__ import annotations

from assistant.core.types import Passage
from assistant.core.verify import attach_citations, split_sentences


def passage(text: str, page: int) -> Passage:
    return Passage(chunk_id=f"c{page}", path="/d/r.pdf", page=page, start=0, end=len(text),
                   text=text)


PASSAGES = [
    passage("The survey team visited forty-two lighthouses in 2019.", 2),
    passage("Lindesnes lighthouse was first lit in 1656; its tower dates from 1915.", 3),
]


def test_sentence_cited_to_the_passage_that_supports_it() -> None:
    att = attach_citations("Lindesnes was first lit in 1656.", "When was Lindesnes first lit?",
                           PASSAGES)
    assert [c.n for c in att.citations] == [2]
    assert att.citations[0].page == 3
    assert att.answer == "Lindesnes was first lit in 1656 [2]."


def test_model_markers_are_replaced_by_checked_ones() -> None:
    att = attach_citations("It was first lit in 1656 [1].", "When was Lindesnes first lit?",
                           PASSAGES)
    assert [c.n for c in att.citations] == [2]
    assert "[1]" not in att.answer


def test_unsupported_answer_gets_no_citation() -> None:
    att = attach_citations("It was built by Napoleon in 1802.", "Who built Lindesnes?", PASSAGES)
    assert att.citations == [] and not att.supported


def test_restating_the_question_is_not_support() -> None:
    att = attach_citations("Lindesnes lighthouse was first lit.", "When was Lindesnes lighthouse "
                           "first lit?", PASSAGES)
    assert not att.supported


def test_loops_and_list_markers_are_cleaned() -> None:
    assert split_sentences("1. Same thing. 2. Same thing.\n- Other") == ["Same thing.", "Other"]


def test_supported_clause_cites_and_unsupported_tail_is_reported() -> None:
    att = attach_citations("Lindesnes was first lit in 1656, and it is still standing today.",
                           "When was Lindesnes first lit?", PASSAGES)
    assert [c.n for c in att.citations] == [2]
    assert att.sentences[0].unsupported == ["it is still standing today."]


def test_wrong_number_is_not_supported() -> None:
    att = attach_citations("Lindesnes was first lit in 1756.", "When was Lindesnes first lit?",
                           PASSAGES)
    assert not att.supported


def test_numbers_in_words_match_digits() -> None:
    att = attach_citations("The team visited 42 lighthouses.", "How many did the team visit?",
                           PASSAGES)
    assert [c.n for c in att.citations] == [1]


def test_meta_words_are_not_claims() -> None:
    att = attach_citations("The answer to this question is: Lindesnes was first lit in 1656.",
                           "When was Lindesnes first lit?", PASSAGES)
    assert [c.n for c in att.citations] == [2]


def lease(text: str) -> list[Passage]:
    return [Passage("l1", "/d/lease.pdf", 2, 0, len(text), text)]


def test_inflections_match_with_a_real_stemmer() -> None:
    att = attach_citations("The lease ends on 30 June 2025.", "When does the lease end?",
                           lease("The lease terminates on 30 June 2025."))
    assert att.supported and [c.n for c in att.citations] == [1]


def test_words_sharing_a_prefix_are_not_the_same_word() -> None:
    from assistant.core.text import stem

    assert stem("universe") != stem("university")
    att = attach_citations("The university was founded in 1411.", "When was it founded?",
                           lease("The universe was founded in 1411."))
    assert not att.supported


def test_a_claim_of_opposite_polarity_is_not_supported() -> None:
    passage_text = "The tenant may sublet the flat with written consent."
    negated = attach_citations("The tenant may not sublet the flat without written consent.",
                               "Can the tenant sublet the flat?", lease(passage_text))
    assert not negated.supported
    same = attach_citations("The tenant may sublet the flat with written consent.",
                            "Can the tenant sublet the flat?", lease(passage_text))
    assert same.supported
    never = attach_citations("Pets are never allowed in the flat.", "Are pets allowed?",
                             lease("Pets are allowed in the flat."))
    assert not never.supported


def test_a_marker_after_the_full_stop_stays_with_its_sentence() -> None:
    assert split_sentences("Leave is 25 days. [1] Paid leave starts in 2019. [2]") == [
        "Leave is 25 days [1].", "Paid leave starts in 2019 [2]."]
