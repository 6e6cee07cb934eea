"""Every module that declares a router is one the import contract protects (only the app assembly imports it)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import deliveryops

PACKAGE = Path(deliveryops.__file__).parent
PYPROJECT = PACKAGE.parent.parent / "pyproject.toml"
CONTRACT = "Only the app assembly imports routers (routes and pages modules)"


def _protected_patterns() -> list[re.Pattern[str]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == CONTRACT)
    return [re.compile("^" + re.escape(p).replace(r"\*", r"[^.]+") + "$") for p in contract["protected_modules"]]


def _declares_router(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            function = node.value.func
            if isinstance(function, ast.Name) and function.id == "APIRouter":
                return True
    return False


def _router_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(("deliveryops", *path.relative_to(PACKAGE).with_suffix("").parts))
        if module.startswith("deliveryops.app.") or not _declares_router(path):
            continue
        names.append(module)
    return names


def test_the_scan_finds_the_routers_it_should() -> None:
    modules = _router_modules()
    assert "deliveryops.impediments.learning_pages" in modules
    assert "deliveryops.cockpit.rollouts.routes" in modules
    assert "deliveryops.web.form_pages" not in modules  # a helper the pages import, not a router


def test_every_router_module_is_protected() -> None:
    patterns = _protected_patterns()
    unprotected = [m for m in _router_modules() if not any(p.match(m) for p in patterns)]
    assert unprotected == [], f"add these to the contract {CONTRACT!r} in pyproject.toml: {unprotected}"
