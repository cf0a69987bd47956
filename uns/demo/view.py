"""The demo's views: a live `rich` display on a terminal, a plain line every 5 s elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from uns.demo.board import Board, Rates

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["Snapshot", "View", "plain_line"]


@dataclass
class Snapshot:
    """Everything a view draws, taken at one instant."""

    elapsed: float
    broker: str
    sim_ms: int
    zones: dict[str, Any]  # site -> tzinfo
    board: Board
    rates: Rates


def plain_line(s: Snapshot) -> str:
    r = s.rates
    shifts = " ".join(
        f"{site}={s.board.shifts[site][0] if site in s.board.shifts else '-'}" for site in s.zones
    )
    last = s.board.dead_recent[0][0] if s.board.dead_recent else "-"
    return (
        f"[{s.elapsed:6.1f}s] raw in {r.per_second('raw'):.0f}/s, "
        f"enriched out {r.per_second('enriched'):.0f}/s, "
        f"dead letters {r.per_second('dead'):.1f}/s | shift {shifts} | "
        f"dead letters so far {s.board.dead} (last: {last})"
    )


def render(s: Snapshot) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    r, b = s.rates, s.board
    header = Text.assemble(
        ("uns demo", "bold"),
        f"  broker {s.broker}  ·  {s.elapsed:.0f} s  ·  ",
        (
            f"raw in {r.per_second('raw'):.0f}/s  enriched out {r.per_second('enriched'):.0f}/s"
            f"  dead letters {r.per_second('dead'):.1f}/s",
            "cyan",
        ),
    )
    shifts = Table(title="shift per site (as stamped by the service)", title_justify="left")
    for col in ("site", "simulated local time", "shift / crew"):
        shifts.add_column(col)
    for site, tz in s.zones.items():
        local = datetime.fromtimestamp(s.sim_ms / 1000, tz).strftime("%a %H:%M:%S %Z")
        shift = b.shifts[site][0] if site in b.shifts else "-"
        shifts.add_row(site, local, Text(shift, style="bold green"))
    latest = Table(title="latest enriched messages", title_justify="left", expand=True)
    latest.add_column("governed topic", overflow="ellipsis", no_wrap=True, ratio=4)
    latest.add_column("value", justify="right", no_wrap=True)
    for col in ("quality", "shift", "batch", "product", "timestamp (UTC)"):
        latest.add_column(col, no_wrap=True)
    for row in b.rows:
        style = "" if row.quality == "good" else "yellow"
        latest.add_row(
            row.topic,
            row.value,
            Text(row.quality, style=style),
            row.shift,
            row.batch,
            row.product,
            Text(row.timestamp[11:23] + " arrival", style="dim")
            if row.arrival
            else row.timestamp[11:23],
        )
    dead = Table(title=f"dead letters: {b.dead}", title_justify="left", expand=True)
    dead.add_column("reason", style="red", no_wrap=True)
    dead.add_column("raw topic", overflow="ellipsis", no_wrap=True)
    dead.add_column("detail", overflow="ellipsis", no_wrap=True, ratio=2)
    for reason, topic, detail in b.dead_recent:
        dead.add_row(reason, topic, detail)
    counts = "  ".join(f"{reason} {n}" for reason, n in sorted(b.dead_by_reason.items()))
    return Group(header, shifts, latest, dead, Text(f"by reason: {counts or 'none yet'}"))


class View:
    """Draws snapshots: a live rich display on a terminal, plain lines elsewhere."""

    def __init__(self, live: bool, out: IO[str]) -> None:
        self.live = live
        self.out = out
        self.interval_s = 0.5 if live else 5.0
        self._live: Any = None

    def __enter__(self) -> View:
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.out)
            self._live = Live(console=console, auto_refresh=False, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def draw(self, snapshot: Snapshot) -> None:
        if self._live is not None:
            self._live.update(render(snapshot), refresh=True)
        else:
            print(plain_line(snapshot), file=self.out, flush=True)
