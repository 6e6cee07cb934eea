"""The analytics core stays pure: importing it loads no database, web or HTTP library (STYLE.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("sqlalchemy", "fastapi", "httpx")
EVERY_ANALYTICS_MODULE = (
    "import importlib, pkgutil, deliveryops.analytics as package\n"
    "for found in pkgutil.walk_packages(package.__path__, 'deliveryops.analytics.'):\n"
    "    importlib.import_module(found.name)\n"
)


def loaded_forbidden_modules(imports: str) -> str:
    """Run ``imports`` in a fresh interpreter and return the forbidden packages it loaded."""
    # A fresh interpreter, because this test process has long since imported everything.
    code = (
        f"import sys\n{imports}\nprint(','.join(sorted({{name.split('.')[0] for name in sys.modules}} & set({FORBIDDEN!r}))))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return completed.stdout.strip()


@pytest.mark.parametrize(
    "imports",
    ["import deliveryops.analytics", "import deliveryops.analytics.flow", EVERY_ANALYTICS_MODULE],
    ids=["package", "flow", "every-module"],
)
def test_importing_analytics_loads_no_database_web_or_http_library(imports: str) -> None:
    assert loaded_forbidden_modules(imports) == ""


def test_the_check_itself_sees_a_forbidden_import() -> None:
    assert loaded_forbidden_modules("import httpx") == "httpx"
