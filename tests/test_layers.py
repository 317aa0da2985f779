"""The import contract, read from the code's own imports: layers import only downwards, the
sandbox stands apart, and the core reaches a target only through the target interface."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "hubload", "tasks", "flows", "deployments", "cli", "sandbox")
# What each layer may import of the project (its own package included).
ALLOWED = {
    "schemas": {"schemas"},
    "hubload": {"schemas", "hubload"},
    "tasks": {"schemas", "hubload", "tasks"},
    "flows": {"schemas", "hubload", "tasks", "flows"},
    "deployments": {"schemas", "hubload", "tasks", "flows", "deployments"},
    "cli": {"schemas", "hubload", "tasks", "flows", "deployments", "cli", "sandbox"},
    "sandbox": {"sandbox"},
}
# Third-party packages a layer must not use: no HTTP or Prefect below the tasks.
FORBIDDEN_THIRD_PARTY = {
    "schemas": {"httpx", "prefect", "sqlalchemy"},
    "hubload": {"prefect"},
}
TARGET_KINDS = ("hubload.targets.open_connectors", "hubload.targets.salesforce")
# Where a target kind's own modules may be named: inside the targets package, the registry,
# and the blocks that keep each kind's credentials (with the command that saves them).
KIND_IMPORTERS = ("hubload/targets/", "tasks/blocks.py", "cli/targets.py")
# The one place HTTP errors are mapped, the settings' timeouts, and the targets.
HTTPX_IMPORTERS = ("hubload/http.py", "hubload/settings.py", "hubload/targets/")


def imports(path: Path) -> Iterator[str]:
    """Every module a file imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, node.module or ""]).rstrip(".")
            elif node.module:
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)


def sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def test_the_contract_sees_every_package() -> None:
    found = {package for package, _ in sources()}
    assert found == set(PACKAGES)
    # It reads real imports: the flows import the tasks, the sandbox imports Starlette.
    assert any(m.startswith("tasks") for m in imports(ROOT / "flows" / "load.py"))
    assert "starlette.applications" in set(imports(ROOT / "sandbox" / "app.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_layers_import_only_downwards(package: str) -> None:
    wrong = []
    for owner, path in sources():
        if owner != package:
            continue
        for module in imports(path):
            top = module.split(".")[0]
            if top in PACKAGES and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
            if top in FORBIDDEN_THIRD_PARTY.get(package, set()):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_the_core_reaches_a_target_only_through_the_interface() -> None:
    wrong = []
    for _, path in sources():
        where = path.relative_to(ROOT).as_posix()
        for module in imports(path):
            if module.startswith(TARGET_KINDS) and not where.startswith(KIND_IMPORTERS):
                wrong.append(f"{where} imports {module}")
            in_core = where.startswith("hubload/") and not where.startswith(HTTPX_IMPORTERS)
            if module.split(".")[0] == "httpx" and in_core:
                wrong.append(f"{where} imports httpx")
    assert not wrong, "\n".join(wrong)


def test_target_kinds_do_not_import_each_other() -> None:
    wrong = []
    for kind in TARGET_KINDS:
        folder = ROOT / Path(*kind.split("."))
        others = [k for k in TARGET_KINDS if k != kind]
        for path in folder.rglob("*.py"):
            wrong += [
                f"{path.relative_to(ROOT)} imports {m}"
                for m in imports(path)
                if m.startswith(tuple(others))
            ]
    assert not wrong, "\n".join(wrong)
