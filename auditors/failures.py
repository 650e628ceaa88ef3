"""What a scan could not read, as data: every Failure becomes an ERROR finding, never a PASS.

Every call of every cloud runs through `fetch`, bounded twice: one call (its retries, backoffs and body
read included) ends within `Limits.per_call` seconds, and nothing runs past the run's deadline
(`--deadline`): what is left unread then is a Failure like any other, so the report is still written,
with those verdicts ERROR and exit 2. A drip (an answer trickling a byte at a time) defeats every socket
timeout, so the bound is a watchdog: the call runs in its own daemon thread, and the caller stops
waiting when its time is up. The abandoned thread learns its deadline (`call_deadline`) so the clients
start no further attempt after it.
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from auditkit.policies.errors import ConfigError

# Seconds one API call attempt may wait on the network before it counts as a timeout; `--timeout` of every scan.
DEFAULT_TIMEOUT = 20.0
# Seconds a whole run may take (`--deadline`): generous for a scheduled scan of one organization, short
# enough that a hung endpoint still leaves a report for the next shift.
DEFAULT_DEADLINE = 900.0
# A whole call is made again at most this many times when its answer arrived broken (cut short, empty,
# unparseable): the SDKs retry refused and failed requests themselves, but not a body that lied.
WHOLE_CALL_ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
# One listing never takes more pages than this: a longer token chain is a broken answer, not data.
MAX_PAGES = 1000
# A whole log archive is listed once per seal or verify run: years of busy hours hold millions of objects
# (1,000 a page), so its cap is the archive's size, and the repeated-token guard and --deadline bound it.
ARCHIVE_MAX_PAGES = 1_000_000


def checked_timeout(seconds: float, field: str = "--timeout") -> float:
    """A deadline every call can meet: 0 or less (or NaN, or infinity) would turn each call into an ERROR
    finding, or wait forever, instead of being refused before the first call."""
    if not (isinstance(seconds, (int, float)) and 0 < seconds < math.inf):
        raise ConfigError(field, seconds, "a number of seconds greater than 0, e.g. 20")
    return seconds


T = TypeVar("T")
Classifier = Callable[[BaseException], tuple[str, str]]


@dataclass(frozen=True)
class Failure:
    operation: str
    region: str
    resource: str
    code: str
    message: str

    def describe(self) -> str:
        return f"could not read {self.operation} ({self.resource}, {self.region}): {self.code}: {self.message}"


class DeadlinePassed(Exception):
    """The call, or the whole run, is out of time."""


class BrokenPaging(Exception):
    """A listing whose page tokens repeat or never end."""


class IncompleteAnswer(Exception):
    """An answer that is not whole: cut short, or empty where the API always sends a document."""


@dataclass(frozen=True)
class Deadline:
    """When the whole run must end (time.monotonic()), and what the user asked for, for the messages."""

    ends: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def left(self) -> float:
        return self.ends - time.monotonic()


@dataclass(frozen=True)
class Limits:
    """How long one call may take, retries and body read included, and the run's deadline if any."""

    per_call: float
    run: Deadline | None = None

    def call_ends(self) -> float:
        """The deadline of a call starting now."""
        ends = time.monotonic() + self.per_call
        return min(ends, self.run.ends) if self.run else ends

    def why_late(self, started: float) -> str:
        if self.run and time.monotonic() >= self.run.ends - 0.01:
            return f"the run's deadline (--deadline {self.run.seconds:g} s) passed before this was read"
        return f"no complete answer within {time.monotonic() - started:.1f} s (the whole call, retries included)"


def add_deadline_argument(p: argparse.ArgumentParser, default: float = DEFAULT_DEADLINE) -> None:
    p.add_argument(
        "--deadline",
        type=float,
        default=default,
        help=f"seconds the whole run may take; then the report is written, the rest ERROR (default {default:g})",
    )


def run_deadline(args: argparse.Namespace) -> Deadline:
    """The run's deadline from --deadline, checked before any cloud call; it starts now."""
    seconds = args.deadline
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ConfigError("--deadline", seconds, "a finite number of seconds greater than 0")
    return Deadline.after(seconds)


_current = threading.local()


def call_deadline() -> float | None:
    """The monotonic deadline of the call running in this thread (None outside `fetch`)."""
    return getattr(_current, "ends", None)


def within(call: Callable[[], T], ends: float, late: Callable[[], str]) -> T:
    """`call()` in a daemon thread of its own; DeadlinePassed if it has not returned by `ends`."""
    if time.monotonic() >= ends:
        raise DeadlinePassed(late())
    box: dict[str, Any] = {}

    def work() -> None:
        _current.ends = ends
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the waiting thread as is
            box["error"] = exc

    worker = threading.Thread(target=work, daemon=True, name="auditkit-call")
    worker.start()
    worker.join(max(0.0, ends - time.monotonic()))
    if worker.is_alive():
        raise DeadlinePassed(late())
    if "error" in box:
        raise box["error"]
    return box["value"]


def fetch(
    call: Callable[[], T],
    operation: str,
    region: str,
    resource: str,
    classify: Classifier,
    absent: Iterable[str] = (),
    limits: Limits | None = None,
    broken: tuple[type[BaseException], ...] = (),
) -> tuple[T | None, Failure | None]:
    """Run one API call. Codes in `absent` mean "not configured" (value None, no failure).

    With `limits`, the call (every attempt of it) must end in time; an answer that arrived broken
    (an exception in `broken`) is asked again, up to WHOLE_CALL_ATTEMPTS times in all.
    """
    started = time.monotonic()
    ends = limits.call_ends() if limits else None
    for attempt in range(1, WHOLE_CALL_ATTEMPTS + 1):
        try:
            if ends is None:
                return call(), None
            assert limits is not None
            return within(call, ends, lambda: limits.why_late(started)), None
        except DeadlinePassed as exc:
            return None, Failure(operation, region, resource, "Timeout", str(exc))
        except Exception as exc:  # every failure is data: the caller turns it into ERROR findings
            if isinstance(exc, broken) and attempt < WHOLE_CALL_ATTEMPTS:
                time.sleep(BACKOFF_SECONDS * attempt)
                continue
            code, message = classify(exc)
            if code in absent:
                return None, None
            return None, Failure(operation, region, resource, code, message)
    raise AssertionError("unreachable")  # the loop returns on its last attempt


def pages(
    call: Callable[..., dict[str, Any]],
    token_in: str,
    token_out: str | None = None,
    token_of: Callable[[dict[str, Any]], Any] | None = None,
    **kwargs: Any,
) -> Iterator[dict[str, Any]]:
    """Every page of a paged call: `call(**kwargs)`, then again with the page's next token as `token_in`.

    A token seen before (a loop, however long) or more than MAX_PAGES pages is BrokenPaging: a listing
    that never ends is a failed read, never a hang.
    """
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = call(**kwargs)
        yield page
        token = token_of(page) if token_of else page.get(token_out or token_in)
        if not token:
            return
        if str(token) in seen:
            raise BrokenPaging(f"the page token {str(token)[:60]!r} came back again: the listing would never end")
        seen.add(str(token))
        kwargs = {**kwargs, token_in: token}
    raise BrokenPaging(f"more than {MAX_PAGES} pages: the listing would not end")


def every_page(pages: Iterable[T], token: Callable[[], Any], max_pages: int = MAX_PAGES) -> Iterator[T]:
    """The pages of an SDK's own pager (Google's `.pages`, azure-core's `by_page()`), under the guard of
    `pages`: `token()` is the pager's next-page token after each page; a token seen before, or more than
    `max_pages` pages, is BrokenPaging."""
    seen: set[str] = set()
    for count, page in enumerate(pages, 1):
        yield page
        t = token()
        if not t:
            continue
        if str(t) in seen or count >= max_pages:
            raise BrokenPaging(f"the page token {str(t)[:60]!r} came back again, or the listing would not end")
        seen.add(str(t))
