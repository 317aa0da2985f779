"""The errors of reading Data Loader's files: one line each, naming the file and the line.

    MappingError (schemas.mapping_spec, a ValueError)
    └── DataLoaderFileError         a Data Loader file cannot be read at all (``path``, ``line``)
        ├── NotTextError            a .sdl that is binary, or not text in its declared encoding
        ├── PropertiesSyntaxError   a .sdl that Java's Properties.load refuses (a bad \\uXXXX)
        ├── ConversionError         a load map that sets no field at all (line None)
        └── ProcessConfError        a process-conf.xml that is not well-formed, or not beans
            └── HostileXmlError     entity declarations or external references: refused

What Data Loader reads but handles silently is not an error: it is a ``Diagnostic``
(``schemas.dataloader.diagnostics``), for the caller to report.
"""

from __future__ import annotations

from schemas.mapping_spec import MappingError


class DataLoaderFileError(MappingError):
    """A Data Loader file that cannot be read; ``path`` and ``line`` (1-based, or None when
    the problem is the whole file) say where."""

    def __init__(self, reason: str, *, path: str, line: int | None) -> None:
        where = f"{path}: line {line}" if line is not None else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class NotTextError(DataLoaderFileError):
    """The file is binary (NUL bytes) or not text in its declared encoding."""


class PropertiesSyntaxError(DataLoaderFileError):
    """A line Java's ``Properties.load`` refuses (it throws IllegalArgumentException)."""


class ProcessConfError(DataLoaderFileError):
    """A process-conf.xml that is not well-formed XML, or has no Spring ``beans``."""


class HostileXmlError(ProcessConfError):
    """The XML declares entities or refers to external ones: refused, never expanded."""


class ConversionError(DataLoaderFileError):
    """A load map that gives no mapping at all: every line is dead or an unmapped column."""
