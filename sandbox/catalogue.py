"""The sandbox's object catalogue: which hubs exist and how object names are resolved."""

from __future__ import annotations

from sandbox import objects_helpdesk, objects_marketing
from sandbox.fields import ObjectSpec

HUBS: dict[str, tuple[ObjectSpec, ...]] = {
    objects_helpdesk.HUB: objects_helpdesk.OBJECTS,
    objects_marketing.HUB: objects_marketing.OBJECTS,
}


def all_objects() -> list[ObjectSpec]:
    """Every object of every hub."""
    return [spec for specs in HUBS.values() for spec in specs]


def object_names(hub: str) -> list[str]:
    """The names `GET /hubs/{hub}/objects` lists, in catalogue order."""
    return [spec.name for spec in HUBS[hub]]


def resolve_object(hub: str, name: str) -> ObjectSpec | None:
    """The object `name` names in `hub`: case-insensitive, also accepting a plural `s`.

    `select * from contacts` names `contact` / `Contact`, as the platform's examples write it;
    the same leniency applies to the upload, metadata and download paths.
    """
    lowered = name.lower()
    for spec in HUBS.get(hub, ()):
        candidate = spec.name.lower()
        if lowered in (candidate, candidate + "s"):
            return spec
    return None
