"""Several processes sharing one file store: one refresh among them, and SIGKILL at random moments of a refresh
or a store write never leaves a store that does not parse or holds a mixed pair."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import urllib3

from retently_oauth import FileStore, TokenManager
from retently_oauth.testing import RetentlyServer

from .support import WORKER, client_for, fresh_token, manager_with, reaped, worker

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="file locks and SIGKILL are POSIX")

KILLS_PER_SERVER = 60  # x2 servers: 120 kills


def test_four_processes_one_refresh_with_rotation(tmp_path: Path) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        path = tmp_path / "creds.json"
        manager_with(server, FileStore(path))  # a due token in the store
        before = server.counts["refresh_token"]
        go = tmp_path / "go"
        procs = [worker("token", str(path), str(go)) for _ in range(4)]
        with reaped(*procs):
            for proc in procs:
                assert proc.stdout is not None
                assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
            go.touch()  # all four ask at once
            outputs = [proc.communicate(timeout=60) for proc in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
            assert "invalid_grant" not in err and "Reauthorization" not in err
        tokens = {out.strip() for out, _ in outputs}
        assert len(tokens) == 1
        assert server.counts["refresh_token"] - before == 1
        (token,) = tokens
        response = urllib3.request("GET", server.api_url, headers={"Authorization": f"Bearer {token}"})
        assert response.status == 200
        saved = FileStore(path).load()
        assert saved is not None and saved.access_token == token and server.refresh_token_valid(saved.refresh_token)


def refresh_loops(path: Path) -> subprocess.Popen[str]:
    """tests/worker.py forking a refresh loop per "start": one interpreter start for all the kills."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), "fork-refresh-loops", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def ask(proc: subprocess.Popen[str], line: str) -> list[str]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().split()


def errors_of(proc: subprocess.Popen[str]) -> str:
    proc.kill()
    return proc.communicate()[1]


@pytest.mark.parametrize("rotate", [False, True], ids=["same-refresh-token", "rotating"])
def test_sigkill_during_refresh_and_write_never_corrupts_the_store(tmp_path: Path, rotate: bool) -> None:
    rng = random.Random(20261123 + rotate)
    path = tmp_path / "creds.json"
    lost_to_rotation = mid_write = 0
    with RetentlyServer(rotate_refresh_tokens=rotate) as server:
        manager_with(server, FileStore(path), token=fresh_token(server))
        loops = refresh_loops(path)
        with reaped(loops):
            assert loops.stdout is not None
            assert loops.stdout.readline().strip() == "ready", errors_of(loops)
            for kill in range(KILLS_PER_SERVER):
                ready = ask(loops, "start")  # a process of its own, refreshing and saving in a loop
                assert ready[:1] == ["ready"], errors_of(loops)
                time.sleep(rng.uniform(0.0, 0.04))  # a random moment of the refresh + atomic-save loop
                os.kill(int(ready[1]), signal.SIGKILL)  # not reaped yet: the PID is still that process's
                exited = ask(loops, "reap")
                assert exited == ["exited", str(-signal.SIGKILL)], f"worker died on its own: {errors_of(loops)}"
                mid_write += bool(list(tmp_path.glob(".creds.json.*.tmp")))
                saved = FileStore(path).load()  # parses: never partial, never empty
                assert saved is not None, f"kill {kill}: the store vanished"
                pair = (saved.access_token, saved.refresh_token)
                issued = server.issued_pairs()
                if not rotate:
                    assert server.refresh_token_valid(saved.refresh_token), f"kill {kill}: stored refresh token dead"
                    assert pair in issued, f"kill {kill}: a pair the server never issued together"
                    continue
                # rotating: the old pair (killed after the server rotated, before the save) or the new one
                assert pair in issued[-2:], f"kill {kill}: neither the latest nor the previous pair"
                if not server.refresh_token_valid(saved.refresh_token):
                    lost_to_rotation += 1  # the unavoidable window: log in again and go on
                    TokenManager(client_for(server), FileStore(path)).store_token(fresh_token(server))
    print(
        f"\n{KILLS_PER_SERVER} kills ({'rotating' if rotate else 'same refresh token'}): {mid_write} mid-write "
        f"(a temp file left), {lost_to_rotation} between the server's rotation and the save"
    )


def test_four_cli_token_commands_at_once_refresh_once(tmp_path: Path) -> None:
    """Two (here four) shells running `retently-oauth token` on a due store never both refresh."""
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        path = tmp_path / "creds.json"
        manager_with(server, FileStore(path))  # a due token in the store
        before = server.counts["refresh_token"]
        command = [sys.executable, "-m", "retently_oauth", "token", "--store", str(path)]
        procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        with reaped(*procs):
            outputs = [proc.communicate(timeout=60) for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0, 0, 0], [err for _, err in outputs]
        assert len({out for out, _ in outputs}) == 1
        assert server.counts["refresh_token"] - before == 1
