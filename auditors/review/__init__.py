"""`auditkit review`: periodic activity review of the verified audit logs, a worksheet, and the reviewer's sign-off."""
