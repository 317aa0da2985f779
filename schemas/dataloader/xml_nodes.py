"""XML read with defusedxml into plain nodes that keep their line numbers; hostile XML refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ErrorString

import defusedxml
from defusedxml.ElementTree import DefusedXMLParser

from schemas.dataloader.errors import HostileXmlError, ProcessConfError


@dataclass
class Node:
    """An element: its local tag (namespace dropped), attributes, children, text and line."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find_all(self, tag: str) -> list[Node]:
        """The direct children with this tag."""
        return [child for child in self.children if child.tag == tag]

    def find(self, tag: str) -> Node | None:
        """The first direct child with this tag."""
        return next((child for child in self.children if child.tag == tag), None)


class _Builder:
    """An ElementTree parser target that builds ``Node``s, reading each start tag's line from
    the parser's expat instance."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.stack: list[Node] = []
        self.root: Node | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        node = Node(tag.rpartition("}")[2], dict(attrs), self.line())
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text += text

    def close(self) -> Node | None:
        return self.root

    def line(self) -> int:
        return int(self.parser.parser.CurrentLineNumber) if self.parser is not None else 0


def parse_xml(data: bytes, *, path: str) -> Node:
    """Parse XML bytes, refusing entity declarations and external references (a DOCTYPE that
    only names an external DTD is read, the DTD never fetched).

    Raises:
        HostileXmlError: entities declared or external references made.
        ProcessConfError: not well-formed XML (with the line expat gives).
    """
    builder = _Builder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except defusedxml.DefusedXmlException as exc:
        raise HostileXmlError(
            f"refused: {_hostile(exc)} (entities are never expanded nor fetched)",
            path=path,
            line=builder.line() or None,
        ) from exc
    except ParseError as exc:
        line, _column = exc.position
        raise ProcessConfError(
            f"not well-formed XML: {ErrorString(exc.code)}", path=path, line=line
        ) from exc
    if not isinstance(root, Node):
        raise ProcessConfError("no XML element found", path=path, line=None)
    return root


def _hostile(exc: Exception) -> str:
    if isinstance(exc, defusedxml.EntitiesForbidden):
        return f"the XML declares entity {exc.name!r}"
    if isinstance(exc, defusedxml.ExternalReferenceForbidden):
        return f"the XML refers to external {exc.sysid!r}"
    return f"the XML has a declaration hubload refuses ({type(exc).__name__})"
