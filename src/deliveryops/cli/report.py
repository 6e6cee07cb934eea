"""`deliveryops report`: Reports for leadership (the leadership pack) and the weekly digests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import OutputFormat, TextFormat, print_json
from deliveryops.cockpit.digest.mail import digest_text, recipients, send_digests
from deliveryops.cockpit.digest.schemas import digest_read
from deliveryops.cockpit.digest.service import DIGEST_ROLES, build_digest, digest_role
from deliveryops.cockpit.leadership.schemas import pack_read
from deliveryops.cockpit.leadership.service import build_pack, pack_sections
from deliveryops.db import utcnow
from deliveryops.outcomes import lead as outcomes_lead

__all__ = ["outcomes_lead", "report_app"]  # importing outcomes' lead registers the pack's outcomes section

report_app = typer.Typer(help="Reports for leadership.", no_args_is_help=True)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]


@report_app.command("leadership")
@friendly_errors
def leadership(
    period: Annotated[str, typer.Option(help="2026-Q3, 2026-11 or 2026-07-01..2026-09-30.")],
    group: Annotated[str | None, typer.Option(help="The group (name or slug).")] = None,
    organisation: Annotated[bool, typer.Option("--organisation", help="The whole organisation.")] = False,
    pdf: Annotated[Path | None, typer.Option(help="Write the pack as a PDF to this file.")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the pack as a standalone HTML page to this file.")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table, or json: the answer of GET /api/v1/cockpit/leadership.")
    ] = OutputFormat.TABLE,
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="The same as --format json.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Build the leadership pack for a period and a group or the whole organisation (no network needed)."""
    if as_json:
        output_format = OutputFormat.JSON
    if bool(group) == organisation:
        raise CliError("Give either --group NAME or --organisation.")
    settings = load_settings(database)
    with session_scope(settings) as session:
        pack = build_pack(session=session, actor=None, period=period, group_slug=group)
        sections = pack_sections(
            session, None, today=utcnow().date(), group_slug=pack.group.slug if pack.group else None, period=pack.period.label
        )
        if pdf is not None:
            from deliveryops.cockpit.leadership.pdf import render_pdf  # noqa: PLC0415 (fpdf only for --pdf)

            pdf.write_bytes(render_pdf(pack, base_url=settings.public_url, sections=sections))
            console.print(f"Wrote {pdf}")
        if html is not None:
            from deliveryops.web.templating import templates  # noqa: PLC0415 (the web stack only for --html)

            html.write_text(templates.env.get_template("cockpit/leadership_export.html").render(pack=pack), encoding="utf-8")
            console.print(f"Wrote {html}")
        if output_format is OutputFormat.JSON:
            print_json(pack_read(pack, sections))
        elif pdf is None and html is None:
            table = Table("Measure", pack.period.label, pack.previous.label, title=f"{pack.scope}, {pack.period.label}")
            for h in pack.headlines:
                table.add_row(
                    h.label,
                    "no data" if h.value is None else f"{h.value:g} {h.unit}",
                    "no data" if h.previous is None else f"{h.previous:g} {h.unit}",
                )
            console.print(table)


@report_app.command("digest")
@friendly_errors
def digest(
    send: Annotated[bool, typer.Option("--send", help="E-mail it through the configured SMTP server.")] = False,
    role: Annotated[list[str] | None, typer.Option(help="Only this role: " + ", ".join(DIGEST_ROLES) + ".")] = None,
    to: Annotated[str | None, typer.Option(help="Only this person (e-mail address).")] = None,
    output_format: Annotated[
        TextFormat, typer.Option("--format", help="text, or json (with --to): the answer of GET /api/v1/digest for that person.")
    ] = TextFormat.TEXT,
    database: DatabaseOption = None,
) -> None:
    """Print the weekly digests, or send them (--send) once per person and ISO week; run it from cron."""
    if output_format is TextFormat.JSON and (to is None or send):
        raise CliError(
            "--format json prints one person's digest as GET /api/v1/digest answers it: give --to EMAIL, without --send."
        )
    settings = load_settings(database)
    with session_scope(settings) as session:
        if output_format is TextFormat.JSON:
            [person] = recipients(session, roles=role, to=to)
            print_json(digest_read(build_digest(session=session, user=person)))
            return
        if send:
            report = send_digests(session, settings=settings, roles=role, to=to)
            for address in report.sent:
                console.print(f"sent: {address}")
            for address, why in report.skipped:
                console.print(f"skipped: {address} ({why})")
            for address, error in report.failed:
                console.print(f"[red]failed[/red]: {address}: {error}", highlight=False)
            console.print(f"{len(report.sent)} sent, {len(report.skipped)} skipped, {len(report.failed)} failed.")
            if report.failed:
                raise typer.Exit(1)
            return
        people = [p for p in recipients(session, roles=role, to=to) if digest_role(p) is not None]
        if not people:
            console.print("Nobody gets a digest: there are no delivery managers, Product Ops or leaders.")
        base = settings.public_url.rstrip("/")
        for person in people:
            print(f"--- {person.email} ---")
            print(digest_text(build_digest(session=session, user=person), base))
