"""Data Loader's ``process-conf.xml``: one typed ``Job`` per ProcessRunner bean.

Spring beans; each job is ``<bean id=... class="com.salesforce.dataloader.process.ProcessRunner">``
with a ``<description>``, ``<property name="name">`` and ``<property name="configOverrideMap">``
holding ``<entry key=... value=.../>`` pairs, layered over ``config.properties`` beside it.
Secret values (the password, tokens) are never kept, only the fact that they are set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.dataloader.carry_over import carry_over_reasons
from schemas.dataloader.conf_keys import is_secret
from schemas.dataloader.errors import ProcessConfError
from schemas.dataloader.job import Job, Reason, Setting
from schemas.dataloader.properties import PropertiesFile, read_properties, regular_file_bytes
from schemas.dataloader.xml_nodes import Node, parse_xml

PROCESS_RUNNER = "com.salesforce.dataloader.process.ProcessRunner"


@dataclass(frozen=True)
class JobReading:
    """A job and the reasons it cannot be carried over as it stands."""

    job: Job
    reasons: tuple[Reason, ...]

    @property
    def blocked(self) -> bool:
        """A reason stops it running as a CSV load (an extract, a database, ...)."""
        return any(reason.blocking for reason in self.reasons)


@dataclass(frozen=True)
class ProcessConf:
    """A process-conf.xml read."""

    path: str
    jobs: tuple[JobReading, ...]
    other_beans: tuple[str, ...]
    """Beans that are not jobs (a database's data source, its SQL), by id."""

    def job(self, name: str) -> JobReading | None:
        """A job by its bean id (what ``process.sh`` is given) or its ``name`` property."""
        for reading in self.jobs:
            if name in {reading.job.id, reading.job.name}:
                return reading
        return None


def read_process_conf(path: Path, *, config_properties: Path | None = None) -> ProcessConf:
    """Read a process-conf.xml, with the ``config.properties`` its jobs are layered over.

    Raises:
        ProcessConfError: unreadable, not well-formed, or not Spring beans.
        HostileXmlError: entity declarations or external references.
        NotTextError, PropertiesSyntaxError: a bad ``config_properties``.
    """
    try:
        data = regular_file_bytes(path)
    except OSError as exc:
        raise ProcessConfError(
            f"cannot read: {exc.strerror or exc}", path=str(path), line=None
        ) from exc
    defaults = read_properties(config_properties) if config_properties else None
    return parse_process_conf(data, path=str(path), defaults=defaults)


def parse_process_conf(
    data: bytes, *, path: str = "process-conf.xml", defaults: PropertiesFile | None = None
) -> ProcessConf:
    """Parse the bytes of a process-conf.xml.

    Raises:
        ProcessConfError: not well-formed, not Spring beans, or an entry without a key.
        HostileXmlError: entity declarations or external references.
    """
    root = parse_xml(data, path=path)
    if root.tag != "beans":
        raise ProcessConfError(
            f"not a Spring beans file (root element <{root.tag}>)", path=path, line=root.line
        )
    base: tuple[Setting, ...] = ()
    if defaults is not None:
        base = tuple(_setting(e.key, e.value, e.line, defaults.path) for e in defaults.entries)
    jobs: list[JobReading] = []
    others: list[str] = []
    for bean in root.find_all("bean"):
        bean_id = bean.attrs.get("id") or bean.attrs.get("name") or f"(bean at line {bean.line})"
        if bean.attrs.get("class", "").strip() != PROCESS_RUNNER:
            others.append(bean_id)
            continue
        job = _job(bean, bean_id, path, base)
        jobs.append(JobReading(job, carry_over_reasons(job)))
    return ProcessConf(path, tuple(jobs), tuple(others))


def _job(bean: Node, bean_id: str, path: str, base: tuple[Setting, ...]) -> Job:
    description = bean.find("description")
    name: str | None = None
    settings: list[Setting] = list(base)
    for prop in bean.find_all("property"):
        which = prop.attrs.get("name")
        if which == "name":
            name = _value_of(prop)
        elif which == "configOverrideMap":
            table = prop.find("map")
            for entry in table.find_all("entry") if table else []:
                settings.append(_entry(entry, path))
    return Job(
        id=bean_id,
        name=name,
        description=" ".join((description.text if description else "").split()),
        line=bean.line,
        path=path,
        settings=tuple(settings),
    )


def _entry(entry: Node, path: str) -> Setting:
    key = entry.attrs.get("key")
    if key is None:
        key_node = entry.find("key")
        key = _value_of(key_node) if key_node is not None else None
    if not key:
        raise ProcessConfError(
            "a configOverrideMap entry without a key", path=path, line=entry.line
        )
    return _setting(key, _value_of(entry) or "", entry.line, path)


def _value_of(node: Node) -> str | None:
    """A ``value`` attribute, or a ``<value>`` child's text (Spring accepts both)."""
    if "value" in node.attrs:
        return node.attrs["value"]
    child = node.find("value")
    return child.text if child is not None else None


def _setting(key: str, value: str, line: int, source: str) -> Setting:
    if is_secret(key) and value.strip():
        return Setting(key, None, line, source, secret=True)
    return Setting(key, value, line, source)
