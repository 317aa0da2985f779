"""The Data Loader corpus under /work/shared (read in place, never copied), and its load/extract
split as the facts file names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CORPUS = Path("/work/shared/corpus/dataloader")
SDL_DIR = CORPUS / "sdl"
EXPECTED = CORPUS / "sdl_expected_properties.json"

needs_corpus = pytest.mark.skipif(
    not SDL_DIR.is_dir(),
    reason="the Data Loader corpus (/work/shared/corpus/dataloader) is not on this machine",
)

# dataloader-facts.md, section 2: the extract maps of the corpus; the other files are loads.
EXTRACT_MAPS = frozenset(
    {
        "accountExtractMap.sdl",
        "accountExtractToDbMap.sdl",
        "extractAccountCsvMap.sdl",
        "extractAccountDbMap.sdl",
        "extractAllMap.sdl",
        "polymorphicRelationshipExtractMap.sdl",
        "selectFieldsSoqlMap.sdl",
        "soqlWithRelationshipsMap.sdl",
        "binaryDataInRTFQueryResultMap.sdl",
    }
)


def sdl_names() -> list[str]:
    """The corpus's .sdl file names (none when the corpus is absent: tests then skip)."""
    return sorted(p.name for p in SDL_DIR.glob("*.sdl")) if SDL_DIR.is_dir() else []


def load_map_names() -> list[str]:
    """The 50 load maps."""
    return [name for name in sdl_names() if name not in EXTRACT_MAPS]


def expected_pairs() -> dict[str, list[list[str]]]:
    """What Java's Properties.load yields for each file (JDK 17)."""
    loaded: dict[str, list[list[str]]] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return loaded
