"""Alerts: the catalog of high-risk activity alerts and the evaluators that judge what a filter matches."""
