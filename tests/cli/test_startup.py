"""`deliveryops --help` starts fast: sub-commands are imported only when they run or show their own help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deliveryops.cli.main import COMMANDS, load_command

HEAVY = ("fastapi", "fpdf", "sqlalchemy", "uvicorn")


def loaded_after(arguments: list[str]) -> tuple[str, str]:
    """Run the CLI with ``arguments`` in a fresh interpreter; return its output and the heavy packages it loaded."""
    # A fresh interpreter, because this test process has long since imported everything.
    code = (
        "import sys\n"
        "from deliveryops.cli.main import app\n"
        "try:\n"
        f"    app({arguments!r}, prog_name='deliveryops')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        f"print('LOADED=' + ','.join(sorted({{name.split('.')[0] for name in sys.modules}} & set({HEAVY!r}))))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    output, _, loaded = completed.stdout.rpartition("LOADED=")
    return output, loaded.strip()


def test_help_imports_neither_the_web_stack_nor_the_pdf_writer_nor_the_database_layer() -> None:
    output, loaded = loaded_after(["--help"])
    assert loaded == ""
    assert "Reports for leadership." in output


def test_a_sub_command_is_imported_when_its_help_is_asked_for() -> None:
    _output, loaded = loaded_after(["report", "--help"])
    assert loaded == "sqlalchemy"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_listed_without_importing_is_the_commands_own(name: str) -> None:
    command = load_command(name, COMMANDS[name])
    assert command.name == name
    assert " ".join((command.help or "").split("\n\n")[0].split()) == COMMANDS[name].help
