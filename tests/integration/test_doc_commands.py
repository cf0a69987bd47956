"""Every `uns ...` command shown in README.md and docs/*.md runs, and succeeds, as written.

Commands are taken from fenced `sh` blocks (lines starting with `uns `, with `\\` continuations)
and from `$ uns ...` lines of any fenced block. They run in a scratch directory holding copies
of the shipped `models/` (and `old-models/` for diff), with only what cannot exist here
replaced: broker addresses become the test broker, `/etc/uns/uns.yaml` and the spool path are
files made for the test, `[optional]` synopsis parts are dropped, and demos and simulations
are cut to a few seconds. `uns run` is started, must become ready, and must drain cleanly on
SIGTERM. docs/tutorial.md is left to tests/unit/test_tutorial.py, which runs its own steps.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIPPED_DOCS = {"tutorial.md"}  # its commands need the tutorial's work directory, step by step
SHORT_S = "3"


@dataclass(frozen=True)
class Shown:
    doc: str
    line: int
    command: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.command}"


def shown_commands() -> list[Shown]:
    out: list[Shown] = []
    for path in DOCS:
        if path.name in SKIPPED_DOCS:
            continue
        lang: str | None = None
        pending: tuple[int, str] | None = None
        for number, raw in enumerate(path.read_text().splitlines(), 1):
            text = raw.strip()
            if text.startswith("```"):
                lang = None if lang is not None else text[3:].strip()
                continue
            if lang is None:
                continue
            if pending is not None:
                start, joined = pending
                joined += " " + text.rstrip("\\").strip()
                pending = (start, joined) if text.endswith("\\") else None
                if pending is None:
                    out.append(Shown(path.name, start, joined))
                continue
            if text.startswith("$ uns "):
                command = text[2:]
            elif lang == "sh" and text.startswith("uns "):
                command = text
            else:
                continue
            command = re.sub(r"\s+#.*$", "", command)
            if command.endswith("\\"):
                pending = (number, command.rstrip("\\").strip())
            else:
                out.append(Shown(path.name, number, command))
    return out


COMMANDS = shown_commands()


def test_the_docs_show_commands_of_every_kind() -> None:
    verbs = {c.command.split()[1] for c in COMMANDS}
    assert {"check", "lint", "tree", "diff", "explain", "run", "demo", "schema"} <= verbs
    assert {"simulate", "replay"} <= verbs
    assert len(COMMANDS) >= 20


def runnable(command: str, broker_url: str, scratch: Path) -> list[str]:
    """The command with what cannot exist here replaced (see the module docstring)."""
    command = re.sub(r"\[[^\]]*\]", "", command)  # synopsis: optional parts
    command = re.sub(r"mqtts?://[\w.\-]+:\d+", broker_url, command)
    command = command.replace("/etc/uns/uns.yaml", str(scratch / "uns.yaml"))
    command = command.replace("/var/lib/uns/deadletters.jsonl", str(scratch / "dl.jsonl"))
    argv = shlex.split(command)
    verb = argv[1]
    if verb in ("demo", "simulate"):
        if "--duration" in argv:
            argv[argv.index("--duration") + 1] = SHORT_S
        else:
            argv += ["--duration", SHORT_S]
        if verb == "demo" and "--plain" not in argv:
            argv.append("--plain")
    if verb == "run" and "--config" not in argv:
        argv += ["--metrics-port", "0"]
    return argv


def prepare(scratch: Path, broker_url: str) -> None:
    shutil.copytree(ROOT / "models", scratch / "models")
    shutil.copytree(ROOT / "models", scratch / "old-models")
    shutil.copytree(ROOT / "examples", scratch / "examples")  # commands run on examples too
    (scratch / "uns.yaml").write_text(
        json.dumps(
            {
                "models": "models",
                "broker": {"url": broker_url, "client_id": f"uns-docs-{os.getpid()}"},
                "metrics_port": 0,
            }
        )
    )
    letter = {
        "reason": "unknown_raw_tag",
        "detail": "raw tag 'X' is not in the binding's tags",
        "topic": "plc/cgn/L2/FIL01/TT101.PV",
        "received": "2026-03-24T10:00:00.004Z",
        "binding": "cgn-l2-filler",
        "payload": "42",
        "payload_encoding": "utf-8",
    }
    (scratch / "dl.jsonl").write_text(json.dumps(letter) + "\n")
    (scratch / "lint.yaml").write_text("rules:\n  unbound-equipment: {level: warning}\n")


def run_service(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Start `uns run`, wait until it subscribed, stop it with SIGTERM."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "uns", *argv[1:], "--log-format", "text"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            seen.append(line)
            if "subscribed to" in line or (not line and proc.poll() is not None):
                break
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(seen) + rest
    assert "subscribed to" in output, output
    return proc.returncode, output


@pytest.mark.parametrize("shown", COMMANDS, ids=str)
def test_a_command_shown_in_the_docs_runs(shown: Shown, broker: Any, tmp_path: Path) -> None:
    broker_url = f"mqtt://127.0.0.1:{broker.port}"
    prepare(tmp_path, broker_url)
    argv = runnable(shown.command, broker_url, tmp_path)
    if argv[1] == "run":
        code, output = run_service(argv, tmp_path)
    else:
        # A `>` redirection in the docs: the command writes there (run through a shell).
        done = subprocess.run(
            [sys.executable, "-m", "uns", *argv[1:]]
            if ">" not in argv
            else ["sh", "-c", f"{shlex.quote(sys.executable)} -m " + " ".join(argv)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        code, output = done.returncode, done.stdout + done.stderr
    assert code == 0, f"{shown}\n$ {' '.join(argv)}\n{output}"
    for written in (argv[i + 1] for i, a in enumerate(argv) if a in (">", "-o")):
        assert (tmp_path / written).stat().st_size > 0, written
