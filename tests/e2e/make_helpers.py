"""`make run` / `make demo` as a person runs them: a real make process, its output, and its process tree."""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from services.kit.embedded import free_port
from tests.e2e.process_helpers import alive, survivors, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Made:
    process: subprocess.Popen[bytes]  # make itself
    output: Path
    base_url: str
    data_dir: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def tree(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a quickstart script talking to this mesh."""
        return {**os.environ, "MESH_URL": self.base_url, "MESH_DATA_DIR": str(self.data_dir), **extra}

    def interrupt_make_alone(self) -> None:
        """`kill -INT <make>`: the signal reaches make only, not its process group; everything must stop."""
        children = self.tree()
        self.process.send_signal(signal.SIGINT)
        wait_until(lambda: not survivors(children), timeout_s=90, what="every process of the mesh to end")
        self.process.wait(timeout=30)


def _copy_terminal(master: int, sink: Path) -> None:
    """Copy what the processes write to the pseudo-terminal into a file, until every writer has closed it."""
    with open(sink, "ab") as out:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            out.write(data)
            out.flush()
    os.close(master)


@contextlib.contextmanager
def made(target: str, tmp_path: Path, *, terminal: bool = False, **settings: str) -> Iterator[Made]:
    """Run `make <target>` until it prints that the gateway listens; kill whatever is left afterwards.

    With terminal=True its output goes to a pseudo-terminal, as when a person runs it.
    """
    port = free_port()
    # Make's own variables from an outer `make test` would change how this make behaves.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESH_", "OPENAI_", "MAKE", "MFLAGS"))}
    data_dir = tmp_path / "data"
    env.update(MESH_PORT=str(port), MESH_DATA_DIR=str(data_dir), **settings)
    output = tmp_path / f"make-{target}.out"
    output.touch()
    master, sink = pty.openpty() if terminal else (-1, os.open(output, os.O_WRONLY))
    # A default SIGINT disposition, as at a terminal (a background job of a script would ignore it).
    process = subprocess.Popen(
        ["make", "-s", target],
        env=env,
        cwd=REPO_ROOT,
        stdout=sink,
        stderr=subprocess.STDOUT,
        restore_signals=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(sink)
    if terminal:
        threading.Thread(target=_copy_terminal, args=(master, output), daemon=True).start()
    running = Made(process, output, f"http://127.0.0.1:{port}", data_dir)
    started: list[psutil.Process] = []
    try:
        wait_until(
            lambda: "listening on" in running.text() or process.poll() is not None,
            timeout_s=180,
            what=f"make {target} to report the mesh ready",
        )
        assert process.poll() is None, running.text()[-3000:]
        started = running.tree()
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
        for leftover in [*started, *([] if process.poll() is not None else running.tree())]:
            if alive(leftover):
                with contextlib.suppress(psutil.Error):
                    leftover.kill()
        if process.poll() is None:
            process.kill()
            process.wait()
