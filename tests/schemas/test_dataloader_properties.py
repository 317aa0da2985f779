"""Layer 1: .sdl files read with java.util.Properties.load semantics, exact against Java's own
parse of the 59 corpus files, and each tricky case of the facts file on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.dataloader import (
    NotTextError,
    PropertiesSyntaxError,
    decode_properties,
    parse_properties,
    read_properties,
)
from schemas.mapping import MappingError
from tests.schemas.dataloader_fixtures import SDL_DIR, expected_pairs, needs_corpus, sdl_names


def pairs(text: str) -> list[tuple[str, str]]:
    return decode_properties(text.encode("iso-8859-1")).as_pairs()


@needs_corpus
def test_the_corpus_has_the_59_files_and_453_entries_java_reads() -> None:
    expected = expected_pairs()
    assert sorted(expected) == sdl_names()
    assert len(expected) == 59
    assert sum(len(entries) for entries in expected.values()) == 453


@needs_corpus
@pytest.mark.parametrize("name", sdl_names())
def test_each_corpus_file_parses_exactly_as_java_does(name: str) -> None:
    got = read_properties(SDL_DIR / name).as_pairs()
    assert [list(pair) for pair in got] == expected_pairs()[name]


@needs_corpus
def test_the_last_duplicate_wins_at_its_last_position_in_account_extract_map() -> None:
    read = read_properties(SDL_DIR / "accountExtractMap.sdl")
    empty_keys = [e for e in read.written if e.key == ""]
    assert [e.value for e in empty_keys] == [
        "SYSTEMMODSTAMP",
        "CREATEDBYID",
        "CREATEDDATE",
        "LASTMODIFIEDBYID",
        "LASTMODIFIEDDATE",
    ]
    kept = [e for e in read.entries if e.key == ""]
    assert [(e.value, e.line) for e in kept] == [("LASTMODIFIEDDATE", 17)]
    keys = [e.key for e in read.entries]
    assert keys.index("") == keys.index("BillingState") + 1  # line 17 follows line 15
    assert [(old.line, new.line) for old, new in read.replaced] == [
        (5, 17),
        (12, 17),
        (13, 17),
        (16, 17),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"California"=BillingState, ShippingState',
            ('"California"', "BillingState, ShippingState"),
        ),
        ('"Some\\ Description"=Description', ('"Some Description"', "Description")),
        ('" " = Description', ('"', '" = Description')),
        ('""=Industry', ('""', "Industry")),
        ("=AnnualRevenue", ("", "AnnualRevenue")),
        ("CREATEDBYID=", ("CREATEDBYID", "")),
        ("Name=Name,RICHTEXT__c", ("Name", "Name,RICHTEXT__c")),
        ("Who\\:Contact-Email=Who\\:Contact-Email", ("Who:Contact-Email", "Who:Contact-Email")),
        ("Who:Contact-Email=Who:Contact-Email", ("Who", "Contact-Email=Who:Contact-Email")),
        ("PARENT=pArent:oRaClE_Id__c", ("PARENT", "pArent:oRaClE_Id__c")),
        ('"4-205817"=', ('"4-205817"', "")),
        ("NumEmployees = NumberOfEmployees", ("NumEmployees", "NumberOfEmployees")),
        ("a=b # c", ("a", "b # c")),
        ("key value", ("key", "value")),
        ("key:value", ("key", "value")),
        ("key \t= :value", ("key", ":value")),
        ("key\f\fvalue", ("key", "value")),
        ("key", ("key", "")),
        ("   indented=x", ("indented", "x")),
        ("a\\=b=c", ("a=b", "c")),
        ("a\\\\=b", ("a\\", "b")),
        ("k=trailing  ", ("k", "trailing  ")),
        ("k=\\t\\n\\r\\f|\\q\\#\\!\\ ", ("k", "\t\n\r\f|q#! ")),
        ("k=\\u00e9\\u00C9", ("k", "éÉ")),
        ("k=\\ud83d\\ude00", ("k", "\U0001f600")),
    ],
)
def test_one_line_as_java_reads_it(line: str, expected: tuple[str, str]) -> None:
    assert pairs(line) == [expected]


def test_comments_blank_lines_and_the_properties_store_header_are_skipped() -> None:
    text = "#Mapping values\n#Mon Jan 23 17:07:24 PST 2006\n\n   \n  ! bang\n\t# tab\na=b\n"
    assert pairs(text) == [("a", "b")]


def test_continuation_lines_drop_the_next_lines_leading_blanks() -> None:
    text = "key=first, \\\n      second, \\\n\tthird\nnext=1"
    assert pairs(text) == [("key", "first, second, third"), ("next", "1")]


def test_an_even_number_of_trailing_backslashes_does_not_continue() -> None:
    assert pairs("a=x\\\\\nb=y") == [("a", "x\\"), ("b", "y")]
    assert pairs("a=x\\\\\\\nb=y") == [("a", "x\\b=y")]


def test_a_comment_character_after_a_continuation_is_text() -> None:
    assert pairs("a=x\\\n  # not a comment") == [("a", "x# not a comment")]


def test_an_empty_line_ends_a_continuation() -> None:
    assert pairs("a=x\\\n\nb=y") == [("a", "x"), ("b", "y")]
    assert pairs("a=x\\\n   \nb=y") == [("a", "x"), ("b", "y")]


def test_a_backslash_at_the_end_of_the_file_is_dropped() -> None:
    assert pairs("a=x\\") == [("a", "x")]
    assert pairs("a=x\\\n") == [("a", "x")]


def test_the_key_can_continue_across_lines() -> None:
    assert pairs("lo\\\n   ng=v") == [("long", "v")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_cr_lf_and_crlf_end_lines_and_lines_are_counted_alike(newline: str) -> None:
    text = newline.join(["#c", "a=1", "", "b=2\\", "  3", "c=4"])
    read = decode_properties(text.encode("ascii"))
    assert read.as_pairs() == [("a", "1"), ("b", "23"), ("c", "4")]
    assert [e.line for e in read.entries] == [2, 4, 6]


def test_a_continued_crlf_line_swallows_its_lf() -> None:
    assert pairs("a=x\\\r\n  y\r\nb=z") == [("a", "xy"), ("b", "z")]


def test_every_entry_keeps_its_first_physical_line() -> None:
    read = decode_properties(b"# head\n\na=1\n  b=2\\\n  more\nc=3")
    assert [(e.key, e.line) for e in read.entries] == [("a", 3), ("b", 4), ("c", 6)]


def test_the_last_duplicate_wins_at_its_last_position() -> None:
    read = decode_properties(b"a=1\nb=2\na=3\n")
    assert read.as_pairs() == [("b", "2"), ("a", "3")]
    assert len(read.written) == 3
    assert [(old.value, new.value) for old, new in read.replaced] == [("1", "3")]


def test_keys_are_case_sensitive_at_this_layer() -> None:
    assert pairs("Name=a\nNAME=b") == [("Name", "a"), ("NAME", "b")]


def test_utf8_bytes_read_as_iso_8859_1_give_mojibake_as_in_java() -> None:
    data = "Société=Name\n".encode()
    assert decode_properties(data).as_pairs() == [("SociÃ©tÃ©", "Name")]
    assert decode_properties(data, encoding="utf-8").as_pairs() == [("Société", "Name")]


def test_a_unicode_escape_gives_the_character_whatever_the_encoding() -> None:
    assert decode_properties(b"Soci\\u00e9t\\u00e9=Name").as_pairs() == [("Société", "Name")]


def test_a_latin_1_byte_is_one_character() -> None:
    assert decode_properties(b"caf\xe9=Name").as_pairs() == [("café", "Name")]


def test_a_utf8_bom_is_kept_as_characters_in_iso_8859_1_and_dropped_when_declared() -> None:
    data = "\ufeffName=Name".encode()
    assert decode_properties(data).as_pairs() == [("ï»¿Name", "Name")]
    assert decode_properties(data, encoding="utf-8").as_pairs() == [("Name", "Name")]


@pytest.mark.parametrize("bad", ["\\u00", "\\u00g1", "\\uXYZW", "\\u", "\\u0_01", "\\u 123"])
def test_a_malformed_unicode_escape_is_an_error_naming_the_file_and_line(bad: str) -> None:
    text = f"ok=1\n# c\nk=v{bad}end\n"
    with pytest.raises(PropertiesSyntaxError) as info:
        decode_properties(text.encode("ascii"), path="m.sdl")
    assert info.value.path == "m.sdl"
    assert info.value.line == 3
    assert str(info.value).startswith("m.sdl: line 3: malformed \\uxxxx escape")
    assert isinstance(info.value, MappingError)
    assert "\n" not in str(info.value)


def test_a_malformed_escape_in_a_key_is_an_error_too() -> None:
    with pytest.raises(PropertiesSyntaxError, match="line 1"):
        parse_properties("\\u12=v")


def test_binary_data_is_refused_with_the_line_of_the_first_nul() -> None:
    with pytest.raises(NotTextError) as info:
        decode_properties(b"a=1\r\nb=2\r\n\x89PNG\x00\x00", path="logo.sdl")
    assert info.value.line == 3
    assert str(info.value) == "logo.sdl: line 3: binary data (a NUL byte), not a mapping file"


def test_text_not_in_the_declared_encoding_is_refused_with_its_line() -> None:
    with pytest.raises(NotTextError) as info:
        decode_properties(b"a=1\nb=caf\xe9\n", path="m.sdl", encoding="utf-8")
    assert info.value.line == 2
    assert "not utf-8 text (byte 0xe9)" in str(info.value)


def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(NotTextError, match="unknown encoding 'klingon'"):
        decode_properties(b"a=1", encoding="klingon")


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sdl"
    with pytest.raises(NotTextError) as info:
        read_properties(missing)
    assert info.value.path == str(missing)
    assert info.value.line is None


def test_an_empty_file_has_no_entries() -> None:
    assert decode_properties(b"").as_pairs() == []


# Found by the differential test against the JDK: a line holding only a backslash leaves Java's
# reader at the start of a logical line, so the next line is read afresh; at the very end of the
# input the reader hands over an empty line instead.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\\n!comment\na=b", [("a", "b")]),
        ("\\\n#comment", []),
        ("  \\\n\nb=c", [("b", "c")]),
        ("\\\n  a=b", [("a", "b")]),
        ("a=b\n\\", [("a", "b"), ("", "")]),
        ("a=b\n\\\n", [("a", "b"), ("", "")]),
        ("a=b\n\\\r", [("a", "b"), ("", "")]),
        ("a=b\n\\\r\n", [("a", "b")]),
        ("a=b\n\\\n   ", [("a", "b")]),
    ],
)
def test_a_lone_backslash_line_as_java_reads_it(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(text) == expected
