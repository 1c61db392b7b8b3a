"""The one way tools/ runs the real `vigil run` binary: tests (ops, public, fault tests), benchmarks, soak.

Each caller used to start, stop and read the daemon its own way; here they share one launcher, so a
daemon is always stopped the same way (SIGTERM, then SIGKILL after a timeout), its output always lands
in files under a work directory (stdout, the JSON log, in NAME.out; stderr in NAME.err; both appended,
so a restarted instance keeps one log), and its log is always read the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Like the unit's MemoryDenyWriteExecute=yes: the kernel's PR_SET_MDWE (Linux >= 6.3) makes any
# writable+executable mapping fail, so a run under it checks that Vigil needs none.
_DENY_WRITE_EXECUTE = ("import ctypes, os, sys; ctypes.CDLL(None).prctl(65, 1, 0, 0, 0); "
                       "os.execv(sys.argv[1], sys.argv[1:])")


class NotifySocket:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; collects every message."""

    def __init__(self, directory: Path):
        self.path = str(directory / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[list[str]] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.messages.append(data.decode().split("\n"))

    def snapshot(self) -> list[list[str]]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 20) -> list[str] | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.snapshot():
                if predicate(m):
                    return m
            time.sleep(0.05)
        return None

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


class VigilDaemon:
    """One `vigil run --config CONFIG` process with extra environment, its output in WORKDIR/NAME.{out,err}.

    `start()` may be called again after a stop or kill (a restart: the same files, appended).
    With `notify`, a NotifySocket is its NOTIFY_SOCKET; with `deny_write_execute`, it runs under
    PR_SET_MDWE as the systemd unit runs it.
    """

    def __init__(self, binary: str | Path, config: Path, workdir: Path, name: str = "vigil",
                 env: dict[str, str] | None = None, *, notify: bool = False, deny_write_execute: bool = False,
                 owns_workdir: bool = False):
        self.binary, self.config, self.workdir, self.name = str(binary), config, workdir, name
        self.env = dict(env or {})
        self.stdout_path = workdir / f"{name}.out"
        self.stderr_path = workdir / f"{name}.err"
        self.notify = NotifySocket(workdir) if notify else None
        self.deny_write_execute = deny_write_execute
        self.owns_workdir = owns_workdir
        self.process: subprocess.Popen | None = None
        self.started = 0.0  # time.perf_counter() at the last start
        self._kept_stderr = ""  # stderr of a removed temporary work directory

    @classmethod
    def with_config(cls, binary: str | Path, config_text: str, env: dict[str, str] | None = None,
                    **options: Any) -> VigilDaemon:
        """Started at once on CONFIG_TEXT in a temporary directory that `stop()` removes; with a
        notify socket and under PR_SET_MDWE unless told otherwise (the ops tests' daemon)."""
        workdir = Path(tempfile.mkdtemp(prefix="vigil-"))
        config = workdir / "vigil.toml"
        config.write_text(config_text)
        options = {"notify": True, "deny_write_execute": True, **options}
        return cls(binary, config, workdir, env=env, owns_workdir=True, **options).start()

    def start(self) -> VigilDaemon:
        env = {**os.environ, **self.env}
        env.pop("JOURNAL_STREAM", None)  # the log stays JSON lines, whoever runs the tests
        if self.notify is not None:
            env["NOTIFY_SOCKET"] = self.notify.path
        command = [self.binary, "run", "--config", str(self.config)]
        if self.deny_write_execute:
            command = [sys.executable, "-c", _DENY_WRITE_EXECUTE, *command]
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        self.started = time.perf_counter()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM and wait for the exit status (raises subprocess.TimeoutExpired when it hangs)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` s; the exit status, or None when it had to be killed.
        Closes the notify socket and removes a temporary work directory."""
        try:
            if self.process is None:
                return None
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        finally:
            if self.notify is not None:
                self.notify.close()
            if self.owns_workdir:
                self._kept_stderr = self.stderr_text()
                shutil.rmtree(self.workdir, ignore_errors=True)

    # --- its output

    def raw_lines(self) -> list[str]:
        """Its stdout, line by line."""
        try:
            return self.stdout_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def log_lines(self) -> list[dict[str, Any]]:
        """Its JSON log lines (a journald `<N>` priority prefix removed; other lines skipped)."""
        out = []
        for line in self.raw_lines():
            try:
                obj = json.loads(re.sub(r"^<\d>", "", line))
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def logged(self, message: str) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line.get("msg") == message]

    def wait_log(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any] | None:
        """The first log line that satisfies `predicate`, waiting up to `timeout` s (None when the
        process exits or the time runs out first)."""
        deadline = time.time() + timeout
        while True:
            for line in self.log_lines():
                if predicate(line):
                    return line
            if not self.running() or time.time() >= deadline:
                return None
            time.sleep(0.05)

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return self._kept_stderr

    def admin_port(self, timeout: float = 30) -> int:
        """The admin API's port, from its "admin API listening" log line."""
        line = self.wait_log(lambda o: o.get("msg") == "admin API listening", timeout)
        if line is None:
            raise RuntimeError(f"no 'admin API listening' line; stderr: {self.stderr_text()[-2000:]}")
        return int(line["admin.port"])


def http_get(port: int, path: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body) of GET http://127.0.0.1:PORT/PATH; error statuses too."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()
