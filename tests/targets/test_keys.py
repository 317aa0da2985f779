"""Counting records by key, as CRMs match keys: ignoring case, answering in their spelling."""

from __future__ import annotations

from hubload.targets.keys import KeyCount


def test_records_count_for_every_value_they_match_whatever_the_case() -> None:
    count = KeyCount(["ann@x.com", "Ann@X.com", "bo@x.com", "", "cy@x.com"])
    assert list(count.batches(2)) == [["Ann@X.com", "bo@x.com"], ["cy@x.com"]]  # asked once
    count.add(["ANN@x.com", "bo@x.com", "bo@x.com", None, 3, ""])
    assert count.found == {"ann@x.com": 1, "Ann@X.com": 1, "bo@x.com": 2}
    assert count.found["cy@x.com"] == 0
