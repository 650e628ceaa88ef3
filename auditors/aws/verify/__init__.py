"""`auditkit verify aws`: prove CloudTrail's delivered logs are complete and unaltered.

Collectors (`collect`) list and read the digest chain and log files; judges (`digests`, `chain`,
`logs`) are pure functions over what was read; `run` turns their verdicts into findings of
control `aws.trail.integrity`. Formats follow AWS's "CloudTrail digest file structure" and
"Custom implementations of CloudTrail log file integrity validation" pages.
"""
