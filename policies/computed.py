"""Values a plan cannot know yet: what the engine computes at apply (an id, an ARN).

At preview the Pulumi engine sends such values as unknowns. The policy pack turns each into
a `Computed` marker naming its field. Fact builders pass markers through untouched; a judge
that needs the value touches it and raises `NotYetKnown`, so only the controls that depend on
a computed fact are left undetermined, and every control whose inputs are literal is judged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn

from auditkit.policies.verdicts import Verdict


class NotYetKnown(Exception):
    """A judgement needed a value that is computed at apply."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is computed at apply")
        self.field = field


class _Refusing:
    """A stand-in no judge may use: truth, comparison, text, hashing, iteration or an attribute
    raises `_error()`, so a judge that reads it stops instead of judging a made-up value."""

    __slots__ = ()

    def _error(self) -> Exception:
        raise NotImplementedError

    def _refuse(self, *_: Any, **__: Any) -> NoReturn:
        raise self._error()

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __int__ = __float__ = __index__ = __str__ = __format__ = __hash__ = _refuse
    __iter__ = __len__ = __contains__ = __getitem__ = _refuse

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise self._error()


class Computed(_Refusing):
    """Stands for a value computed at apply. Any use of it raises NotYetKnown."""

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        object.__setattr__(self, "field", field)

    def _error(self) -> Exception:
        return NotYetKnown(self.field)

    def __repr__(self) -> str:
        return f"Computed({self.field!r})"


def first_computed(value: Any) -> Computed | None:
    """The first marker anywhere inside a plain value, if any."""
    if isinstance(value, Computed):
        return value
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.values()
    elif isinstance(value, Sequence) and not isinstance(value, str):
        items = value
    else:
        return None
    return next((c for c in (first_computed(v) for v in items) if c is not None), None)


def known(value: Any) -> Any:
    """The value itself; raises NotYetKnown if it (or anything inside it) is computed at apply."""
    marker = first_computed(value)
    if marker is not None:
        raise NotYetKnown(marker.field)
    return value


Part = Callable[[], Iterable[str]]


def judged(control_id: str, resources: Sequence[str], *parts: Part) -> Verdict:
    """A control's verdict from independent parts: a part that needs a computed value is
    undetermined, and the gaps the other parts found still stand."""
    gaps: list[str] = []
    undetermined: list[str] = []
    for part in parts:
        try:
            gaps += list(part())
        except NotYetKnown as exc:
            undetermined.append(exc.field)
        except Exception as exc:  # noqa: BLE001 - what could not be read is a gap, never a pass
            gaps.append(f"could not be judged: {type(exc).__name__}: {exc}"[:500])
    return Verdict(control_id, tuple(resources), tuple(gaps), tuple(dict.fromkeys(undetermined)))


def lazily(build: Callable[..., Any], *args: Any) -> Any:
    """build(*args); or a marker for the first computed field it needed, or for the error that
    stopped it, so only the judges that read this fact are affected."""
    try:
        return build(*args)
    except NotYetKnown as exc:
        return Computed(exc.field)
    except Exception as exc:  # noqa: BLE001 - an unexpected shape fails the controls that read it
        return Unreadable(exc)


def flag(value: Any, default: bool) -> Any:
    """A boolean input as the engine sends it; a marker stays a marker."""
    if isinstance(value, Computed):
        return value
    return default if value is None else bool(value)


def text(value: Any, default: str = "") -> Any:
    """A text input as the engine sends it (missing: `default`); a marker stays a marker."""
    return value if isinstance(value, Computed) else str(value or default)


def optional(value: Any) -> Any:
    """An optional input: None when empty; a marker stays a marker."""
    return value if isinstance(value, Computed) else (value or None)


class Unreadable(_Refusing):
    """Stands for a value in a shape no judge understands: any use raises the error that said so."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        object.__setattr__(self, "error", error)

    def _error(self) -> Exception:
        return self.error

    def __repr__(self) -> str:
        return f"Unreadable({self.error!r})"
