"""Runs the real `vigil run` binary for tests: config file, notify socket, stdout capture."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


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

    def _run(self):
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

    def wait_for(self, predicate, timeout: float = 20) -> list[str] | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.snapshot():
                if predicate(m):
                    return m
            time.sleep(0.05)
        return None

    def close(self):
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


class Daemon:
    def __init__(self, binary: str, config_text: str, env: dict[str, str] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="vigil-ops-"))
        self.config = self.dir / "vigil.toml"
        self.config.write_text(config_text)
        self.notify = NotifySocket(self.dir)
        full_env = dict(os.environ)
        full_env.update({"NOTIFY_SOCKET": self.notify.path})
        full_env.update(env or {})
        full_env.pop("JOURNAL_STREAM", None)
        self.lines: list[str] = []
        # Like the unit's MemoryDenyWriteExecute=yes: the kernel's PR_SET_MDWE (Linux >= 6.3) makes
        # any writable+executable mapping fail, so the whole run checks that Vigil needs none.
        wrapper = ("import ctypes, os, sys; ctypes.CDLL(None).prctl(65, 1, 0, 0, 0); "
                   "os.execv(sys.argv[1], sys.argv[1:])")
        self.proc = subprocess.Popen([sys.executable, "-c", wrapper, binary, "run", "--config", str(self.config)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def logs(self) -> list[dict]:
        return [json.loads(line) for line in list(self.lines)]

    def wait_log(self, predicate, timeout: float = 30) -> dict | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                obj = json.loads(line)
                if predicate(obj):
                    return obj
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return None

    def admin_port(self, timeout: float = 30) -> int:
        line = self.wait_log(lambda o: o.get("msg") == "admin API listening", timeout)
        assert line is not None, f"no admin line; stderr: {self.stderr()}"
        return int(line["admin.port"])

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read() if self.proc.stderr else ""

    def stop(self, timeout: float = 30) -> int | None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None
        finally:
            self._reader.join(timeout=2)
            self.notify.close()
            shutil.rmtree(self.dir, ignore_errors=True)


def http_get(port: int, path: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()
