"""Every settings problem of `uns run`: one line on stderr and exit 2 (issue 13), never a
traceback or exit 1 (the systemd unit's RestartPreventExitStatus=2 then stops restarting)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

MODEL = Path(__file__).parent.parent / "data" / "models" / "plant"
ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uns", "run", "--models", str(MODEL), "--log-level", "error",
         *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _settings(tmp_path: Path, text: str) -> str:
    path = tmp_path / "uns.yaml"
    path.write_text(text)
    path.chmod(0o600)
    return str(path)


def shared_password_file(tmp_path: Path) -> list[str]:
    secret = tmp_path / "password"
    secret.write_text("hunter2\n")
    secret.chmod(0o644)
    text = f"broker:\n  url: mqtt://127.0.0.1:1\n  username: bob\n  password_file: {secret}\n"
    return ["--config", _settings(tmp_path, text)]


def bad_broker_url(tmp_path: Path) -> list[str]:
    return ["--broker", "mqtt://127.0.0.1:notaport"]


def hash_in_a_url_password(tmp_path: Path) -> list[str]:
    text = "broker:\n  url: mqtt://bob:pa#K9Q@127.0.0.1:1\n"
    return ["--config", _settings(tmp_path, text)]


def missing_models_directory(tmp_path: Path) -> list[str]:
    return ["--models", str(tmp_path / "no-such-models")]


CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "password file readable by others": (shared_password_file, "readable by others"),
    "bad broker URL": (bad_broker_url, "broker URL"),
    "# in a URL password": (hash_in_a_url_password, "percent-encoded"),
    "missing models directory": (missing_models_directory, "no such file or directory"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_settings_problem_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    argv, says = CASES[case]
    done = _run(tmp_path, "--metrics-port", "0", *argv(tmp_path))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert says in lines[0]
    assert "Traceback" not in done.stderr
    assert "K9Q" not in done.stderr + done.stdout


def test_the_metrics_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(tmp_path, "--broker", "mqtt://127.0.0.1:1", "--metrics-port", str(port))
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert f"cannot listen on 127.0.0.1:{port}" in line
