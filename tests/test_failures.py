"""auditors/failures.py: the one pager and the bounds on every call, on plain functions."""

import threading

import pytest

from auditkit.auditors.failures import (
    MAX_PAGES,
    WHOLE_CALL_ATTEMPTS,
    BrokenPaging,
    Deadline,
    IncompleteAnswer,
    Limits,
    call_deadline,
    fetch,
    pages,
)


def classify(exc: BaseException) -> tuple[str, str]:
    return type(exc).__name__, str(exc)


class Pages:
    """A paged call answering from a list of next tokens; records the token each call was given."""

    def __init__(self, tokens):
        self.tokens, self.asked = iter(tokens), []

    def __call__(self, **kwargs):
        self.asked.append(kwargs.get("Token"))
        return {"Items": [len(self.asked)], "Next": next(self.tokens)}


def test_pages_follow_tokens_until_there_is_none():
    call = Pages(["a", "b", None])
    assert [p["Items"] for p in pages(call, "Token", "Next", Size=2)] == [[1], [2], [3]]
    assert call.asked == [None, "a", "b"]


@pytest.mark.parametrize(("tokens", "asked"), [(["a", "a"], 2), (["a", "b", "a"], 3), (["a", "b", "c", "b"], 4)])
def test_a_token_that_comes_back_ends_the_listing_as_broken(tokens, asked):
    call = Pages(tokens)
    with pytest.raises(BrokenPaging, match="came back again"):
        list(pages(call, "Token", "Next"))
    assert len(call.asked) == asked


def test_a_token_chain_longer_than_the_cap_is_broken():
    call = Pages(f"t{i}" for i in range(10 * MAX_PAGES))
    with pytest.raises(BrokenPaging, match=f"more than {MAX_PAGES} pages"):
        list(pages(call, "Token", "Next"))
    assert len(call.asked) == MAX_PAGES


def test_absent_codes_mean_not_configured_and_other_failures_are_data():
    def missing():
        raise KeyError("NoSuchThing")

    assert fetch(missing, "Get", "r", "x", lambda e: ("NoSuchThing", ""), absent=("NoSuchThing",)) == (None, None)
    value, failure = fetch(missing, "Get", "r", "x", classify)
    assert value is None and (failure.operation, failure.code) == ("Get", "KeyError")


def test_a_broken_answer_is_asked_again_then_an_error():
    answers = iter([IncompleteAnswer("cut"), {"ok": 1}])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert fetch(flaky, "Get", "", "x", classify, broken=(IncompleteAnswer,)) == ({"ok": 1}, None)
    calls = []

    def always_cut():
        calls.append(1)
        raise IncompleteAnswer("cut")

    _value, failure = fetch(always_cut, "Get", "", "x", classify, broken=(IncompleteAnswer,))
    assert failure.code == "IncompleteAnswer" and len(calls) == WHOLE_CALL_ATTEMPTS


def test_a_call_past_its_limit_is_a_timeout_and_learns_its_deadline():
    release, seen = threading.Event(), []

    def hangs():
        seen.append(call_deadline())
        release.wait(30)

    _value, failure = fetch(hangs, "Get", "", "x", classify, limits=Limits(per_call=0.2))
    release.set()
    assert failure.code == "Timeout" and "the whole call, retries included" in failure.message
    assert seen and seen[0] is not None  # the abandoned call can stop its clients from trying again
    assert call_deadline() is None  # outside a call, none


def test_nothing_is_asked_after_the_run_deadline():
    called = []
    limits = Limits(per_call=10, run=Deadline(ends=0.0, seconds=30))
    _value, failure = fetch(lambda: called.append(1), "Get", "", "x", classify, limits=limits)
    assert called == [] and failure.code == "Timeout"
    assert "the run's deadline (--deadline 30 s) passed before this was read" in failure.message


def test_an_archive_listing_may_take_more_pages_than_a_scan_listing():
    """Seal and verify list a whole archive (millions of objects, 1,000 a page): past MAX_PAGES is data there,
    while a token that comes back is still a broken listing."""
    from auditkit.auditors.failures import ARCHIVE_MAX_PAGES, MAX_PAGES, BrokenPaging, every_page

    def listing(n: int, repeat_at: int | None = None):
        state = {"token": None}

        def pages():
            for i in range(n):
                state["token"] = (
                    "t-repeat" if repeat_at is not None and i >= repeat_at else (f"t{i}" if i < n - 1 else None)
                )
                yield [i]

        return pages(), lambda: state["token"]

    pages, token = listing(MAX_PAGES + 500)
    assert sum(len(p) for p in every_page(pages, token, ARCHIVE_MAX_PAGES)) == MAX_PAGES + 500
    pages, token = listing(MAX_PAGES + 500)
    with pytest.raises(BrokenPaging):
        list(every_page(pages, token))
    pages, token = listing(50, repeat_at=10)
    with pytest.raises(BrokenPaging, match="t-repeat"):
        list(every_page(pages, token, ARCHIVE_MAX_PAGES))
