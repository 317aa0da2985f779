"""Salesforce Data Loader's files, read: ``.sdl`` mappings and ``process-conf.xml`` jobs.

Layers, each a module:

- ``properties``: a ``.sdl`` as ``java.util.Properties.load`` reads it (ISO-8859-1, escapes,
  continuations, last duplicate wins at its last place), every entry with its line;
- ``sdl``: what each entry means for a load (LoadMapper), with a ``Diagnostic`` for every event
  Data Loader handles silently (``diagnostics`` has the severity table);
- ``extract``: the extract direction (SOQLMapper); ``direction``: the evidence that a map is one;
- ``convert``: a load map as hubload's YAML mapping (a dict, a ``MappingSpec``, or commented text);
- ``process_conf`` (with ``job``, ``carry_over``, ``xml_nodes``): jobs, typed, secrets never kept.

Typical use::

    properties = read_properties(path)
    direction = extract_evidence(properties, header=header)
    if direction.is_extract:
        ...  # refuse: direction.reason
    conversion = convert(interpret_load(properties), object_name="Account")
    spec, notes = conversion.spec(), conversion.diagnostics

Errors (all ``MappingError``, with ``path`` and ``line``) are in ``errors``.
"""

from schemas.dataloader.convert import Conversion, convert
from schemas.dataloader.diagnostics import Code, Diagnostic, Severity
from schemas.dataloader.direction import (
    Direction,
    Evidence,
    EvidenceKind,
    Strength,
    extract_evidence,
)
from schemas.dataloader.errors import (
    ConversionError,
    DataLoaderFileError,
    HostileXmlError,
    NotTextError,
    ProcessConfError,
    PropertiesSyntaxError,
)
from schemas.dataloader.extract import (
    ExtractEntry,
    ExtractKind,
    ExtractMap,
    interpret_extract,
    read_extract_map,
)
from schemas.dataloader.job import (
    DataAccessType,
    DataSource,
    FileRef,
    Job,
    Operation,
    Reason,
    ReasonCode,
    Setting,
)
from schemas.dataloader.names import Destination, Lookup, LookupSyntax
from schemas.dataloader.process_conf import (
    JobReading,
    ProcessConf,
    parse_process_conf,
    read_process_conf,
)
from schemas.dataloader.properties import (
    PropertiesFile,
    PropertyEntry,
    decode_properties,
    parse_properties,
    read_properties,
)
from schemas.dataloader.sdl import (
    Assignment,
    EntryKind,
    LoadEntry,
    LoadMap,
    interpret_load,
    read_load_map,
)

__all__ = [
    "Assignment",
    "Code",
    "Conversion",
    "ConversionError",
    "DataAccessType",
    "DataLoaderFileError",
    "DataSource",
    "Destination",
    "Diagnostic",
    "Direction",
    "EntryKind",
    "Evidence",
    "EvidenceKind",
    "ExtractEntry",
    "ExtractKind",
    "ExtractMap",
    "FileRef",
    "HostileXmlError",
    "Job",
    "JobReading",
    "LoadEntry",
    "LoadMap",
    "Lookup",
    "LookupSyntax",
    "NotTextError",
    "Operation",
    "ProcessConf",
    "ProcessConfError",
    "PropertiesFile",
    "PropertiesSyntaxError",
    "PropertyEntry",
    "Reason",
    "ReasonCode",
    "Setting",
    "Severity",
    "Strength",
    "convert",
    "decode_properties",
    "extract_evidence",
    "interpret_extract",
    "interpret_load",
    "parse_process_conf",
    "parse_properties",
    "read_extract_map",
    "read_load_map",
    "read_process_conf",
    "read_properties",
]
