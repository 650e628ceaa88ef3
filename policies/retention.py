"""How long audit records must be kept, by jurisdiction, with the rule that says so."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditkit.policies.errors import ConfigError


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    years: int
    citation: str
    minors_years: int | None = None
    minors_citation: str | None = None

    def years_for(self, minors: bool) -> int:
        return self.minors_years if minors and self.minors_years else self.years

    def citation_for(self, minors: bool) -> str:
        return self.minors_citation if minors and self.minors_citation else self.citation


JURISDICTIONS: dict[str, Jurisdiction] = {
    j.code: j
    for j in (
        Jurisdiction("US", "United States (HIPAA)", 6, "45 CFR 164.316(b)(2)(i)"),
        Jurisdiction("CA", "California", 7, "22 CCR 72543"),
        Jurisdiction("TX", "Texas", 7, "22 TAC 163.2"),
        # NY keeps minors' records until age 21; a newborn's record therefore needs 21 years.
        Jurisdiction("NY", "New York", 6, "8 NYCRR 29.2(a)(3)", 21, "8 NYCRR 29.2(a)(3) (minors: until age 21)"),
    )
}


def days_for_years(years: int) -> int:
    """The longest that `years` calendar years can last, in days.

    S3 Object Lock and GCS count retention in calendar years; a lifecycle rule counts
    days. Expiring at years*365 would delete records up to ceil(years/4) leap days
    before the lock (and the law) allows.
    """
    return years * 365 + math.ceil(years / 4)


@dataclass(frozen=True)
class RetentionRequirement:
    """The retention a stack must keep, and which jurisdictions drive it."""

    years: int
    jurisdictions: tuple[str, ...]
    minors: bool
    governing: tuple[str, ...]
    citations: tuple[str, ...]
    # The legal floor the citations require, when the stack chose longer (retentionYears); None: the floor.
    floor_years: int | None = None

    @property
    def days(self) -> int:
        return days_for_years(self.years)

    @property
    def seconds(self) -> int:
        return self.days * 86_400

    def describe(self) -> str:
        """The rule in words; the citations are cited for what they require, never for a longer choice."""
        law = ", ".join(self.citations)
        if self.floor_years is not None and self.years > self.floor_years:
            return f"{self.years} years ({self.days} days), the stack's choice above the legal floor of {self.floor_years} years per {law}"
        return f"{self.years} years ({self.days} days) per {law}"


@dataclass(frozen=True)
class RetentionCeiling:
    """The longest retention one cloud's immutability feature holds.

    limit is the service's own limit in its own units; max_years the longest whole-year
    retention whose lifecycle (days_for_years) still fits under it. Each cloud's
    settings/<cloud>_limits.py declares its ceiling; check_ceiling refuses the same way
    on every cloud: field retentionYears, the value given, the limit.
    """

    service: str
    limit: str
    max_years: int


def longest_years(fits: Callable[[int], bool], search_up_to: int = 1000) -> int:
    """The largest whole number of years for which fits(years) holds (0 when none does)."""
    return max((y for y in range(1, search_up_to + 1) if fits(y)), default=0)


def check_ceiling(retention: RetentionRequirement, ceiling: RetentionCeiling) -> None:
    if retention.years > ceiling.max_years:
        raise ConfigError(
            "retentionYears",
            retention.years,
            f"at most {ceiling.max_years} years",
            f"{ceiling.service} holds at most {ceiling.limit}",
        )


def parse_jurisdictions(values: Iterable[str], field: str = "jurisdictions") -> tuple[str, ...]:
    codes = []
    for raw in values:
        code = str(raw).strip().upper()
        if code not in JURISDICTIONS:
            raise ConfigError(field, raw, sorted(JURISDICTIONS), "unknown jurisdiction")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ConfigError(field, [], sorted(JURISDICTIONS), "declare at least one jurisdiction")
    return tuple(codes)


def required_retention(jurisdictions: Iterable[str], minors: bool = False) -> RetentionRequirement:
    """The legal floor: the maximum retention over the declared jurisdictions.

    The federal HIPAA floor always applies, whatever else is declared.
    """
    codes = parse_jurisdictions(jurisdictions)
    applicable = [JURISDICTIONS[c] for c in dict.fromkeys(("US", *codes))]
    years = max(j.years_for(minors) for j in applicable)
    governing = tuple(j.code for j in applicable if j.years_for(minors) == years)
    citations = tuple(JURISDICTIONS[c].citation_for(minors) for c in governing)
    return RetentionRequirement(years, codes, minors, governing, citations)


def resolve_retention(
    jurisdictions: Iterable[str], minors: bool = False, explicit_years: int | None = None
) -> RetentionRequirement:
    """The retention a stack uses: the legal floor, or a longer explicit choice.

    A retention below the floor is refused, never silently raised: the person who
    wrote it must learn that the law asks for more.
    """
    floor = required_retention(jurisdictions, minors)
    if explicit_years is None:
        return floor
    if isinstance(explicit_years, bool) or not isinstance(explicit_years, int):
        raise ConfigError("retentionYears", explicit_years, f"a whole number of years >= {floor.years}")
    if explicit_years < floor.years:
        raise ConfigError(
            "retentionYears",
            explicit_years,
            f"a whole number of years >= {floor.years}",
            f"below the legal floor of {floor.describe()}",
        )
    if explicit_years == floor.years:
        return floor
    return RetentionRequirement(
        explicit_years, floor.jurisdictions, minors, floor.governing, floor.citations, floor.years
    )
