"""Stack files as the Pulumi CLI writes them: finding `Pulumi.<stack>.yaml`, reading its namespaces.

`pulumi config set auditkit:minors true` stores the string "true"; `--path 'auditkit:aws.trailName' x`
nests `trailName` under `auditkit:aws`. This module only finds and splits the file; the values are
judged by `components.settings.parse_settings`, the one config reader of the program, pack and CLI.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditkit.policies.errors import ConfigError

NAMESPACE = "auditkit"
# Namespaces of the providers a stack file legitimately holds beside ours.
PROVIDER_NAMESPACES = ("aws", "gcp", "azure-native", "pulumi")


@dataclass(frozen=True)
class StackFile:
    """The parts of a stack file AuditKit reads, with the keys still as Pulumi stored them."""

    path: Path
    name: str
    auditkit: dict[str, Any]
    aws_region: Any
    azure: dict[str, Any]


def stack_name(path: Path) -> str:
    return path.name[len("Pulumi.") : -len(".yaml")]


def example_stacks_dir() -> Path:
    """The example stacks shipped inside the package (`auditkit.stacks`)."""
    from auditkit import stacks

    return Path(stacks.__file__).resolve().parent


def find_stack_file(stack: str, stacks_dir: str | Path | None, note: Callable[[str], None] | None = None) -> Path:
    """`--stacks-dir` if given; else `./stacks`; only when there is no `./stacks` folder at all, the
    examples shipped with AuditKit (said on stderr).

    A user who has a `./stacks` folder never gets a shipped example under a name they also use
    (`production`): a stack missing there is refused, naming every folder and the stacks each holds.
    """
    own = Path(stacks_dir) if stacks_dir is not None else Path.cwd() / "stacks"
    path = own / f"Pulumi.{stack}.yaml"
    if path.is_file():
        return path
    if stacks_dir is None and not own.exists():
        example = example_stacks_dir() / f"Pulumi.{stack}.yaml"
        if example.is_file():
            (note or _stderr)(
                f"note: no ./stacks folder here; using the example stack shipped with AuditKit: {example}"
            )
            return example
    shipped = example_stacks_dir()
    raise ConfigError(
        "stack",
        stack,
        f"a stack file Pulumi.<stack>.yaml in: {_holding(own)}",
        "no such stack file"
        + (
            f"; the examples shipped with AuditKit ({_holding(shipped)}) are used only where there is no ./stacks "
            f"folder: pass --stacks-dir {shipped} to use one"
            if stacks_dir is None
            else ""
        ),
    )


def _holding(folder: Path) -> str:
    names = sorted(stack_name(p) for p in folder.glob("Pulumi.*.yaml")) if folder.is_dir() else []
    return f"{folder} ({', '.join(names) or ('no stacks' if folder.is_dir() else 'no such folder')})"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, again: int) -> None:
        super().__init__(f"{key!r} at lines {first} and {again}")
        self.key, self.first, self.again = key, first, again


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping. PyYAML keeps the last value silently;
    the Pulumi CLI's reader (Go yaml.v3) refuses the file ("mapping key already defined"), so a stack
    AuditKit accepted would not deploy, or a reader would believe the first value."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: overriding merged keys is the point
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.setdefault(key, key_node.start_mark.line + 1)
        except TypeError:  # an unhashable key: construct_mapping refuses it with its own message
            continue
        if first != key_node.start_mark.line + 1:
            raise _DuplicateKey(key, first, key_node.start_mark.line + 1)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), None, "a readable Pulumi stack file", exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), None, "a UTF-8 YAML stack file", f"not text: byte {exc.start} is not UTF-8"
        ) from None
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506  # a SafeLoader subclass
    except _DuplicateKey as exc:
        raise ConfigError(
            str(path),
            exc.key,
            "each key once per mapping (the Pulumi CLI refuses a repeated key too)",
            f"a key given twice, at line {exc.first} and line {exc.again}",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(str(path), None, "a YAML stack file with a `config:` mapping", f"not YAML{where}") from None
    if doc is None:
        raise ConfigError(str(path), None, "a stack file with a `config:` mapping", "the file is empty")
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config"), Mapping):
        shown = type(doc).__name__ if not isinstance(doc, Mapping) else f"keys {sorted(doc)}"
        raise ConfigError(str(path), shown, "a stack file with a `config:` mapping", "no config mapping")
    return doc["config"]


def read_stack_config(path: Path, warn: Callable[[str], None] | None = None) -> StackFile:
    """Split a stack file into the `auditkit:` settings and the provider values AuditKit uses.

    A flat `auditkit:aws.hotDays` key is refused (Pulumi's `--path` nests it under `auditkit:aws`);
    a namespace that looks like a misspelling of `auditkit` warns, since Pulumi itself accepts it.
    """
    warn = warn or _stderr
    raw = _read_yaml(path)
    config: dict[str, Any] = {}
    for key, value in raw.items():
        namespace, _, name = str(key).partition(":")
        if namespace == NAMESPACE:
            if "." in name:
                head = name.split(".", 1)[0]
                raise ConfigError(
                    f"{path}: {key}",
                    value,
                    f"nest under `auditkit:{head}` (pulumi config set --path '{key}' ...)",
                    "a flat dotted key is not read",
                )
            config[name] = value
        elif namespace not in PROVIDER_NAMESPACES and difflib.get_close_matches(namespace, [NAMESPACE], cutoff=0.75):
            warn(f"warning: {path}: `{key}` is not read: did you mean `{NAMESPACE}:{name}`?")
    if not config:
        warn(f"warning: {path}: no `auditkit:` settings; the defaults apply (US, 6 years, aws)")
    azure = {k.split(":", 1)[1]: v for k, v in raw.items() if str(k).startswith("azure-native:")}
    return StackFile(path, stack_name(path), config, raw.get("aws:region"), azure)


def stack_error(exc: ConfigError, path: Path | None, flags: Mapping[str, str] | None = None) -> ConfigError:
    """A refused stack setting, named where its value came from: the flag that set it, else the stack file
    and the key as Pulumi spells it (`auditkit:retentionYears`, `aws:region`)."""
    if flags and exc.field in flags:
        return ConfigError(flags[exc.field], exc.value, exc.allowed, exc.why)
    if path is None:
        return exc
    key = exc.field if ":" in exc.field or exc.field == "stack" else f"auditkit:{exc.field}"
    return ConfigError(f"{path}: {key}", exc.value, exc.allowed, exc.why)
