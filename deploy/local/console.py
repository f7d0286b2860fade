"""What `make run` tells a person: the ready banner, and noticing a Ctrl-C that reached make alone."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy.local.launcher import Mesh

DEFAULT_ADMIN_ACCOUNT = "admin@meshconsole.local"
_BOLD, _GREEN, _DIM, _RESET = "\033[1m", "\033[32m", "\033[2m", "\033[0m"


def ready_banner(mesh: Mesh, *, notes: Sequence[tuple[str, str]] = (), color: bool = False) -> str:
    """The lines printed once the mesh is ready: URL, docs, admin account, where the password is kept."""
    config = mesh.config
    password_file = mesh.data_dir / "admin_password"
    if config.admin_password:
        password = "the MESH_ADMIN_PASSWORD you set"
    elif mesh.generated_admin_password:
        password = f"{mesh.generated_admin_password}  (shown once; kept in {password_file})"
    else:
        password = f"kept in {password_file}"
    rows = [
        ("API docs", f"{mesh.base_url}/docs"),
        ("admin account", config.admin_account or DEFAULT_ADMIN_ACCOUNT),
        ("admin password", password),
        *notes,
        ("data", str(mesh.data_dir)),
        ("logs", str(mesh.data_dir / "logs") if config.log_to_files else "above (MESH_LOG_FORMAT=json for JSON)"),
        ("stop", "Ctrl-C"),
    ]
    width = max(len(label) for label, _ in rows)
    rule = "─" * 72
    headline = f"MeshConsole gateway listening on {mesh.base_url}"
    if color:
        rule, headline = f"{_DIM}{rule}{_RESET}", f"{_BOLD}{_GREEN}{headline}{_RESET}"
    lines = [rule, headline, *(f"  {label.ljust(width)}  {value}" for label, value in rows), rule]
    return "\n" + "\n".join(lines) + "\n"


def _caught_signals(pid: int) -> int | None:
    """The mask of signals a process has handlers for (/proc SigCgt), None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return int(line.split()[1], 16)
    except (OSError, ValueError):
        return None
    return None


def _is_make(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in ("make", "gmake")
    except OSError:
        return False


def watch_parent_interrupt(stop: threading.Event, *, interval_s: float = 0.3) -> threading.Thread | None:
    """Set `stop` when our parent make got SIGINT (or SIGHUP/SIGQUIT) that did not reach us.

    A Ctrl-C at a terminal reaches make and us alike; `kill -INT <make>` reaches make alone, and GNU make then
    drops its handler (back to SIG_DFL) and waits for its children, which would wait forever. The dropped
    handler is visible in /proc/<make>/status, so we notice it and stop as on our own SIGINT.
    """
    parent = os.getppid()
    watched = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGHUP - 1)) | (1 << (signal.SIGQUIT - 1))
    initial = _caught_signals(parent)
    if not _is_make(parent) or initial is None or not initial & watched:
        return None

    def watch() -> None:
        while not stop.wait(interval_s):
            now = _caught_signals(parent)
            if os.getppid() != parent or now is None or (initial & watched) & ~now:
                sys.stderr.write("launcher: make was interrupted; stopping MeshConsole\n")
                stop.set()
                return

    thread = threading.Thread(target=watch, name="parent-interrupt", daemon=True)
    thread.start()
    return thread
