"""Record ids: Salesforce's 18-character ids (key prefix + case-safe suffix) and integer ids."""

from __future__ import annotations

import re

from sandbox.fields import ObjectSpec

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# Characters 4-5 of a real id name the server ("pod") that created the record.
_POD = "5g"
_ID_RE = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")


def id_pattern(key_prefix: str) -> str:
    """A regex matching exactly the ids `looks_like_id` accepts for `key_prefix`."""
    return f"(?={re.escape(key_prefix)}){_ID_RE.pattern}"


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits))


def _upper_mask(chunk: str) -> int:
    return sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")


def checksum_suffix(id15: str) -> str:
    """The three characters that turn a 15-character id into its case-safe 18-character form."""
    return "".join(_SUFFIX[_upper_mask(id15[i : i + 5])] for i in (0, 5, 10))


def salesforce_ids(prefix: str, first_seq: int, count: int) -> list[str]:
    """`count` consecutive 18-character ids, starting at sequence number `first_seq`.

    Ids are built a block of 62 at a time, so a million ids cost well under a second.
    """
    out: list[str] = []
    seq, end = first_seq, first_seq + count
    while seq < end:
        head = prefix + _POD + _base62(seq // 62, 9)
        first_two = _SUFFIX[_upper_mask(head[0:5])] + _SUFFIX[_upper_mask(head[5:10])]
        partial = _upper_mask(head[10:14])
        start = seq % 62
        stop = min(62, start + end - seq)
        for digit in range(start, stop):
            char = BASE62[digit]
            mask = partial | (16 if "A" <= char <= "Z" else 0)
            out.append(f"{head}{char}{first_two}{_SUFFIX[mask]}")
        seq += stop - start
    return out


def record_ids(spec: ObjectSpec, first_seq: int, count: int) -> list[str]:
    """The ids of `count` new records of `spec`, the first one having sequence `first_seq`."""
    if spec.id_style == "salesforce":
        return salesforce_ids(spec.key_prefix, first_seq, count)
    return [str(seq) for seq in range(first_seq, first_seq + count)]


def looks_like_id(value: str, key_prefix: str) -> bool:
    """Whether `value` is a well-formed 15- or 18-character id of an object with `key_prefix`."""
    return value.startswith(key_prefix) and _ID_RE.fullmatch(value) is not None


def salesforce_seq(value: str, key_prefix: str) -> int | None:
    """The sequence number an id made by `salesforce_ids` for `key_prefix` carries (its 15- or
    18-character form), or None for anything else."""
    if len(value) not in (15, 18) or not value.startswith(key_prefix + _POD):
        return None
    seq = 0
    for char in value[5:15]:
        digit = BASE62.find(char)
        if digit < 0:
            return None
        seq = seq * 62 + digit
    if seq < 1 or not salesforce_ids(key_prefix, seq, 1)[0].startswith(value):
        return None
    return seq
