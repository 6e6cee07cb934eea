"""The leadership pack as a PDF, drawn with fpdf2's core fonts: pure Python, no network, no font files.

Core fonts cover Latin-1 only, so text is transliterated first ("–" becomes "-", "Ł" becomes "L");
names such as "Zoë" or "García" are Latin-1 and print as written.
"""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

from deliveryops.cockpit.leadership.service import Headline, LeadershipPack, PackSection, pack_charts

_BAR = (31, 78, 121)  # this period: filled bars
_PREVIOUS = (110, 110, 110)  # the previous period: outlined bars

__all__ = ["latin1", "render_pdf"]

_REPLACEMENTS = {
    "–": "-",
    "—": "-",
    "‑": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "•": "-",
    "·": "-",
    "→": "->",
    "≤": "<=",
    "≥": ">=",
    "×": "x",
    "Ł": "L",
    "ł": "l",
    "ı": "i",
    "€": "EUR",
    "\u00a0": " ",
}


def latin1(text: str) -> str:
    """``text`` in characters the PDF core fonts can draw (Latin-1), transliterating the rest."""
    out = []
    for original in text:
        char = _REPLACEMENTS.get(original, original)
        if all(ord(c) < 256 for c in char):
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append("".join(c for c in plain if not unicodedata.combining(c)) or "?")
    return "".join(out)


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    return f"{_short(value)} {unit}".strip()


def _short(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _change(headline: Headline) -> str:
    change = headline.change
    if change is None:
        return "-"
    sign = "+" if change > 0 else ""
    shown = _short(change)
    return f"{sign}{shown} ({headline.verdict_text})" if headline.verdict_text else f"{sign}{shown}"


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._title = latin1(title)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, f"{self._title} - page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", style="B", size=13)
        self.cell(0, 8, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", size=10)

    def para(self, text: str, size: int = 10) -> None:
        self.set_font("Helvetica", size=size)
        self.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def rows(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_font("Helvetica", size=9)
        with self.table(col_widths=widths, text_align="LEFT", line_height=5, first_row_as_headings=True) as table:
            first = table.row()
            for text in header:
                first.cell(latin1(text))
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(latin1(text))
        self.set_font("Helvetica", size=10)

    def paired_bars(
        self,
        *,
        title: str,
        axis: tuple[str, str],
        rows: list[tuple[str, int | None, int | None]],
        legend: tuple[str, str],
        definition: str,
        empty: str,
    ) -> None:
        """A horizontal bar chart: per row a filled bar for this period and an outlined bar for the previous one.

        Args:
            title: the chart's title.
            axis: (label of the rows, label of the value axis with its unit).
            rows: (row label, this period's value, the previous period's value); None draws no bar.
            legend: the labels of this period and the previous period.
            definition: one line with the measure's definition and its absolute link.
            empty: what to say instead of the chart when there are no rows.
        """
        # Rows get thinner for a large scope so that a chart always fits on one page.
        row_h, label_w, plot_w = min(7.0, 200 / max(1, len(rows))), 40.0, 115.0
        if self.get_y() + 40 + row_h * len(rows) > self.page_break_trigger:
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", style="B", size=11)
        self.cell(0, 6, latin1(title), new_x="LMARGIN", new_y="NEXT")
        if not rows:
            self.para(f"{empty} {definition}", size=8)
            return
        self.set_font("Helvetica", size=8)
        self.set_fill_color(*_BAR)
        self.set_draw_color(*_PREVIOUS)
        x, y = self.l_margin, self.get_y() + 1
        self.rect(x + label_w, y + 1, 4, 2.5, style="F")
        self.text(x + label_w + 5, y + 3.3, latin1(f"{legend[0]} (filled)"))
        self.rect(x + label_w + 65, y + 1, 4, 2.5, style="D")
        self.text(x + label_w + 70, y + 3.3, latin1(f"{legend[1]} (outlined)"))
        self.set_font("Helvetica", style="B", size=8)
        self.text(x, y + 3.3, latin1(axis[0]))
        self.set_font("Helvetica", size=8)
        top = y + 6
        largest = max([1] + [v for _, now, before in rows for v in (now, before) if v is not None])
        scale = plot_w / largest
        for index, (label, now, before) in enumerate(rows):
            row_y = top + index * row_h
            self.set_xy(x, row_y)
            self.cell(label_w - 2, row_h * 0.85, latin1(label)[:24], align="R")
            shown = []
            if now is not None:
                self.rect(x + label_w, row_y + row_h * 0.07, now * scale, row_h * 0.43, style="F")
                shown.append(str(now))
            if before is not None:
                self.rect(x + label_w, row_y + row_h * 0.53, before * scale, row_h * 0.31, style="D")
                shown.append(f"({before})")
            self.text(x + label_w + plot_w + 2, row_y + row_h / 2, " ".join(shown) or "no data")
        bottom = top + row_h * len(rows)
        self.set_draw_color(0, 0, 0)
        self.set_fill_color(0, 0, 0)  # fpdf2's defaults again, for what follows the chart
        self.line(x + label_w, top, x + label_w, bottom)
        self.line(x + label_w, bottom, x + label_w + plot_w, bottom)
        for tick in sorted({0, largest // 2, largest}):  # whole items
            tick_x = x + label_w + tick * scale
            self.line(tick_x, bottom, tick_x, bottom + 1)
            self.text(tick_x - 1, bottom + 4, str(tick))
        self.set_xy(x + label_w, bottom + 5)
        self.cell(plot_w, 4, latin1(axis[1]), align="C", new_x="LMARGIN", new_y="NEXT")
        self.para(definition, size=8)
        self.set_font("Helvetica", size=10)


def _charts(pdf: _Pdf, pack: LeadershipPack, base_url: str) -> None:
    """The key charts (:func:`pack_charts`, the same data as the JSON's ``charts``), each with its absolute definition link."""
    for chart in pack_charts(pack):
        link = f"{base_url.rstrip('/')}/definitions#{chart.definition}"
        pdf.paired_bars(
            title=chart.title,
            axis=(chart.row_axis, chart.value_axis),
            rows=chart.rows,
            legend=chart.legend,
            definition=f"{chart.note.removesuffix('.')}. Definition: {link}",
            empty=chart.empty,
        )


def render_pdf(pack: LeadershipPack, *, base_url: str, compress: bool = True, sections: list[PackSection] | None = None) -> bytes:
    """Draw the pack: the leading sections (outcomes), headline table, the throughput charts, impediments, forecasts,
    experiments, adoption, questions.

    Args:
        pack: the pack to draw.
        sections: what the pack leads with (registered by other capabilities).
        compress: deflate page content (tests turn it off to read the text in the bytes).

    Returns:
        The PDF file's bytes.
    """
    title = f"Leadership pack - {pack.scope} - {pack.period.label}"
    pdf = _Pdf(title)
    pdf.set_compression(compress)
    pdf.set_title(latin1(title))
    pdf.set_creator("DeliveryOps")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.multi_cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
    running = " (still running; compared with the same number of days)" if pack.to_date else ""
    pdf.para(
        f"{pack.period.start.isoformat()} to {pack.period.end.isoformat()}{running}, compared with "
        f"{pack.previous.label} ({pack.previous.start.isoformat()} to {pack.previous.end.isoformat()}). "
        f"Teams: {', '.join(t.name for t in pack.teams) or 'none'}. Generated "
        f"{pack.generated_at.strftime('%Y-%m-%d %H:%M')} UTC. Definitions: {base_url.rstrip('/')}/definitions",
        size=9,
    )

    for section in sections or []:
        pdf.heading(section.title)
        for note, (header, rows, widths) in zip(section.notes, section.tables, strict=True):
            if note:
                pdf.para(note)
            if rows:
                pdf.rows(header, rows, widths)

    pdf.heading("Headline numbers")
    pdf.rows(
        ["Measure", pack.period.label, pack.previous.label, "Change"],
        [[h.label, _number(h.value, h.unit), _number(h.previous, h.unit), _change(h)] for h in pack.headlines],
        [70, 35, 35, 40],
    )
    _charts(pdf, pack, base_url)

    pdf.heading("Top cross-team impediments")
    if pack.clusters:
        pdf.rows(
            ["Impediment", "Status", "Teams", "Open"],
            [[c.title, c.status, ", ".join(c.teams), str(c.open_impediments)] for c in pack.clusters],
            [75, 25, 65, 15],
        )
    else:
        pdf.para("No cross-team impediment clusters touch these teams.")

    pdf.heading("Forecasts for open epics")
    if pack.epics:
        pdf.rows(
            ["Epic", "Team", "Remaining", "50%", "85%"],
            [
                [
                    f"{e.key} {e.title}",
                    e.team_name,
                    f"{e.remaining} of {e.total}",
                    e.p50.isoformat() if e.p50 else "-",
                    e.p85.isoformat() if e.p85 else (e.message or "-"),
                ]
                for e in pack.epics
            ],
            [70, 30, 25, 25, 30],
        )
        pdf.para(
            "Monte Carlo, 10,000 trials over the last 90 days' daily throughput; not stored. A team's open epics "
            "share its throughput in priority order (oldest epic first): an epic's dates come after those ahead of it.",
            size=8,
        )
    else:
        pdf.para("No open epics with unfinished items.")

    pdf.heading("Dependencies at risk")
    if pack.dependencies_at_risk:
        pdf.rows(
            ["What is needed", "Requested by", "From", "Needed by", "Chance"],
            [
                [
                    r.dependency.title,
                    r.dependency.requester_team,
                    r.dependency.provider,
                    r.dependency.needed_by.isoformat(),
                    f"{round((r.chance_needed or 0.0) * 100)}% (threshold {r.threshold}%)",
                ]
                for r in pack.dependencies_at_risk
            ],
            [65, 30, 30, 25, 30],
        )
        pdf.para("Chance of delivery: the provider team's own Monte Carlo forecast by the needed-by date.", size=8)
    else:
        pdf.para("No accepted dependency of these teams is below its requester's threshold.")

    pdf.heading("Experiments concluded, with their learnings")
    if pack.experiments is None:
        pdf.para("The experiment registry is not available in this installation.")
    elif not pack.experiments:
        pdf.para("No experiment ended in this period.")
    else:
        for e in pack.experiments:
            team = pack.team_names.get(e.team_id or 0, "")
            pdf.para(f"{e.title} ({team}) - decision: {e.decision or 'none'}. {e.learnings or e.rationale}")

    pdf.heading("Adoption changes")
    if pack.adoption is None:
        pdf.para("Adoption tracking is not available in this installation.")
    elif not pack.adoption:
        pdf.para("No team changed the adoption of a tool or practice in this period.")
    else:
        pdf.rows(
            ["Team", "Tool or practice", "From", "To", "On"],
            [
                [
                    a.team_name,
                    a.entry_name,
                    (a.from_state or "-").replace("_", " "),
                    a.to_state.replace("_", " "),
                    a.at.date().isoformat(),
                ]
                for a in pack.adoption
            ],
            [35, 55, 30, 30, 30],
        )

    pdf.heading("Rollouts")
    if not pack.rollouts:
        pdf.para("No rollout of a tool or practice touches these teams.")
    for r in pack.rollouts:
        said = (
            "not enough evidence"
            if r.effect is None or r.low is None or r.high is None
            else f"{r.outcome.replace('_', ' ')}: {r.effect:+.2f} a week (95% interval {r.low:+.2f} to {r.high:+.2f})"
        )
        computed = f" Computed at {r.computed_at:%Y-%m-%d %H:%M} UTC." if r.computed_at else ""
        pdf.para(
            f"{r.title} ({r.entry_name}): {r.adopted} of {r.teams} teams adopted; effect on "
            f"{r.metric.replace('_', ' ')}: {said}. {r.detail}.{computed}"
        )

    pdf.heading("Questions for leadership")
    if not pack.questions:
        pdf.para("Product Ops has no questions for this period.")
    for number, q in enumerate(pack.questions, start=1):
        pdf.set_font("Helvetica", style="B", size=10)
        pdf.multi_cell(0, 5, latin1(f"{number}. {q.text} [{q.status}]"), new_x="LMARGIN", new_y="NEXT")
        if q.context:
            pdf.para(q.context, size=9)
        if q.decision:
            pdf.para(f"Decision: {q.decision}", size=9)
    return bytes(pdf.output())
