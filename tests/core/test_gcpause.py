"""The collector is relaxed while a file is prepared, and given back as it was."""

from __future__ import annotations

import gc
import threading

from hubload.gcpause import YOUNG_THRESHOLD, relaxed_gc


def test_relaxed_then_restored_even_when_nested_and_threaded() -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    inner_done = threading.Event()
    release = threading.Event()

    def other_preparation() -> None:
        with relaxed_gc():
            inner_done.set()
            release.wait(10)

    with relaxed_gc():
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD and gc.get_freeze_count() > 0
        thread = threading.Thread(target=other_preparation)
        thread.start()
        inner_done.wait(10)
    # The other preparation still runs: the collector stays relaxed until it ends.
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    release.set()
    thread.join(10)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_freeze_made_by_someone_else_is_left_to_them() -> None:
    gc.freeze()
    try:
        with relaxed_gc():
            pass
        assert gc.get_freeze_count() > 0  # not unfrozen behind the back of who froze
    finally:
        gc.unfreeze()
