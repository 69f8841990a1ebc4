"""A real OpenID Connect provider on loopback, as the service `oidc`.

Part of `scripts/services` (which imports this module from its own folder):
`scripts/services up oidc`. Standard library only.

panva's `oidc-provider` from npm (OpenID Certified), pinned by
`oidc/package-lock.json` and installed with `npm ci` into the cache (again only
when the lock file changes), run by Debian's Node.js (`nodejs`, installed when
missing). `oidc/provider.mjs` is the server: a login page that checks
passwords and can be cancelled, the users of `oidc/accounts.json`, PKCE
required, and Dynamic Client Registration so that each test run registers its
own client with its own redirect address. The signing key is made on the first
start and kept in the data folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

FILES = Path(__file__).resolve().parent / "oidc"


class OidcProvider:
    """The service; `services` is the `scripts/services` module, for its helpers."""

    def __init__(self, services: ModuleType) -> None:
        self.s = services
        self.cache = services.CACHE / "oidc"
        self.data = services.DATA / "oidc"
        self.pidfile = services.RUN / "oidc.pid"
        self.log = services.LOG / "oidc.log"

    def url(self) -> str:
        return f"http://127.0.0.1:{self.s.port('oidc')}"

    def env(self) -> dict[str, str]:
        return {"OIDC_TEST_ISSUER": self.url()}

    def pid(self) -> int | None:
        return self.s.read_pid(self.pidfile)

    def healthy(self) -> bool:
        status, body = self.s.http_get(f"{self.url()}/.well-known/openid-configuration")
        return status == 200 and json.loads(body)["issuer"] == self.url()

    def up(self) -> None:
        if self.pid() and self.healthy() and self.current():
            return
        if self.pid():  # running an older provider.mjs, or unhealthy: start it again
            self.s.stop_pid("oidc", self.pid())
        node = self.node()
        self.install()
        self.data.mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": "/usr/bin:/bin",
            "NODE_ENV": "production",
            "OIDC_PORT": str(self.s.port("oidc", claim=True)),
            "OIDC_ACCOUNTS": str(FILES / "accounts.json"),
            "OIDC_KEYS": str(self.data / "signing-keys.json"),
        }
        # The server file is run from the cache, beside its node_modules.
        shutil.copyfile(FILES / "provider.mjs", self.cache / "provider.mjs")
        with open(self.log, "w") as out:
            process = subprocess.Popen(
                [node, str(self.cache / "provider.mjs")],
                env=env,
                cwd=self.cache,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pidfile.write_text(str(process.pid))
        self.s.wait_for("oidc", self.healthy, 30, self.log)

    def current(self) -> bool:
        running = self.cache / "provider.mjs"
        return running.exists() and running.read_bytes() == (FILES / "provider.mjs").read_bytes()

    def down(self) -> None:
        self.s.stop_pid("oidc", self.pid())
        self.pidfile.unlink(missing_ok=True)

    def node(self) -> str:
        found = shutil.which("node") or shutil.which("nodejs")
        if not found:
            self.s.apt_install("nodejs", "npm")
            found = shutil.which("node") or shutil.which("nodejs") or "/usr/bin/node"
        return found

    def install(self) -> None:
        """`npm ci` from the lock file, once per version of the lock file."""
        lock = (FILES / "package-lock.json").read_bytes()
        stamp = self.cache / "installed-lock.sha256"
        digest = hashlib.sha256(lock).hexdigest()
        if stamp.exists() and stamp.read_text() == digest:
            return
        npm = shutil.which("npm")
        if not npm:
            self.s.apt_install("npm")
            npm = shutil.which("npm") or "/usr/bin/npm"
        self.cache.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(FILES / name, self.cache / name)
        self.s.say("installing oidc-provider from npm")
        with open(self.s.LOG / "oidc-install.log", "w") as out:
            self.s.run(
                [npm, "ci", "--omit=dev", "--no-audit", "--no-fund"],
                cwd=self.cache,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        stamp.write_text(digest)
