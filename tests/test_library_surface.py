"""The library's surface: every module imports by its dotted name, public verbs are
functions of ``symbionet``, and the command line uses only public library names."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import symbionet

PACKAGE = Path(symbionet.__file__).parent


def module_names() -> list[str]:
    """Every module and package of symbionet, by dotted name, found on disk."""
    names = ["symbionet"]
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(set(names))


@pytest.mark.parametrize("name", module_names())
def test_every_module_imports_by_its_dotted_name(name: str) -> None:
    """``import a.b.c as m`` binds the module itself: no function hides a module."""
    code = f"import {name} as m; import sys; assert m is sys.modules[{name!r}], m"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_no_name_in_a_package_shadows_its_modules() -> None:
    for name in module_names():
        package = importlib.import_module(name)
        if not hasattr(package, "__path__"):
            continue
        for info in pkgutil.iter_modules(package.__path__):
            child = getattr(package, info.name, None)
            assert child is None or isinstance(child, types.ModuleType), (
                f"{name}.{info.name} is {child!r}, not the module"
            )


@pytest.mark.parametrize(
    "verb", ["discover", "screen", "design", "pareto", "impact", "share", "stress"]
)
def test_verbs_are_functions_of_symbionet(verb: str) -> None:
    assert callable(getattr(symbionet, verb))
    assert not isinstance(getattr(symbionet, verb), types.ModuleType)
    assert verb in symbionet.__all__


def test_every_public_name_resolves() -> None:
    for name in symbionet.__all__:
        assert getattr(symbionet, name) is not None
    with pytest.raises(AttributeError):
        symbionet.no_such_name  # noqa: B018


def test_import_symbionet_loads_no_heavy_library() -> None:
    code = (
        "import sys, symbionet; heavy = {'pandas', 'numpy', 'linopy', 'xarray', 'pint'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def _library_imports(path: Path) -> list[tuple[int, str, str]]:
    """(line, module, name) of each name a file imports from symbionet outside present/."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("symbionet"):
            if not node.module.startswith("symbionet.present"):
                found += [(node.lineno, node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("symbionet.") and not alias.name.startswith(
                    "symbionet.present"
                ):
                    found.append((node.lineno, alias.name, "*"))
    return found


def test_present_imports_only_public_library_names() -> None:
    """The command line, report and web pages present: what they compute with is public,
    listed in ``__all__`` of the module it comes from."""
    wrong = []
    for path in sorted((PACKAGE / "present").rglob("*.py")):
        for line, module, name in _library_imports(path):
            public = getattr(importlib.import_module(module), "__all__", [])
            if name == "*" or name.startswith("_") or name not in public:
                wrong.append(f"{path.name}:{line}: {module}.{name}")
    assert wrong == []


# command -> (module, options class, {command-line option: library option})
DEFAULTS = {
    "design": (
        "symbionet.optimisation.options",
        "DesignOptions",
        {"objective": "objective", "time": "time", "gap": "mip_gap", "time_limit": "time_limit"},
    ),
    "discover": (
        "symbionet.discovery.engine",
        "DiscoverOptions",
        {"max_km": "max_km", "resource": "resource", "internal": "internal"}
        | {"per_demand": "per_demand"},
    ),
    "impact": ("symbionet.assessment.accounting", "ImpactOptions", {"year": "year"}),
    "share": (
        "symbionet.assessment.sharing",
        "ShareOptions",
        {"method": "method", "mode": "mode", "samples": "samples"},
    ),
    "stress": (
        "symbionet.assessment.resilience",
        "StressOptions",
        {"all_single": "all_single", "k": "k"},
    ),
}


@pytest.mark.parametrize("command", sorted(DEFAULTS))
def test_command_line_defaults_are_the_library_defaults(command: str) -> None:
    import typer

    from symbionet.present.cli import app

    module, name, pairs = DEFAULTS[command]
    defaults = getattr(importlib.import_module(module), name)()
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    given = {param.name: param.default for param in click_command.params}
    for flag, option in pairs.items():
        assert given[flag] == getattr(defaults, option), (command, flag)


def test_options_are_frozen_checked_and_read_one_id_as_one_id() -> None:
    import dataclasses

    from symbionet import DesignOptions, SymbionetError

    options = DesignOptions(actors="orsted", exclude_exchanges=["steam_novo"])
    assert options.actors == ("orsted",) and options.exclude_exchanges == ("steam_novo",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.mip_gap = 0.5
    with pytest.raises(SymbionetError, match="mip_gap: must be a number 0 or more"):
        dataclasses.replace(options, mip_gap=-1)
    with pytest.raises(SymbionetError, match="colour: is not an option"):
        symbionet.design(symbionet.Park.__new__(symbionet.Park), colour="red")


def test_every_command_has_json_and_every_table_command_exports() -> None:
    import typer

    from symbionet.present.cli import app

    def commands(group: Any, prefix: str = "") -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                found |= commands(command, f"{prefix}{name} ")
            else:
                found[prefix + name] = command
        return found

    every = commands(typer.main.get_command(app))
    no_tables = {
        "case-sheet",
        "convert",
        "generate",
        "hub book",
        "hub contact",
        "pipeline add",
        "pipeline decide",
        "pipeline export",
        "pipeline move",
        "pipeline risk",
        "readings synthesize",
        "report",
        "schema",
        "template",
    }
    for name, command in every.items():
        flags = {flag for param in command.params for flag in param.opts}
        if name == "schema":
            assert "--format" in flags  # JSON Schema by default
            continue
        if name == "serve":  # a server: its answers are the API's JSON
            continue
        assert "--json" in flags, name
        if name not in no_tables:
            assert {"--csv", "--xlsx", "--force"} <= flags, name
