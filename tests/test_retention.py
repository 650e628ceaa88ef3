import pytest

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import days_for_years, required_retention, resolve_retention


@pytest.mark.parametrize(
    ("jurisdictions", "minors", "years", "governing"),
    [
        (["US"], False, 6, ("US",)),
        (["CA"], False, 7, ("CA",)),
        (["TX"], False, 7, ("TX",)),
        (["NY"], False, 6, ("US", "NY")),
        (["NY"], True, 21, ("NY",)),
        (["US", "CA", "NY"], True, 21, ("NY",)),
        (["us", "ca"], False, 7, ("CA",)),
    ],
)
def test_required_retention_is_the_maximum_over_jurisdictions(jurisdictions, minors, years, governing):
    r = required_retention(jurisdictions, minors)
    assert r.years == years
    assert r.governing == governing


def test_citations_name_the_governing_rule():
    assert required_retention(["CA"]).citations == ("22 CCR 72543",)
    assert required_retention(["TX"]).citations == ("22 TAC 163.2",)
    assert required_retention(["US"]).citations == ("45 CFR 164.316(b)(2)(i)",)
    assert "minors" in required_retention(["NY"], minors=True).citations[0]


def test_days_cover_the_longest_calendar_span():
    # 6 years can contain two Feb 29ths; 21 years six.
    assert days_for_years(6) == 2192
    assert days_for_years(7) == 2557
    assert days_for_years(21) == 7671
    assert required_retention(["NY"], True).seconds == 7671 * 86400


def test_unknown_jurisdiction_is_refused_with_the_allowed_list():
    with pytest.raises(ConfigError) as err:
        required_retention(["US", "FL"])
    assert err.value.field == "jurisdictions"
    assert err.value.value == "FL"
    assert str(err.value) == "jurisdictions='FL' is not allowed: unknown jurisdiction; allowed: CA, NY, TX, US"


def test_empty_jurisdictions_are_refused():
    with pytest.raises(ConfigError, match="declare at least one jurisdiction"):
        required_retention([])


def test_explicit_retention_below_the_floor_is_refused_not_raised():
    with pytest.raises(ConfigError) as err:
        resolve_retention(["CA"], explicit_years=6)
    assert err.value.field == "retentionYears"
    assert "below the legal floor of 7 years (2557 days) per 22 CCR 72543" in str(err.value)
    assert "allowed: a whole number of years >= 7" in str(err.value)


def test_explicit_retention_above_the_floor_is_kept():
    r = resolve_retention(["US"], explicit_years=10)
    assert (r.years, r.governing) == (10, ("US",))


@pytest.mark.parametrize("bad", ["7", 7.5, True])
def test_explicit_retention_must_be_whole_years(bad):
    with pytest.raises(ConfigError, match="retentionYears"):
        resolve_retention(["US"], explicit_years=bad)
