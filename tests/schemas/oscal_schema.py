"""Validate a document against NIST's released OSCAL Assessment Results JSON schema (vendored here).

Two gaps of Python's JSON Schema tooling are closed here, the way the schema means them:
- OSCAL's patterns use ECMA-262 Unicode property classes (`\\p{L}`, `\\p{N}` in TokenDatatype) that
  Python's `re` cannot compile; the `regex` module can, so `pattern` is evaluated with it.
- jsonschema checks the `uri` / `uri-reference` formats only when an optional RFC 3987 package is
  installed; without one it skips them silently. The check below follows RFC 3986's grammar
  (section 3 components, section 4.1 URI-reference: a URI or a relative reference), so an href
  holding a space or an unencoded `%` fails as it would in any validating OSCAL tool.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import jsonschema
import regex

SCHEMA = Path(__file__).resolve().parent / "oscal_assessment-results_schema.json"
SCHEMA_SHA256 = "37f41f6813c78e6d2c272b27030e17e93d7f92fee519c72e7531574fa0ecbb05"  # PROVENANCE.md

_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|{_PCT})"
_NC = rf"(?:[A-Za-z0-9\-._~!$&'()*+,;=@]|{_PCT})"  # segment-nz-nc: no ":" in a relative path's first segment
_HOST = rf"(?:\[[0-9A-Fa-f:.vV]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|{_PCT})*)"
_AUTHORITY = rf"(?:(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|{_PCT})*@)?{_HOST}(?::[0-9]*)?"
_TAIL = rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
_ABS_PATH = rf"/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"
URI = re.compile(
    rf"^[A-Za-z][A-Za-z0-9+.\-]*:(?://{_AUTHORITY}(?:/{_PCHAR}*)*|{_ABS_PATH}|{_PCHAR}+(?:/{_PCHAR}*)*|){_TAIL}$"
)
RELATIVE = re.compile(rf"^(?://{_AUTHORITY}(?:/{_PCHAR}*)*|{_ABS_PATH}|{_NC}+(?:/{_PCHAR}*)*|){_TAIL}$")


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    checker.checks("uri")(lambda v: not isinstance(v, str) or bool(URI.match(v)))
    checker.checks("uri-reference")(lambda v: not isinstance(v, str) or bool(URI.match(v) or RELATIVE.match(v)))
    return checker


def validator() -> jsonschema.protocols.Validator:
    data = SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "the vendored schema changed: see PROVENANCE.md"
    schema = json.loads(data)
    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})
    return cls(schema, format_checker=_checker())


def errors(doc: dict) -> list[str]:
    """Every violation, as `path: message` (empty when the document is valid)."""
    v = validator()
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in v.iter_errors(doc)]
