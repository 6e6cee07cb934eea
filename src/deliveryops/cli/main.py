"""`deliveryops`: the command line. A thin shell over the services.

Each sub-command lives in its own module, imported only when that command runs or shows its own help:
``deliveryops --help`` loads neither the database layer, the web stack nor the PDF writer.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any, NamedTuple

import typer
import typer.core
from typer import _click  # Typer's own click, whose classes its groups and commands derive from

from deliveryops import __version__

__all__ = ["COMMANDS", "app"]


class LazyCommand(NamedTuple):
    """A sub-command imported on first use: ``module:attribute`` (a Typer app or a command function)."""

    target: str
    help: str  # shown by `deliveryops --help` without importing the command; tests check it is the command's own


# In the order `deliveryops --help` lists them.
COMMANDS: dict[str, LazyCommand] = {
    "simulate": LazyCommand(
        "deliveryops.cli.work:simulate_command",
        "Simulate teams' work-item histories from a process model and import them.",
    ),
    "demo": LazyCommand(
        "deliveryops.cli.serve:demo", "Build a demo organisation with realistic history, then start the web app."
    ),
    "serve": LazyCommand("deliveryops.cli.serve:serve", "Start the web app against the configured database."),
    "worker": LazyCommand(
        "deliveryops.cli.worker:worker",
        "Run background jobs from the queue, and the scheduled ones, until stopped (Ctrl+C or SIGTERM).",
    ),
    "db": LazyCommand("deliveryops.cli.db:db_app", "Database schema."),
    "users": LazyCommand("deliveryops.cli.users:users_app", "People and their roles."),
    "teams": LazyCommand("deliveryops.cli.teams:teams_app", "Teams."),
    "groups": LazyCommand("deliveryops.cli.teams:groups_app", "Groups of teams (tribes, value streams)."),
    "import": LazyCommand("deliveryops.cli.work:import_app", "Import work-item history from files."),
    "connectors": LazyCommand(
        "deliveryops.cli.connectors:connectors_app",
        "Connections to Jira, GitHub, GitLab, Azure DevOps and Linear, and their syncs.",
    ),
    "flow": LazyCommand("deliveryops.cli.flow:flow_app", "Flow metrics of a team."),
    "impediments": LazyCommand(
        "deliveryops.cli.impediments:impediments_app", "Impediments: raise, escalate, resolve; cross-team clusters and synonyms."
    ),
    "dependencies": LazyCommand(
        "deliveryops.cli.dependencies:dependencies_app", "Cross-team dependencies: list, request, respond."
    ),
    "actions": LazyCommand(
        "deliveryops.cli.actions:actions_app",
        "Improvement actions of a team and their measured effect: list, show, create, update-status.",
    ),
    "retros": LazyCommand(
        "deliveryops.cli.retros:retros_app",
        "Retrospectives of a team: list, show the board, export, schedule; cards, themes, votes, phases, actions.",
    ),
    "health": LazyCommand(
        "deliveryops.cli.health:health_app",
        "Health checks of a team: list its rounds, show one's results and the history, open and close a round.",
    ),
    "risks": LazyCommand("deliveryops.cli.risks:risks_app", "The ROAM register of cross-team risks: list, add."),
    "notify": LazyCommand(
        "deliveryops.cli.notify:notify_app",
        "Teams' Slack and Microsoft Teams channels: webhooks, add, enable, disable, deliveries.",
    ),
    "sessions": LazyCommand("deliveryops.cli.sessions:sessions_app", "Stand-ups, refinements and plannings: list, show, start."),
    "retro-themes": LazyCommand(
        "deliveryops.cli.retro_themes:retro_themes",
        "List themes that recur across teams' retros over a period, with the number of retros and the teams.",
    ),
    "multi-retros": LazyCommand(
        "deliveryops.cli.multi_retros:multi_retros_app", "Retros across several teams: list, show the synthesis board."
    ),
    "outcomes": LazyCommand(
        "deliveryops.cli.outcomes:outcomes_app", "Objectives and key results measured from data; KPI values from files."
    ),
    "forecast": LazyCommand(
        "deliveryops.cli.flow:forecast_app",
        "Monte Carlo forecasts. Kept as what-ifs; --commit marks one as the team's plan, which is scored.",
    ),
    "roadmap": LazyCommand(
        "deliveryops.cli.roadmap:roadmap_app", "Roadmap: epic dates that share each team's capacity, what-ifs, team calendars."
    ),
    "dora": LazyCommand("deliveryops.cli.dora:dora_app", "DORA's four keys: reports and imports."),
    "coaching": LazyCommand("deliveryops.cli.coaching:coaching_app", "Coaching insights over teams' data."),
    "catalogue": LazyCommand("deliveryops.cli.catalogue:catalogue_app", "The catalogue of tools and practices."),
    "rollouts": LazyCommand(
        "deliveryops.cli.rollouts:rollouts_app", "Rollouts of a tool or practice across teams, and their measured effect."
    ),
    "org-actions": LazyCommand(
        "deliveryops.cli.enablement:org_actions_app", "Organisation-level improvement actions across teams: list, add."
    ),
    "playbooks": LazyCommand("deliveryops.cli.enablement:playbooks_app", "Playbooks: versioned guides to tools and practices."),
    "onboarding": LazyCommand("deliveryops.cli.enablement:onboarding_app", "Onboarding checklists and their progress."),
    "communities": LazyCommand(
        "deliveryops.cli.enablement:communities_app", "Communities of practice and their feed of learnings."
    ),
    "experiments": LazyCommand(
        "deliveryops.cli.experiments:experiments_app", "Experiments: list, register, analyse statistics, plan sample sizes."
    ),
    "report": LazyCommand("deliveryops.cli.report:report_app", "Reports for leadership."),
}


def load_command(name: str, command: LazyCommand) -> _click.Command:
    """Import a sub-command and build it as Typer would have from ``app.add_typer`` or ``app.command``."""
    module, attribute = command.target.split(":")
    target = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer()
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_group(holder).commands[name]


class _Commands(MutableMapping[str, _click.Command]):
    """The root's sub-commands: each is imported the first time it is looked up."""

    def __init__(self) -> None:
        self._loaded: dict[str, _click.Command] = {}

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name, COMMANDS[name])
        return self._loaded[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*COMMANDS, *(name for name in self._loaded if name not in COMMANDS)])

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._loaded))


class LazyGroup(typer.core.TyperGroup):
    """The root command: lists its sub-commands from :data:`COMMANDS`, imports one only to run it."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands()
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        """Every sub-command's name, without importing any."""
        return list(self.commands)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        """The sub-command; while the root's help is being written, a stand-in carrying its help text."""
        if self._listing and cmd_name in COMMANDS:
            return typer.core.TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The root's help, listing the sub-commands without importing them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="deliveryops",
    help="DeliveryOps: flow, forecasts, impediments and more for delivery managers and Product Ops.",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from deliveryops.cli.common import console  # noqa: PLC0415 (loads the database layer)

        console.print(f"deliveryops {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """DeliveryOps command line."""
