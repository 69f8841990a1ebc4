"""InvenioRDM v14, the repository software Zenodo runs, as the service `inveniordm`.

Part of `scripts/services` (which imports this module from its own folder):
`scripts/services up inveniordm`. Standard library only.

- PostgreSQL and Redis are the project's own servers (`postgres`, `redis`):
  InvenioRDM gets the database and role `invenio` and Redis databases 8 to 11.
- Its own OpenSearch 2.19 (InvenioRDM's client speaks 2.x, the project's
  OpenSearch is 3.x), assembled from Maven Central: the integ-test zip carries
  no modules, so the stock module jars are added, and `inveniordm/
  GeoShapePlugin.java` registers core's `geo_shape` mapper (the `geo` module is
  not published). It runs on Java 17 as the service user.
- `invenio-app-rdm` installed with pip into its own virtualenv in the cache, set
  up once (database, indices, fixtures, a depositor and a personal access
  token), served by gunicorn. `inveniordm/invenio.cfg` is the configuration
  template; DataCite is never contacted: its calls are written to a file.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import string
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from types import ModuleType

REQUIREMENTS = ["invenio-app-rdm[opensearch2,postgresql]==14.0.5", "gunicorn==27.0.1"]
OPENSEARCH_VERSION = os.environ.get("AQUACAT_INVENIORDM_OPENSEARCH_VERSION", "2.19.3")
SEARCH_HEAP = os.environ.get("AQUACAT_INVENIORDM_SEARCH_HEAP", "768m")
WORKERS = os.environ.get("AQUACAT_INVENIORDM_WORKERS", "2")
JAVA = Path(os.environ.get("AQUACAT_INVENIORDM_JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64"))
DB_NAME = DB_USER = DB_PASSWORD = "invenio"
REDIS_DBS = (8, 9, 10, 11)  # cache, sessions, Celery, rate limits (see invenio.cfg)
# email-validator refuses special-use domains such as .test: example.org it is.
DEPOSITOR, DEPOSITOR_PASSWORD = "depositor@example.org", "aquacat-depositor-0"
TEMPLATES = Path(__file__).resolve().parent / "inveniordm"

# OpenSearch modules InvenioRDM's mappings need, as published on Maven Central
# (module name: main artifact, plugin class, plugins it extends). The jars each
# POM declares come along.
MODULES = {
    "lang-painless": ("lang-painless", "org.opensearch.painless.PainlessPlugin", ""),
    "analysis-common": (
        "analysis-common",
        "org.opensearch.analysis.common.CommonAnalysisPlugin",
        "lang-painless",
    ),
    "mapper-extras": ("mapper-extras-client", "org.opensearch.index.mapper.MapperExtrasPlugin", ""),
    "parent-join": ("parent-join-client", "org.opensearch.join.ParentJoinPlugin", ""),
    "percolator": ("percolator-client", "org.opensearch.percolator.PercolatorPlugin", ""),
}
PAINLESS_POLICY = """grant {
  permission java.lang.RuntimePermission "createClassLoader";
  permission java.lang.RuntimePermission "getClassLoader";
};
"""
SETUP_STEPS = [  # after `db init create` and `files location create`
    # The packaged user fixtures give their admin user this role.
    ["roles", "create", "admin"],
    ["access", "allow", "superuser-access", "role", "admin"],
    ["index", "init", "--force"],
    ["rdm-records", "custom-fields", "init"],
    ["communities", "custom-fields", "init"],
    ["rdm-records", "fixtures"],  # the vocabularies (resource types, licences, ...)
    ["rdm", "fixtures"],  # in v14 only the required fixtures (pages, OAI sets)
    ["queues", "declare"],
]


class InvenioRDM:
    """The service; `services` is the `scripts/services` module, for its helpers."""

    def __init__(self, services: ModuleType) -> None:
        self.s = services
        self.cache = services.CACHE / "inveniordm"
        self.data = services.DATA / "inveniordm"
        self.logs = services.LOG / "inveniordm"
        self.venv = self.cache / "venv"
        self.search_home = self.cache / f"opensearch-{OPENSEARCH_VERSION}"
        self.instance = self.data / "instance"
        self.token_file = self.data / "token"
        self.calls_file = self.data / "datacite-calls.jsonl"
        self.app_pidfile = services.RUN / "inveniordm.pid"
        self.search_pidfile = services.RUN / "inveniordm-opensearch.pid"

    # --- what scripts/services asks -------------------------------------------------

    def url(self) -> str:
        return f"http://127.0.0.1:{self.s.port('inveniordm')}"

    def search_url(self) -> str:
        return f"http://127.0.0.1:{self.s.port('inveniordm-opensearch')}"

    def env(self) -> dict[str, str]:
        token = self.token_file.read_text().strip() if self.token_file.exists() else ""
        return {
            "INVENIORDM_URL": self.url(),
            "INVENIORDM_TOKEN": token,
            "INVENIORDM_DATACITE_CALLS": str(self.calls_file),
        }

    def pid(self) -> int | None:
        return self.s.read_pid(self.app_pidfile)

    def running(self) -> bool:
        return bool(self.pid() or self.s.read_pid(self.search_pidfile))

    def healthy(self) -> bool:
        return bool(self.pid() and self.app_healthy() and self.search_healthy())

    def up(self) -> None:
        self.s.postgres_up()
        self.s.redis_up()
        config = self.instance / "invenio.cfg"
        if (
            self.healthy()
            and self.token_file.exists()
            and config.read_text() == self.render_config()  # same ports as PostgreSQL's, Redis's
        ):
            return
        for folder in (self.cache, self.data, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        if self.pid():  # running but unhealthy or configured for other ports: start it again
            self.s.stop_pid("inveniordm", self.pid())
        self.install()
        self.search_up()
        self.s.port("inveniordm", claim=True)
        self.write_instance()
        self.set_up()
        # The configuration may declare custom fields an earlier set-up did not map:
        # adding their mappings is idempotent, and the record indices keep their data.
        self.invenio("rdm-records", "custom-fields", "init")
        self.app_up()

    def down(self) -> None:
        self.s.stop_pid("inveniordm", self.pid())
        self.app_pidfile.unlink(missing_ok=True)
        self.s.stop_pid("inveniordm-opensearch", self.s.read_pid(self.search_pidfile))

    # --- InvenioRDM itself ---------------------------------------------------------------

    def install(self) -> None:
        marker = self.venv / "aquacat-requirements.txt"
        wanted = "\n".join(REQUIREMENTS) + "\n"
        if marker.exists() and marker.read_text() == wanted:
            return
        python = sys.executable if sys.version_info[:2] == (3, 11) else shutil.which("python3.11")
        if not python:
            raise self.s.ServiceError("inveniordm: python3.11 is needed for its virtualenv")
        self.s.say(f"inveniordm: pip install {' '.join(REQUIREMENTS)} (1-3 minutes)")
        pip = ["nice", "-n", "19", str(self.venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        with open(self.logs / "pip.log", "w") as out:
            if not (self.venv / "bin" / "python").exists():
                self.s.run([python, "-m", "venv", str(self.venv)], stdout=out, stderr=out)
            self.s.run([*pip, "-U", "pip", "setuptools", "wheel"], stdout=out, stderr=out)
            self.s.run([*pip, *REQUIREMENTS], stdout=out, stderr=out)
        marker.write_text(wanted)

    def invenio_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "INVENIO_INSTANCE_PATH": str(self.instance),
            "FLASK_DEBUG": "0",
            "PYTHONWARNINGS": "ignore",
            "VIRTUAL_ENV": str(self.venv),
            "PATH": f"{self.venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        }

    def invenio(self, *args: str, check: bool = True) -> str:
        """Run the `invenio` command line (each start takes seconds); its stdout."""
        command = ["nice", "-n", "19", str(self.venv / "bin" / "invenio"), *args]
        started = time.monotonic()
        with open(self.logs / "setup.log", "a") as log:
            log.write(f"$ invenio {' '.join(args)}\n")
            log.flush()
            done = subprocess.run(
                command,
                env=self.invenio_env(),
                cwd=self.data,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
            log.write(f"{done.stdout}[exit {done.returncode}, {time.monotonic() - started:.1f}s]\n")
        if check and done.returncode != 0:
            raise self.s.ServiceError(
                f"inveniordm: `invenio {' '.join(args)}` failed, see {self.logs / 'setup.log'}"
            )
        return done.stdout

    def render_config(self) -> str:
        database = (
            f"postgresql+psycopg2://{DB_USER}:{DB_PASSWORD}@127.0.0.1:"
            f"{self.s.port('postgres')}/{DB_NAME}"
        )
        return string.Template((TEMPLATES / "invenio.cfg").read_text()).substitute(
            database_uri=database,
            search_port=self.s.port("inveniordm-opensearch"),
            redis=f"redis://127.0.0.1:{self.s.port('redis')}",
            site_url=self.url(),
            datacite_calls=self.calls_file,
        )

    def write_instance(self) -> None:
        self.instance.mkdir(parents=True, exist_ok=True)
        (self.instance / "invenio.cfg").write_text(self.render_config())
        shutil.rmtree(self.instance / "app_data", ignore_errors=True)
        shutil.copytree(TEMPLATES / "app_data", self.instance / "app_data")

    def set_up(self) -> None:
        """Database, indices, fixtures, user and token: once, the token file says done."""
        if self.token_file.exists() and self.database_exists():
            return
        self.token_file.unlink(missing_ok=True)
        self.s.say("inveniordm: setting up database, indices and vocabularies (a few minutes)")
        (self.logs / "setup.log").write_text("")
        self.reset_database()
        self.flush_redis()
        self.delete_indices()
        files = self.data / "files"
        shutil.rmtree(files, ignore_errors=True)
        files.mkdir()
        self.calls_file.unlink(missing_ok=True)
        self.calls_file.touch()
        self.invenio("db", "init", "create")
        self.invenio("files", "location", "create", "--default", "default-location", str(files))
        for step in SETUP_STEPS:
            self.invenio(*step)
        self.invenio(
            "users",
            "create",
            DEPOSITOR,
            f"--password={DEPOSITOR_PASSWORD}",
            "--active",
            "--confirm",
        )
        # The deposit API checks no OAuth scope (v14 registers only user:email
        # and the internal tokens:generate): a plain personal access token.
        output = self.invenio("tokens", "create", "--name", "aquacat-tests", "--user", DEPOSITOR)
        token = output.strip().splitlines()[-1].strip()
        self.token_file.write_text(token + "\n")

    def delete_indices(self) -> None:
        """Its OpenSearch is its own: every index of an earlier set-up goes."""
        url = f"{self.search_url()}/_all"
        request = urllib.request.Request(url, method="DELETE")  # noqa: S310 - loopback
        urllib.request.urlopen(request, timeout=60).close()  # noqa: S310

    def app_healthy(self) -> bool:
        return self.s.http_get(f"{self.url()}/api/records?size=1", timeout=10)[0] == 200

    def app_up(self) -> None:
        command = [
            str(self.venv / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{self.s.port('inveniordm')}",
            "--workers",
            WORKERS,
            "--timeout",
            "120",
            "--access-logfile",
            str(self.logs / "access.log"),
            # The UI app with the REST API under /api: OAI-PMH (/oai2d) is a UI view.
            "invenio_app.wsgi:application",
        ]
        with open(self.logs / "gunicorn.log", "w") as out:
            process = subprocess.Popen(
                command,
                env=self.invenio_env(),
                cwd=self.data,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # The pid file is ours: gunicorn's own (--pid) is not removed when it finds
        # the pid already written there.
        self.app_pidfile.write_text(str(process.pid))
        self.s.wait_for("inveniordm", self.app_healthy, 180, self.logs / "gunicorn.log")

    # --- its database on the project's PostgreSQL, its Redis databases ------------------

    def psql(self, sql: str) -> str:
        command = [
            str(self.s.pg_bin() / "psql"),
            "-h",
            str(self.s.RUN / "pgsocket"),
            "-p",
            str(self.s.port("postgres")),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
            "-c",
            sql,
        ]
        return subprocess.run(
            self.s.as_service_user(command), capture_output=True, text=True, check=True
        ).stdout.strip()

    def database_exists(self) -> bool:
        return self.psql(f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'") == "1"

    def reset_database(self) -> None:
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname='{DB_USER}'"):
            self.psql(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'")
        self.psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")

    def flush_redis(self) -> None:
        commands = "".join(f"SELECT {db}\r\nFLUSHDB\r\n" for db in REDIS_DBS)
        with socket.create_connection(("127.0.0.1", self.s.port("redis")), timeout=5) as sock:
            sock.sendall(commands.encode())
            answers = b""
            while answers.count(b"\r\n") < 2 * len(REDIS_DBS):
                answers += sock.recv(1024)
        if b"-" in answers:
            raise self.s.ServiceError(f"inveniordm: flushing Redis failed: {answers!r}")

    # --- its OpenSearch 2.19, assembled from Maven Central --------------------------------

    def maven_file(self, coordinates: str, extension: str) -> Path:
        group, artifact, version = coordinates.split(":")
        name = f"{artifact}-{version}.{extension}"
        url = f"{self.s.MAVEN}/{group.replace('.', '/')}/{artifact}/{version}/{name}"
        return self.s.download(url, self.cache / "downloads" / name)

    def pom_dependencies(self, coordinates: str) -> list[str]:
        """The compile and runtime dependencies a POM declares, as coordinates."""
        ns = {"m": "http://maven.apache.org/POM/4.0.0"}
        pom = ET.parse(self.maven_file(coordinates, "pom"))  # noqa: S314 - Maven Central's POM
        found = []
        for dependency in pom.getroot().iterfind("m:dependencies/m:dependency", ns):
            scope = dependency.findtext("m:scope", "compile", ns)
            if scope not in {"compile", "runtime"} or dependency.findtext("m:optional", "", ns):
                continue
            group, artifact, version = (
                dependency.findtext(f"m:{key}", "", ns)
                for key in ("groupId", "artifactId", "version")
            )
            found.append(f"{group}:{artifact}:{version}")
        return found

    def java(self) -> Path:
        if not (JAVA / "bin" / "javac").exists():
            self.s.apt_install("openjdk-17-jdk-headless")
        return JAVA

    def assemble_search(self) -> Path:
        home, version = self.search_home, OPENSEARCH_VERSION
        if (home / ".assembled").exists():
            return home
        self.s.say(f"inveniordm: assembling OpenSearch {version} from Maven Central")
        shutil.rmtree(home, ignore_errors=True)
        archive = self.maven_file(
            f"org.opensearch.distribution.integ-test-zip:opensearch:{version}", "zip"
        )
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(self.cache)
        for script in (home / "bin").iterdir():
            script.chmod(0o755)
        for module, (artifact, classname, extends) in MODULES.items():
            folder = home / "modules" / module
            folder.mkdir(parents=True, exist_ok=True)
            main = f"org.opensearch.plugin:{artifact}:{version}"
            for coordinates in [main, *self.pom_dependencies(main)]:
                shutil.copy2(self.maven_file(coordinates, "jar"), folder)
            self.describe_module(folder, module, classname, extends)
        (home / "modules" / "lang-painless" / "plugin-security.policy").write_text(PAINLESS_POLICY)
        self.build_geo_shape(home)
        (home / ".assembled").write_text(version + "\n")
        return home

    def describe_module(self, folder: Path, name: str, classname: str, extends: str) -> None:
        version = OPENSEARCH_VERSION
        (folder / "plugin-descriptor.properties").write_text(
            f"description={name}, for InvenioRDM (assembled by scripts/services)\n"
            f"version={version}\nname={name}\nclassname={classname}\njava.version=11\n"
            f"opensearch.version={version}\nextended.plugins={extends}\n"
            "has.native.controller=false\n"
        )

    def build_geo_shape(self, home: Path) -> None:
        java, build = self.java(), self.cache / "geo-shape-build"
        shutil.rmtree(build, ignore_errors=True)
        folder = home / "modules" / "geo"
        folder.mkdir(parents=True)
        javac = [str(java / "bin" / "javac"), "--release", "11", "-cp", f"{home / 'lib'}/*"]
        source = TEMPLATES / "GeoShapePlugin.java"
        self.s.run(["nice", "-n", "19", *javac, "-d", str(build), str(source)])
        jar = [str(java / "bin" / "jar"), "cf", str(folder / "aquacat-geo-shape.jar")]
        self.s.run([*jar, "-C", str(build), "."])
        shutil.rmtree(build)
        classname = "aquacat.opensearch.GeoShapePlugin"
        self.describe_module(folder, "geo", classname, "")

    def search_healthy(self) -> bool:
        url = f"{self.search_url()}/_cluster/health?wait_for_status=yellow&timeout=1s"
        status, body = self.s.http_get(url)
        return status == 200 and json.loads(body)["status"] in {"green", "yellow"}

    def search_up(self) -> None:
        s, log = self.s, self.logs / "opensearch" / "inveniordm.log"
        if s.read_pid(self.search_pidfile):
            s.wait_for("inveniordm-opensearch", self.search_healthy, 180, log)
            return
        s.ensure_service_user()
        home, java = self.assemble_search(), self.java()
        data, logs = self.data / "opensearch", self.logs / "opensearch"
        for folder in (data, logs):
            folder.mkdir(parents=True, exist_ok=True)
        for path in (home, data, logs):
            s.give_to_service_user(path)
        if s.is_root():
            s.RUN.chmod(0o777)
        settings = {
            "cluster.name": "inveniordm",
            "http.port": s.port("inveniordm-opensearch", claim=True),
            "transport.port": s.port("inveniordm-opensearch-transport", claim=True),
            "network.host": "127.0.0.1",
            "discovery.type": "single-node",
            "path.data": data,
            "path.logs": logs,
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        command = [
            "env",
            f"PATH={os.environ.get('PATH', '/usr/bin:/bin')}",
            f"OPENSEARCH_JAVA_HOME={java}",
            f"OPENSEARCH_JAVA_OPTS=-Xms{SEARCH_HEAP} -Xmx{SEARCH_HEAP}",
            str(home / "bin" / "opensearch"),
            "-d",
            "-p",
            str(self.search_pidfile),
            *[f"-E{key}={value}" for key, value in settings.items()],
        ]
        with open(self.logs / "opensearch.out", "w") as out:
            s.run(s.as_service_user(command), stdout=out, stderr=subprocess.STDOUT, cwd=home)
        s.wait_for("inveniordm-opensearch", self.search_healthy, 180, log)
