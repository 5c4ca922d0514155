"""The stack check's supervisor (.ci/stack.py ``Processes``) must not hide a process that
cannot stay up: a web host or worker that exits with an error at every start is a failure
the check exists to catch, not something to restart every second until the end."""

import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_stack(tmp_path):
    spec = importlib.util.spec_from_file_location("ci_stack", ROOT / ".ci" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ARTIFACTS = tmp_path
    return module


def test_a_process_that_fails_at_every_start_is_not_restarted_forever(tmp_path):
    stack = load_stack(tmp_path)
    processes = stack.Processes()
    processes.start("web-1", [sys.executable, "-c", "raise SystemExit(3)"], {}, supervised=True)
    time.sleep(6)
    restarts, gave_up = list(processes.restarts), list(processes.gave_up)
    processes.stop_all()
    assert len(restarts) == processes.MAX_RESTARTS, restarts
    assert gave_up == ["web-1 (exit code 3)"]  # main() then fails the check
