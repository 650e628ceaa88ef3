"""An alert's corpus for one deployment: the example names it was written with, replaced by the real ones.

Corpora name an example archive and example PHI buckets (corpus/<cloud>.py EXAMPLE_PARAMETERS). A deployed
filter names the customer's own, so it is judged against the corpus with each example value replaced:
a single value (the archive) by the real one; a list (the PHI buckets) by each real value, so a must-match
event on a PHI bucket becomes one must-match event per real bucket and a filter that leaves one out
misses it by name. Near misses keep their shape and take the first real value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.alerts.model import Corpus, CorpusEvent

Parameters = Mapping[str, str | Sequence[str]]


def _replace(node: Any, swaps: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        if not swaps:
            return node
        # One pass, longest example first: an example name may hold another ("auditkit-archive" is in
        # "auditkit-archive-logs"), and a real name may hold an example one.
        pattern = "|".join(re.escape(old) for old in sorted(swaps, key=len, reverse=True))
        return re.sub(pattern, lambda m: swaps[m.group(0)], node)
    if isinstance(node, Mapping):
        return {k: _replace(v, swaps) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, swaps) for v in node]
    return node


def _mentions(node: Any, values: Sequence[str]) -> bool:
    if isinstance(node, str):
        return any(v in node for v in values)
    if isinstance(node, Mapping):
        return any(_mentions(v, values) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v, values) for v in node)
    return False


def _values(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def bound_corpus(corpus: Corpus, example: Parameters, actual: Parameters) -> Corpus:
    """The corpus with every example parameter value replaced by the deployment's (see module doc).

    A parameter missing from `actual` keeps its example value (the filter does not name it either).
    """
    single = {v: _values(actual[k])[0] for k, v in example.items() if isinstance(v, str) and k in actual}
    lists = {k: (tuple(v), _values(actual[k])) for k, v in example.items() if not isinstance(v, str) and k in actual}
    near = dict(single)
    for examples, real in lists.values():
        near.update({e: real[0] for e in examples})

    def expand(e: CorpusEvent) -> list[CorpusEvent]:
        out = [CorpusEvent(e.name, e.source, _replace(e.event, single))]
        for examples, real in lists.values():
            if not _mentions(e.event, examples) or len(real) < 2:
                out = [CorpusEvent(x.name, x.source, _replace(x.event, {ex: real[0] for ex in examples})) for x in out]
                continue
            out = [
                CorpusEvent(f"{x.name} ({r})", x.source, _replace(x.event, dict.fromkeys(examples, r)))
                for x in out
                for r in real
            ]
        return out

    must = tuple(x for e in corpus.must_match for x in expand(e))
    must_not = tuple(CorpusEvent(e.name, e.source, _replace(e.event, near)) for e in corpus.must_not_match)
    return Corpus(must, must_not)


# Bound corpora, shared: a plan judged by every policy of the pack binds the same corpus to the same names
# dozens of times. Keys hold the alert id and the names; a value computed at apply is keyed by its identity.
_BOUND: dict[Any, Corpus] = {}
_BOUND_MAX = 4096


def bound_once(alert_id: str, corpus: Corpus, example: Parameters, actual: Parameters) -> Corpus:
    """`bound_corpus(corpus, example, actual)`, computed once per alert and set of names."""
    try:
        key = (alert_id, tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in actual.items())))
        hash(key)
    except TypeError:  # a name that cannot be a key: bind it afresh
        return bound_corpus(corpus, example, actual)
    found = _BOUND.get(key)
    if found is None:
        if len(_BOUND) >= _BOUND_MAX:
            _BOUND.clear()
        found = _BOUND[key] = bound_corpus(corpus, example, actual)
    return found
