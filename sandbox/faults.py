"""Fault injection: the request-level faults drawn per hub call, and each job's own dice."""

from __future__ import annotations

import asyncio
import random
import threading

from sandbox.config import SandboxConfig
from sandbox.exceptions import ApiError


class RequestFaults:
    """Draws the faults of hub calls from one seeded `random.Random` (thread-safe)."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - simulation, not cryptography
        self._lock = threading.Lock()

    def _draw(self) -> float:
        with self._lock:
            return self._rng.random()

    async def before_hub_call(self) -> None:
        """Sleep the configured latency, then maybe fail the call as the platform would.

        Raises:
            ApiError: 500 or 503 (`error_rate`), or 429 with `Retry-After` (`rate_limit_rate`).
        """
        config = self._config
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if config.error_rate and self._draw() < config.error_rate:
            status = 500 if self._draw() < 0.5 else 503
            raise ApiError(
                status,
                "The service is temporarily unavailable, please try again later.",
                provider_message="Simulated platform failure (sandbox error_rate).",
            )
        if config.rate_limit_rate and self._draw() < config.rate_limit_rate:
            raise ApiError(
                429,
                "Too many requests: the rate limit was exceeded.",
                provider_message="Simulated rate limit (sandbox rate_limit_rate).",
                headers={"Retry-After": str(config.retry_after)},
            )

    def lose_response(self) -> bool:
        """Whether this upload's answer is dropped after its job was created."""
        rate = self._config.lost_response_rate
        return bool(rate) and self._draw() < rate


def job_rng(seed: int | None, job_id: int) -> random.Random:
    """The dice of one job: reproducible from the seed and the job id, whatever the threads do."""
    if seed is None:
        return random.Random()  # noqa: S311 - simulation, not cryptography
    return random.Random(f"{seed}:{job_id}")  # noqa: S311 - simulation, not cryptography
