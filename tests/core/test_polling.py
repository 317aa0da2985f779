"""wait_for_job: backoff to an explicit budget, with an injected clock and sleep."""

import pytest

from hubload.errors import AuthError, JobTimeoutError, RetriableError
from hubload.jobs import JobState, JobStatus, PollPolicy, wait_for_job


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def statuses(*states: str) -> "list[JobStatus]":
    return [JobStatus.from_body({"id": "1", "status": s}) for s in states]


def test_polls_until_terminal_with_growing_intervals() -> None:
    clock = FakeClock()
    sequence = iter(statuses("CREATED", "RUNNING", "RUNNING", "COMPLETED"))
    seen: list[JobState] = []
    final = wait_for_job(
        lambda: next(sequence),
        "1",
        PollPolicy(budget=100, initial_interval=1, factor=2, max_interval=3),
        clock=clock,
        sleep=clock.sleep,
        on_status=lambda s: seen.append(s.state),
    )
    assert final.state is JobState.COMPLETED
    assert clock.sleeps == [1, 2, 3]
    assert seen == [JobState.CREATED, JobState.RUNNING, JobState.RUNNING, JobState.COMPLETED]


def test_budget_runs_out_with_typed_error() -> None:
    clock = FakeClock()
    with pytest.raises(JobTimeoutError) as info:
        wait_for_job(
            lambda: statuses("RUNNING")[0],
            "1",
            PollPolicy(budget=10, initial_interval=1, factor=2, max_interval=4),
            clock=clock,
            sleep=clock.sleep,
        )
    assert info.value.job_id == "1" and info.value.last_status == "RUNNING"
    assert info.value.waited == pytest.approx(10)
    assert sum(clock.sleeps) == pytest.approx(10)  # never sleeps past the budget


def test_unknown_status_keeps_polling() -> None:
    clock = FakeClock()
    sequence = iter(statuses("WEIRD", "COMPLETE"))
    final = wait_for_job(
        lambda: next(sequence), "1", PollPolicy(budget=5), clock=clock, sleep=clock.sleep
    )
    assert final.succeeded


def test_transient_read_failures_wait_retry_after_then_continue() -> None:
    clock = FakeClock()
    answers: list[object] = [
        RetriableError("busy", status_code=429, retry_after=4.0),
        *statuses("COMPLETED"),
    ]

    def fetch() -> JobStatus:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, JobStatus)
        return answer

    final = wait_for_job(fetch, "1", PollPolicy(budget=60), clock=clock, sleep=clock.sleep)
    assert final.succeeded and clock.sleeps == [4.0]


def test_permanent_failures_end_the_wait() -> None:
    def fetch() -> JobStatus:
        raise AuthError("bad token", status_code=401)

    with pytest.raises(AuthError):
        wait_for_job(fetch, "1", PollPolicy(budget=60), sleep=lambda s: None)
