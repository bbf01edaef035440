"""Run the whole platform on this machine: `make run` (python -m deploy.local.run).

Checks RabbitMQ and PostgreSQL (starting them where installed), starts an S3
endpoint (MinIO when MINIO_ENDPOINT is set, else moto's in-memory server) and
an SMTP sink, migrates every service's database, seeds the demo data, starts
the five services and the gateway, and prints where to go. Ctrl-C stops all.
The end-to-end tests start the same `Stack` on their own ports and databases.
"""
import argparse
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.common.config import SERVICES, amqp_uri, database_url, shutdown_grace_seconds

from .cas_server import DEMO_USERS as DEMO_CAS_USERS
from .processes import (PRIVATE_UMASK, ROOT, clamd_available, free_port, port_open, private_dir,
                        start_clamd, start_moto_s3, start_smtp_sink, wait_for_port)

DEMO_STAFF = (("admin", "administrateur"), ("scol", "scolarité centrale"),
              ("gestion.sci", "gestionnaire UFR Sciences"), ("gestion.llsh", "gestionnaire UFR LLSH"))
DEMO_PASSWORD = "Demo-2027-pass!"


class InfrastructureMissing(SystemExit):
    pass


def say(message):
    print(message, flush=True)


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def ensure_rabbitmq(uri=None):
    from urllib.parse import urlsplit
    parts = urlsplit(uri or amqp_uri())
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if port_open(host, port):
        return
    if host in LOCAL_HOSTS and shutil.which("rabbitmq-server"):
        say("RabbitMQ is not running: starting it (rabbitmq-server -detached)...")
        subprocess.run(["rabbitmq-server", "-detached"], check=False)
        wait_for_port(host, port, timeout=60)
        return
    raise InfrastructureMissing(
        f"RabbitMQ does not answer on {host}:{port} and is not installed here. Install it "
        "(apt-get install rabbitmq-server) or set AMQP_URI to a running broker.")


def ensure_postgresql(url=None):
    from sqlalchemy.engine import make_url
    parts = make_url(url or database_url("accounts"))
    host, port = parts.host or "127.0.0.1", parts.port or 5432
    if port_open(host, port):
        return
    clusters = glob.glob("/etc/postgresql/*")
    if host in LOCAL_HOSTS and shutil.which("pg_ctlcluster") and clusters:
        version = os.path.basename(sorted(clusters)[-1])
        say(f"PostgreSQL is not running: starting cluster {version}/main...")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                       check=False)
        wait_for_port(host, port, timeout=60)
        return
    raise InfrastructureMissing(
        f"PostgreSQL does not answer on {host}:{port} and is not installed here. Install it "
        "(apt-get install postgresql) or set DATABASE_BASE_URL to a running server.")


def wait_for_services(env, services, timeout=60):
    """Until every service answers `ping` over RPC."""
    subprocess.run([sys.executable, "-m", "deploy.healthcheck", "--wait", str(timeout), *services],
                   env=env, cwd=ROOT, check=True)


def rpc_consumers(env, service):
    """Consumers of `service`'s RPC queue (`rpc-<service>`, one per running
    instance) in the vhost of env's AMQP_URI; None without rabbitmqctl."""
    from urllib.parse import unquote, urlsplit
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        return None
    vhost = unquote(urlsplit(env.get("AMQP_URI") or amqp_uri()).path[1:]) or "/"
    listed = subprocess.run([ctl, "-q", "list_queues", "-p", vhost, "name", "consumers"],
                            capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        return None
    for line in listed.stdout.splitlines():
        name, _, count = line.partition("\t")
        if name == f"rpc-{service}" and count.strip().isdigit():
            return int(count)
    return 0


class Stack:
    """The processes of one running platform."""

    def __init__(self, port=8000, s3_port=9000, smtp_port=1025, var_dir=ROOT / "var",
                 env=None, quiet=False, cas_port=9100, clamd_port=None):
        self.port, self.s3_port, self.smtp_port = port, s3_port, smtp_port
        # uploads are scanned by a clamd of the stack's own unless CLAMD_ADDRESS names one
        self.clamd_port = clamd_port or (3310 if port == 8000 else free_port())
        self.clamd_local = False
        self.cas_port = cas_port
        self.cas_demo = False
        self.var_dir = Path(var_dir)
        self.mail_dir = self.var_dir / "mails"
        self.log_dir = self.var_dir / "log"
        self.extra_env = dict(env or {})
        self.quiet = quiet
        self.processes = []
        self._starters = {}
        self.s3_emulated = False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def environment(self):
        env = {**os.environ, **self.extra_env}
        defaults = {
            "PYTHONPATH": str(ROOT), "APP_ENV": "development", "PORT": str(self.port),
            "PUBLIC_URL": self.url, "MAIL_SINK_DIR": str(self.mail_dir),
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port),
            "SECRET_KEY": self._secret_key(),
            # every child (services, gateway, tools) signs and checks actors with it
            "ACTOR_SIGNING_KEY": self._actor_signing_key(),
            # one instance per service: 5 x 11 connections, well under postgres' default 100
            "MAX_WORKERS": "10", "DATABASE_POOL_SIZE": "5", "DATABASE_MAX_OVERFLOW": "6",
        }
        self.s3_emulated = not env.get("MINIO_ENDPOINT")
        self.clamd_local = not env.get("CLAMD_ADDRESS")
        if self.clamd_local:
            defaults["CLAMD_ADDRESS"] = f"127.0.0.1:{self.clamd_port}"
        # No university CAS here: a demo one, with the demo students' logins.
        self.cas_demo = not env.get("CAS_URL")
        if self.cas_demo:
            defaults["CAS_URL"] = f"http://127.0.0.1:{self.cas_port}/cas"
        if self.s3_emulated:
            defaults.update(MINIO_ENDPOINT=f"127.0.0.1:{self.s3_port}", MINIO_ACCESS_KEY="local",
                            MINIO_SECRET_KEY="localsecret", MINIO_SECURE="0")
        for key, value in defaults.items():
            if not env.get(key):  # unset or empty: the stack's own
                env[key] = value
        return env

    @staticmethod
    def _database_url(env):
        base = env.get("DATABASE_BASE_URL") or "postgresql+psycopg://root@127.0.0.1:5432"
        return env.get("ACCOUNTS_DATABASE_URL") or f"{base}/postgres"

    def _key_file(self, name):
        """A random key drawn once into var/NAME, readable by its owner only."""
        private_dir(self.var_dir)
        fd = os.open(self.var_dir / name, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # also one an older runner wrote
        with os.fdopen(fd, "r+") as file:
            key = file.read().strip()
            if not key:
                key = secrets.token_hex(32)
                file.write(key)
        return key

    def _secret_key(self):
        """Kept under var/ so sessions survive a restart."""
        return self._key_file("secret_key")

    def _actor_signing_key(self):
        return self._key_file("actor_signing_key")

    def prepare(self):
        """var/, its logs and mails: private to the user running the platform
        (mails carry working activation and reset links)."""
        for folder in (self.var_dir, self.log_dir, self.mail_dir):
            private_dir(folder)
        for path in (*self.log_dir.glob("*.log"), *self.mail_dir.glob("*.eml")):
            os.chmod(path, 0o600)  # written by an older runner

    def _log(self, name):
        fd = os.open(self.log_dir / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "ab")

    def _spawn(self, name, args, env):
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log(name),
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   umask=PRIVATE_UMASK)
        self.processes.append((name, process))
        self._starters[name] = lambda: self._spawn(name, args, env)
        return process

    def process(self, name):
        """The running process named `name` (a service, "gateway", "s3", "smtp", "cas")."""
        return next(process for known, process in self.processes if known == name)

    def kill(self, name, sig=signal.SIGKILL):
        """Stops one process of the stack (SIGKILL by default: a crash), for the
        fault-injection tests; `restart(name)` starts it again."""
        process = self.process(name)
        process.send_signal(sig)
        process.wait()
        self.processes.remove((name, process))

    def restart(self, name, wait=60):
        """Starts `name` again as `start` did, and waits until it serves."""
        env = self.environment()
        if name == "s3":
            self.processes.append(("s3", start_moto_s3(self.s3_port, log=self._log("s3"))))
        elif name == "clamd":
            self._start_clamd()
        elif name == "smtp":
            self.processes.append(("smtp", start_smtp_sink(self.smtp_port, self.mail_dir,
                                                           log=self._log("smtp"))))
        else:
            process = self._starters[name]()
            if name in SERVICES:
                wait_for_services(env, [name], timeout=wait)
            elif name == "gateway":
                wait_for_port("127.0.0.1", self.port, timeout=wait, process=process)
        return self.process(name)

    def add_instance(self, service, wait=60):
        """Starts one more instance of `service` beside the running one(s): it
        consumes the same queues, so the broker hands each request to one of them
        (nameko's competing consumers). Named `<service>-<n>` (n from 2; its log
        var/log/<service>-<n>.log); `kill(name, signal.SIGTERM)` stops it
        gracefully, `stop` with the rest. Returns the name once the broker counts
        one consumer more on the service's RPC queue (once it answers ping when
        rabbitmqctl is not there to ask)."""
        env = self.environment()
        running = {known for known, process in self.processes if process.poll() is None}
        number = next(n for n in range(2, 100) if f"{service}-{n}" not in running)
        name = f"{service}-{number}"
        before = rpc_consumers(env, service)
        process = self._spawn(name, [sys.executable, "-m", "services.common.serve", service,
                                     "--no-migrate"], env)
        if before is None:
            wait_for_services(env, [service], timeout=wait)
            return name
        deadline = time.time() + wait
        while (rpc_consumers(env, service) or 0) <= before:
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{name} did not start consuming: see {self.log_dir / name}.log")
            time.sleep(0.5)
        return name

    def _say(self, message):
        if not self.quiet:
            say(message)

    def start(self):
        self.prepare()
        env = self.environment()
        ensure_rabbitmq(env.get("AMQP_URI"))
        ensure_postgresql(self._database_url(env))
        if not self.s3_emulated:
            self._say(f"S3: MinIO at {env['MINIO_ENDPOINT']}")
        else:
            self.processes.append(("s3", start_moto_s3(self.s3_port, log=self._log("s3"))))
            self._say(f"S3: moto's in-memory S3 server on 127.0.0.1:{self.s3_port} — NOT DURABLE: "
                      "uploaded files are lost when it stops (set MINIO_ENDPOINT to use MinIO)")
        self.processes.append(("smtp", start_smtp_sink(self.smtp_port, self.mail_dir,
                                                       log=self._log("smtp"))))
        if self.clamd_local:
            self._start_clamd()
        else:
            self._say(f"Virus scanner: clamd at {env['CLAMD_ADDRESS']}")
        self._say(f"SMTP sink on 127.0.0.1:{self.smtp_port}, mails written to {self.mail_dir}")
        if self.cas_demo:
            self._spawn("cas", [sys.executable, "-m", "deploy.local.cas_server",
                                "--port", str(self.cas_port)], env)
            wait_for_port("127.0.0.1", self.cas_port, timeout=15, process=self.processes[-1][1])
            self._say(f"CAS: demo server on {env['CAS_URL']} (demo students only; set CAS_URL "
                      "for the university's)")
        self._say("Migrating databases and seeding demo data...")
        for name in SERVICES:
            subprocess.run([sys.executable, "-m", "services.common.migrations", "upgrade", name],
                           cwd=ROOT, env=env, check=True)
        for name in ("catalog", "accounts"):
            subprocess.run([sys.executable, "-m", f"services.{name}.seed"], cwd=ROOT, env=env,
                           check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "services.accounts.dossier.students", "import",
                        str(ROOT / "deploy" / "local" / "demo_students.csv")], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        if env.get("DEMO_SIZE") == "large":  # the load test's campaign, for the staff portal
            self._say("Loading the large demo campaign (once)...")
            subprocess.run([sys.executable, "-m", "bench.large_demo"], cwd=ROOT, env=env,
                           check=True)
        for name in SERVICES:
            self._spawn(name, [sys.executable, "-m", "services.common.serve", name, "--no-migrate"], env)
        wait_for_services(env, SERVICES)
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self._spawn("gateway", [gunicorn, "-c", "python:gateway.gunicorn_conf",
                                "--workers", env.get("GATEWAY_WORKERS", "2"),
                                "--bind", f"127.0.0.1:{self.port}", "gateway:create_app()"], env)
        wait_for_port("127.0.0.1", self.port, timeout=30, process=self.processes[-1][1])
        return self

    def _start_clamd(self):
        if not clamd_available():
            self._say("Virus scanner: clamd is not installed (make clamav): uploads wait "
                      "'en cours de vérification' until one answers on CLAMD_ADDRESS")
            return
        self.processes.append(("clamd", start_clamd(self.clamd_port, self.var_dir / "clamd",
                                                    log=self._log("clamd"))))
        self._say(f"Virus scanner: clamd on 127.0.0.1:{self.clamd_port} with the EICAR test "
                  "signature only (production: clamav/clamav with freshclam)")

    def check_alive(self):
        for name, process in self.processes:
            if process.poll() is not None:
                return name
        return None

    def stop(self, timeout=None):
        """Ask every process to stop at once, then wait (the services' grace and
        a little more); kill what does not."""
        timeout = shutdown_grace_seconds() + 5 if timeout is None else timeout
        for _, process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.time() + timeout
        for _, process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    if os.environ.get("DEMO_SIZE") == "large" and not os.environ.get("DATABASE_PREFIX"):
        # the generated campaign replaces a catalogue: databases of its own
        os.environ["DATABASE_PREFIX"] = "ecandidat_large"
    stack = Stack(port=args.port)
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)  # even when started in the background
    try:
        stack.start()
        say("")
        say(f"  Candidate portal:  {stack.url}/")
        say(f"  Staff portal:      {stack.url}/gestion/")
        say(f"  Mails received:    {stack.url}/dev/mails   (and files in {stack.mail_dir})")
        say(f"  Logs:              {stack.log_dir}")
        say(f"  Demo staff accounts (password {DEMO_PASSWORD}):")
        for login, label in DEMO_STAFF:
            say(f"    {login:14} {label}")
        if stack.cas_demo:
            say(f"  Demo students, \"Je suis étudiant à l'université\" (password {DEMO_PASSWORD}):")
            for login in DEMO_CAS_USERS:
                say(f"    {login}")
        say("  Ctrl-C stops everything; the data stays for the next run.")
        while True:
            time.sleep(1)
            dead = stack.check_alive()
            if dead:
                say(f"{dead} stopped unexpectedly: see {stack.log_dir / (dead + '.log')}")
                break
    except KeyboardInterrupt:
        say("\nStopping...")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan services
        stack.stop()
        say("Stopped.")


if __name__ == "__main__":
    main()
