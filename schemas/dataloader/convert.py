"""A load map turned into hubload's YAML mapping: a dict for ``yaml.safe_dump``, and a text form
with the diagnostics as comments.

Field ``Name: column``; a constant ``{value: ...}``; joined columns ``{columns: [...],
separator: ", "}``; a lookup ``Account:Ext__c`` as ``Account.Ext__c``, and
``Parent:Account-Oracle_Id__c`` as ``Parent.Oracle_Id__c`` with ``parent_object: Account``.
Deliberately unmapped columns go to ``ignore``; dead entries are dropped (their diagnostics say
so), and a constant that beats a column is kept, as Data Loader keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any

import yaml

from schemas.dataloader.diagnostics import Diagnostic
from schemas.dataloader.errors import ConversionError
from schemas.dataloader.sdl import Assignment, EntryKind, LoadMap
from schemas.mapping_spec import MappingSpec

SEPARATOR = ", "
"""What Data Loader joins a composite source's columns with."""


@dataclass(frozen=True)
class Conversion:
    """A load map in hubload's mapping format, with what was noticed on the way."""

    path: str
    mapping: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...]

    def spec(self) -> MappingSpec:
        """The mapping as hubload's model.

        Raises:
            MappingError: the converted mapping does not fit the format (a bug here, if ever).
        """
        return MappingSpec.parse(self.mapping, origin=self.path)

    def text(self) -> str:
        """YAML text: a comment block naming the source and each diagnostic, then the mapping."""
        name = PureWindowsPath(self.path).name
        lines = [f"# Converted from Data Loader mapping {name}"]
        for diagnostic in self.diagnostics:
            message = diagnostic.message.replace("\n", " ")
            lines.append(
                f"# {diagnostic.severity} (line {diagnostic.line}, {diagnostic.code}): {message}"
            )
        body = yaml.dump(
            _inline_sources(self.mapping),
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=100,
        )
        return "\n".join(lines) + "\n" + body


def convert(load_map: LoadMap, *, object_name: str | None = None) -> Conversion:
    """Turn a load map into hubload's mapping dict.

    Raises:
        ConversionError: the map sets no field (only dead or unmapped lines).
    """
    if not load_map.assignments:
        raise ConversionError(
            "sets no field: every line is a deliberately unmapped column or is dead "
            f"({len(load_map.entries)} lines kept)",
            path=load_map.path,
            line=None,
        )
    fields = {assignment.field: _source(assignment) for assignment in load_map.assignments}
    mapping: dict[str, Any] = {}
    if object_name:
        mapping["object"] = object_name
    mapping["fields"] = fields
    ignored = list(load_map.ignored_columns())
    if ignored:
        mapping["ignore"] = ignored
    return Conversion(load_map.path, mapping, load_map.diagnostics)


class _Inline(dict[str, Any]):
    """A field's source written on one line, as ``{value: Aerospace}``."""


class _Dumper(yaml.SafeDumper):
    """The safe dumper, writing ``_Inline`` mappings in flow style."""


def _represent_inline(dumper: yaml.SafeDumper, data: _Inline) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


_Dumper.add_representer(_Inline, _represent_inline)


def _inline_sources(mapping: dict[str, Any]) -> dict[str, Any]:
    fields = {
        name: _Inline(source) if isinstance(source, dict) else source
        for name, source in mapping["fields"].items()
    }
    return {**mapping, "fields": fields}


def _source(assignment: Assignment) -> str | dict[str, Any]:
    entry = assignment.entry
    lookup = assignment.destination.lookup
    parent = {"parent_object": lookup.parent_object} if lookup and lookup.parent_object else {}
    if entry.kind is EntryKind.CONSTANT:
        return {"value": entry.constant, **parent}
    if entry.kind is EntryKind.COMPOSITE:
        return {"columns": list(entry.columns), "separator": SEPARATOR, **parent}
    column = entry.columns[0]
    return {"column": column, **parent} if parent else column
