"""`uns demo` and `uns simulate`: a simulated plant, an embedded broker and a live view.

`uns simulate --broker URL` publishes the simulator's raw traffic (`uns.simulator`) at a
steady rate to any broker: for trials against a real service and for benchmarks.

`uns demo` is the first five minutes of the product, with nothing installed first:

1. a broker: `--broker URL`, else an embedded one: the `mosquitto` binary when it is on PATH
   or in /usr/sbin (a free loopback port, a generated config in a temp dir, its own session so
   that Ctrl+C reaches us and not it), else amqtt's broker in this process (MQTT 3.1.1);
   `UNS_DEMO_BROKER=mosquitto|amqtt` (or `--embedded`) forces one;
2. the service itself, in this event loop, through the service's runner (`uns.runner.serve`:
   the same model reload as `uns run`; no metrics port);
3. a subscriber on the governed tree and the dead-letter branch, feeding a `Board`;
4. the simulator, with a clock offset chosen from the calendars so that a shift changes
   about 30 s after the start;
5. a live `rich` view on a terminal, or a plain summary line every few seconds otherwise
   (CI, `| tee`); a final summary of counts by outcome when the run ends (`--duration`,
   Ctrl+C or SIGTERM: exit 0; a second Ctrl+C stops at once: `uns.signals`).

Modules: `mosquitto` (the one mosquitto launcher, also used by the tests), `broker`
(external or embedded broker), `traffic` (the simulator pump), `board` (what the subscriber
sees, rates, summary), `view` (live and plain views), `command` (`uns demo`), `simulate`
(`uns simulate`).

Imports of the heavy modules (the service, the model loader, rich) happen inside the commands,
so that `uns --help` stays fast: this module is imported when the parser is built.
"""

from __future__ import annotations

import argparse

from uns.demo.board import Board, Rates, Summary
from uns.demo.broker import Broker, start_embedded
from uns.demo.command import DemoOptions, add_demo_parser, run_demo
from uns.demo.simulate import add_simulate_parser, run_simulate
from uns.demo.traffic import DEFAULT_RATE, PumpStats, pump

__all__ = [
    "DEFAULT_RATE",
    "Board",
    "Broker",
    "DemoOptions",
    "PumpStats",
    "Rates",
    "Summary",
    "add_demo_parsers",
    "pump",
    "run_demo",
    "run_simulate",
    "start_embedded",
]


def add_demo_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `uns demo` and `uns simulate` to the CLI's subcommands."""
    add_demo_parser(sub)
    add_simulate_parser(sub)
