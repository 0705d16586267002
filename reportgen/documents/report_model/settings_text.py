"""The settings that shaped the analysis, as reportgen.toml text for the appendix."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from reportgen.model.kinds import KIND_SECTIONS, kind_wording

LIST_WIDTH = 58  # characters: a wrapped list's line fits one of the appendix's two columns, unbroken


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        items = [_toml_value(v) for v in value]
        if sum(len(i) + 2 for i in items) <= 60:
            return "[" + ", ".join(items) + "]"
        lines: list[str] = []  # wrapped, several to a line: a column list should not fill a page
        for item in items:
            if lines and len(lines[-1]) + len(item) + 2 <= LIST_WIDTH:
                lines[-1] += f" {item},"
            else:
                lines.append(f"  {item},")
        return "[\n" + "\n".join(lines) + "\n]"
    if isinstance(value, Mapping):  # an inline table: a column -> format map reads as TOML, not as "{...}"
        pairs = (f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in sorted(value.items()))
        return "{" + ", ".join(pairs) + "}" if value else "{}"
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def config_text(config: Mapping[str, Any], no_effect: Collection[tuple[str, str]] = ()) -> str:
    """Return the settings that shape the analysis as reportgen.toml text: sections, keys, no unset values,
    and none of the (section, key) pairs in `no_effect` (set, but nothing in this table for them to act on)."""
    # e-mail settings and the input path are about delivery, not results (and name people and folders);
    # a kind's own sections (the transaction columns) matter only for that kind of table, and a log's
    # features are derived from it: the customer-table keys did not shape it
    wording = kind_wording(str(config.get("data", {}).get("kind", "")))
    skip = {"email"} | (KIND_SECTIONS - set(wording.settings_sections))
    not_used = set(wording.unused_data_keys)
    blocks = []
    for section in sorted(k for k in config if k not in skip):
        values = config[section]
        if not isinstance(values, Mapping):
            continue
        lines = [f"[{section}]"]
        for key in sorted(values):
            value = values[key]
            if value is None or (section == "data" and (key == "path" or key in not_used)):
                continue
            if isinstance(value, list | tuple | Mapping | str) and not value:
                continue  # an empty list, table or text is the default: nothing was set
            if (section, key) in no_effect:
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
