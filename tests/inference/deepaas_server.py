"""A real DEEPaaS API server (`deepaas-run`, the `deepaas` package from PyPI)
serving our modules (inference/deepaas_module/, registered under the
`deepaas.v2.model` entry point), started on a loopback port for a test."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.conftest import ARTIFACTS

DEEPAAS_RUN = Path(sys.executable).with_name("deepaas-run")
CLASSIFIER = "aquacat-flowcam"
DETECTOR = "aquacat-particles"
SEGMENTER = "aquacat-segmenter"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DeepaasServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = ARTIFACTS / "logs" / f"deepaas-{self.port}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("wb")
        # Started outside the repository, so the installed project's metadata (with
        # its entry points) is what DEEPaaS finds, not a stale egg-info in the tree.
        self.process = subprocess.Popen(
            [str(DEEPAAS_RUN), "--listen-ip", "127.0.0.1", "--listen-port", str(self.port)],
            cwd=log.parent,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the model processes it spawns stop with it
        )

    def wait_ready(self, timeout: float = 180) -> DeepaasServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"deepaas-run exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/v2/models/", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"deepaas-run did not answer in {timeout} s")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


class Relay:
    """A loopback port that forwards each connection to a running server: the
    test brings a module "back up" at an address at the moment it chooses (the
    module itself takes seconds to start)."""

    def __init__(self, port: int, target: int):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()
