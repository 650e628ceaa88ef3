"""Review queries made of the alert catalog: the events the deployed CloudWatch alarms count, as SQL and sieve.

The daily and monthly event lists are the alert catalog's own AWS filter patterns, rendered with the review's
parameters and translated (alert_sql for the SQL, sieve for the records the SQL can select), so a review
finds exactly what the alarms count.
"""

from __future__ import annotations

from collections.abc import Callable

from auditkit.policies.alerts.catalog import ALERTS_BY_ID, alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.review.alert_sql import Untranslatable, pattern_predicate, quote
from auditkit.policies.review.query_parts import (
    ACTION,
    IDENTITY,
    OUTCOME,
    RESOURCE_GROUP,
    Dialect,
    NotReviewable,
    ReviewParams,
    au3,
    period,
)
from auditkit.policies.review.sieve import Sieve, pattern_sieve, union


def alert_predicate(alert: Alert, p: ReviewParams) -> str:
    """The alert's deployed AWS filter pattern, rendered with the review's parameters, as SQL."""
    try:
        return pattern_predicate(_rendered(alert, p))
    except Untranslatable as exc:
        raise NotReviewable(f"alert {alert.id}: {exc}") from None


def alert_sieve(alert: Alert, p: ReviewParams) -> Sieve:
    return pattern_sieve(_rendered(alert, p))


def _rendered(alert: Alert, p: ReviewParams) -> str:
    variant = alert.on("aws")
    if variant is None:
        raise NotReviewable(f"alert {alert.id} has no AWS filter")
    params: dict[str, str | tuple[str, ...]] = {}
    if "archive_bucket" in variant.parameters:
        if not p.archive_bucket:
            raise NotReviewable(f"alert {alert.id} needs the archive bucket (--archive-bucket)")
        params["archive_bucket"] = p.archive_bucket
    if "phi_buckets" in variant.parameters:
        if not p.phi_buckets:
            raise NotReviewable(f"alert {alert.id} needs the PHI buckets (--phi-bucket)")
        params["phi_buckets"] = p.phi_buckets
    return variant.render(params)


def alert_rows(d: Dialect, p: ReviewParams, alert: Alert) -> str:
    pred, variant = alert_predicate(alert, p), alert.on("aws")
    assert variant is not None
    head = f"SELECT {quote(alert.id)} AS alert, {quote(alert.severity.value)} AS severity"
    if not variant.threshold.is_rate:
        return f"{head}, 1 AS events, {au3(d)} FROM records WHERE {period(d, p)} AND {pred}"
    window = variant.threshold.period_seconds
    return (
        f"{head}, COUNT(*) AS events, {d.joined(IDENTITY)} AS identity, {d.iso('MIN(event_time)')} AS time_utc, "
        f"{d.joined(ACTION)} AS action, {d.joined(RESOURCE_GROUP)} AS resource, {d.joined('source_ip')} AS source_ip, "
        f"{d.joined('user_agent')} AS user_agent, {d.joined(OUTCOME)} AS outcome, "
        f"{d.first('log_file', 'event_time')} AS log_file, {d.first('event_id', 'event_time')} AS event_id "
        f"FROM records WHERE {period(d, p)} AND {pred} GROUP BY FLOOR({d.epoch('event_time')} / {window}) "
        f"HAVING COUNT(*) >= {variant.threshold.count}"
    )


def high_risk_alerts(p: ReviewParams) -> tuple[list[Alert], list[str]]:
    """The AWS alerts the daily review can run with these parameters, and why the others cannot."""
    runnable, skipped = [], []
    for alert in alerts_on("aws"):
        try:
            alert_predicate(alert, p)
            runnable.append(alert)
        except NotReviewable as exc:
            skipped.append(str(exc))
    return runnable, skipped


def daily_high_risk(d: Dialect, p: ReviewParams) -> str:
    alerts, _ = high_risk_alerts(p)
    if not alerts:
        raise NotReviewable("no alert of the catalog can run with the parameters given")
    union = " UNION ALL ".join(alert_rows(d, p, a) for a in alerts)
    return f"SELECT * FROM ({union}) t ORDER BY alert, time_utc, event_id"


def daily_sieve(p: ReviewParams) -> Sieve:
    return union(alert_sieve(a, p) for a in high_risk_alerts(p)[0])


def changes_sieve(*alert_ids: str) -> Callable[[ReviewParams], Sieve]:
    return lambda p: union(alert_sieve(ALERTS_BY_ID[a], p) for a in alert_ids)


def changes(*alert_ids: str) -> Callable[[Dialect, ReviewParams], str]:
    def build(d: Dialect, p: ReviewParams) -> str:
        cases, preds = [], []
        for a in alert_ids:
            pred = alert_predicate(ALERTS_BY_ID[a], p)
            cases.append(f"WHEN {pred} THEN {quote(a)}")
            preds.append(pred)
        which = "CASE " + " ".join(cases) + " END"
        return (
            f"SELECT {which} AS alert, {au3(d)} FROM records WHERE {period(d, p)} AND ({' OR '.join(preds)}) "
            "ORDER BY time_utc, event_id"
        )

    return build
