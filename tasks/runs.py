"""Run-level Prefect plumbing: tags, the per-target-object lock, whether a run still runs."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.runtime import flow_run

from hubload.ledger import RunRecord
from hubload.targets import TargetIdentity, TargetKind
from hubload.targets.urls import public_name

LOCK_WAIT_SECONDS = 6 * 3600.0
# The slot's lease is renewed while the run lives; a crashed run frees it within this time.
LOCK_LEASE_SECONDS = 60.0  # the least the server takes


def run_tags(identity: TargetIdentity, object_name: str, parent_run: str | None) -> set[str]:
    """The tags a load's flow run carries: where it loads, and its parent when reprocessing."""
    tags = {
        "hubload",
        f"target:{identity.kind.value}",
        public_name("instance", identity.instance)[:100],
        f"object:{object_name}"[:100],
    }
    if identity.kind.value == "open-connectors":
        tags.add(f"hub:{identity.tenant}"[:100])  # a hub's name is the user's, never a secret
    if parent_run:
        tags |= {"reprocess", f"parent:{parent_run}"[:100]}
    return tags


def tag_run(
    identity: TargetIdentity,
    object_name: str,
    parent_run: str | None = None,
    *,
    file_name: str | None = None,
) -> None:
    """Add the run's tags (``run_tags``) to the current flow run, and name it for where it
    loads now that the target is known (``<file> -> <hub>/<object>``, or ``<file> -> <object>``
    for Salesforce, whose target the run's parameters may not say)."""
    run_id = flow_run.id
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        tags = {*run.tags, *run_tags(identity, object_name, parent_run)}
        name = None
        if file_name is not None:
            hub = f"{identity.tenant}/" if identity.kind is TargetKind.OPEN_CONNECTORS else ""
            name = f"{file_name} -> {hub}{object_name}"
        client.update_flow_run(run_id, tags=sorted(tags), name=name)


def lock_name(identity: TargetIdentity, object_name: str) -> str:
    """The global concurrency limit guarding one target object: one load at a time. Built from
    the identity alone, which holds no secret (see ``hubload.targets.urls``)."""
    return public_name(
        "hubload", identity.kind.value, identity.instance, identity.tenant, object_name
    )


def ensure_slot(name: str) -> None:
    """Make the global concurrency limit ``name`` (one slot) unless it exists. Loads of one
    object starting at once on several workers may all find it missing: whoever creates it
    second is told it exists (409), which is what it wanted."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1)
                )


@contextmanager
def target_lock(identity: TargetIdentity, object_name: str) -> Iterator[str]:
    """Hold the target object's slot while jobs are submitted and polled, so that a nightly
    load and a manual load of the same object never run their jobs at the same time."""
    name = lock_name(identity, object_name)
    ensure_slot(name)
    with concurrency(
        name,
        occupy=1,
        timeout_seconds=LOCK_WAIT_SECONDS,
        lease_duration=LOCK_LEASE_SECONDS,
        strict=True,
    ):
        yield name


def still_running(record: RunRecord) -> str | None:
    """Why the run may still be going (its process lives here, or Prefect says it runs), else
    None. A run marked running in the ledger may equally have crashed."""
    if record.status != "running":
        return None
    opts = record.options
    if opts.get("host") == socket.gethostname() and isinstance(opts.get("pid"), int):
        try:
            os.kill(opts["pid"], 0)
        except ProcessLookupError:
            return None  # its process is gone: it crashed
        except PermissionError:
            pass
        return f"is still running here (process {opts['pid']})"
    if record.flow_run_id:
        try:
            with get_client(sync_client=True) as client:
                state = client.read_flow_run(UUID(record.flow_run_id)).state
        except Exception:  # noqa: BLE001 - another API, or none: nothing tells us it runs
            return None
        if state is not None and not state.is_final():
            return f"is {state.name} in Prefect (flow run {record.flow_run_id})"
    return None
