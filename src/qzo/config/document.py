"""The key tables of ``config/README.md``, generated from the schema (keys, types, descriptions)
and the defaults it fills in, so the documentation cannot drift from the schema.

The README holds blocks ``<!-- keys: SECTION -->`` … ``<!-- /keys -->``; each is rewritten with
one row per key of SECTION (``.`` for the top-level scalars). Run
``python -m qzo.config.document config/README.md`` to rewrite them, with ``--check`` to fail
when they are stale (the tests do).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from qzo.config.validate import SCHEMA_PATH, default_config, read_yaml

_BLOCK = re.compile(r"(<!-- keys: (\S+) -->\n)(.*?)(<!-- /keys -->)", re.S)
_HEADER = "| key | type | default | meaning |\n|---|---|---|---|\n"


def _resolve(schema: dict, node: dict) -> dict:
    """``node`` with a local ``$ref`` merged in (the node's own keys win)."""
    if "$ref" not in node:
        return node
    target: Any = schema
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    merged["properties"] = {
        **target.get("properties", {}),
        **{
            k: {**target.get("properties", {}).get(k, {}), **v}
            for k, v in node.get("properties", {}).items()
        },
    }
    merged["x-kind"] = node["$ref"].rsplit("/", 1)[-1]
    return merged


def _bounds(node: dict) -> str:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if low is not None and high is not None:
        left = "[" if "minimum" in node else "("
        right = "]" if "maximum" in node else ")"
        return f"{left}{low:g}, {high:g}{right}"
    if low is not None:
        return f" ≥ {low:g}" if "minimum" in node else f" > {low:g}"
    return ""


def type_text(node: dict) -> str:
    """A short description of a schema node's type."""
    if "enum" in node:
        values = [f"`{v}`" for v in node["enum"]]
        return ", ".join(values[:-1]) + f" or {values[-1]}"
    if "oneOf" in node:
        return " or ".join(type_text(option) for option in node["oneOf"]).replace(
            "list of strings or", "list of strings, or"
        )
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(k if k != "null" else "null" for k in kind)
    if "x-kind" in node:
        return node["x-kind"]
    if kind in ("integer", "number"):
        bounds = _bounds(node)
        return bounds if bounds.startswith(("[", "(")) else f"{kind}{bounds}"
    if kind == "array":
        items = node.get("items", {})
        size = node.get("minItems") if node.get("minItems") == node.get("maxItems") else None
        if items.get("type") == "array":
            noun = f"lists of {_plural(type_text(items.get('items', {})))}"
        elif items.get("type") == "object":
            noun = "mappings"
        else:
            noun = _plural(type_text(items)) if items else "values"
        return f"list of {size} {noun}" if size else f"list of {noun}"
    if kind == "object":
        return "mapping"
    return str(kind or "")


def _plural(text: str) -> str:
    """``number ≥ 0`` → ``numbers ≥ 0``; enumerations and ranges stay as they are."""
    for word in ("number", "integer", "string"):
        if text.startswith(word):
            return word + "s" + text[len(word) :]
    return text


def _flow(value: Any) -> str:
    """A value as YAML flow, in code quotes."""
    if value is None:
        return "`null`"
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return f"`{text}`"


def _rows(
    schema: dict, node: dict, key: str, default: Any, overrides: Any
) -> Iterator[tuple[str, ...]]:
    node = _resolve(schema, node)
    properties = node.get("properties", {})
    if key:
        shown = "" if properties or default is _MISSING else _flow(default)
        if not properties and overrides is not _MISSING and overrides != default:
            shown += f" ({_flow(overrides)} in `config.yaml`)"
        yield (f"`{key}`", type_text(node), shown, _clean(node.get("description", "")))
    items = node.get("items", {})
    if node.get("type") == "array" and items.get("type") == "object":
        for name, sub in items.get("properties", {}).items():
            yield from _rows(schema, sub, f"{key}[].{name}", _MISSING, _MISSING)
    for name, sub in properties.items():
        child = default.get(name, _MISSING) if isinstance(default, dict) else _MISSING
        over = overrides.get(name, _MISSING) if isinstance(overrides, dict) else _MISSING
        yield from _rows(schema, sub, f"{key}.{name}" if key else name, child, over)


_MISSING: Any = object()


def _clean(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def key_table(section: str, embedded: dict | None = None) -> str:
    """The Markdown table of every key of ``section`` (``.``: the top-level scalars), with the
    schema's defaults and, where ``embedded`` (the shipped ``config.yaml``) differs, its value."""
    schema = read_yaml(SCHEMA_PATH)
    defaults = default_config()
    embedded = embedded or {}
    if section == ".":
        rows = [
            row
            for name, sub in schema["properties"].items()
            if "properties" not in _resolve(schema, sub)
            for row in _rows(schema, sub, name, defaults[name], embedded.get(name, _MISSING))
        ]
    else:
        rows = list(
            _rows(
                schema,
                schema["properties"][section],
                section,
                defaults[section],
                embedded.get(section, _MISSING),
            )
        )
    return _HEADER + "".join("| " + " | ".join(row) + " |\n" for row in rows)


def render(readme: str, embedded: dict | None = None) -> str:
    """``readme`` with every key block regenerated."""
    return _BLOCK.sub(lambda m: m.group(1) + key_table(m.group(2), embedded) + m.group(4), readme)


def documented_sections(readme: str) -> list[str]:
    """The sections that ``readme`` has key blocks for."""
    return [m.group(2) for m in _BLOCK.finditer(readme)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readme", type=Path, help="config/README.md")
    parser.add_argument("--check", action="store_true", help="fail if the tables are stale")
    args = parser.parse_args(argv)
    embedded = read_yaml(args.readme.parent / "config.yaml")
    text = args.readme.read_text()
    new = render(text, embedded)
    if args.check:
        if new != text:
            print(f"{args.readme}: key tables are stale; run python -m qzo.config.document")
            return 1
        return 0
    args.readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
