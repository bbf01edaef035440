"""Start the local stand-ins for infrastructure that cannot run here: an S3
endpoint (moto's server; MinIO when MINIO_ENDPOINT is set) and the SMTP sink.
Used by the local runner and by the test fixtures."""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the local stand-ins and the platform's processes write (mails with working
# links, logs, keys) is readable by the user running them only.
PRIVATE_UMASK = 0o077


def private_dir(path):
    """Creates `path` (and parents) if needed; mode 0700 either way."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host, port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


def wait_for_port(host, port, timeout=20, process=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if port_open(host, port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout}s")


def start_moto_s3(port, log=None):
    """moto's S3-compatible server: in memory, not durable; its request log
    never shows a presigned URL's signature (deploy/local/s3_server.py)."""
    process = subprocess.Popen([sys.executable, "-m", "deploy.local.s3_server",
                                "-H", "127.0.0.1", "-p", str(port)],
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               umask=PRIVATE_UMASK)
    wait_for_port("127.0.0.1", port, process=process)
    return process


def start_smtp_sink(port, folder, log=None):
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.local.smtp_sink", "--port", str(port), "--dir", str(folder)],
        cwd=ROOT, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, umask=PRIVATE_UMASK)
    wait_for_port("127.0.0.1", port, process=process)
    return process


CLAMD = os.environ.get("CLAMD_BINARY", "/usr/sbin/clamd")
# The EICAR test file (a harmless string every antivirus detects), as a body
# signature matched anywhere in a file: the local and test clamd detect it with
# no download (production keeps its signatures current with freshclam).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
LOCAL_SIGNATURES = f"Eicar-Test-Signature:0:*:{EICAR.hex()}\n"


def clamd_available():
    return os.access(CLAMD, os.X_OK)


def start_clamd(port, folder, log=None):
    """clamd on 127.0.0.1:`port` with the local signatures only (loads in a second)."""
    folder = private_dir(folder)
    database = private_dir(Path(folder) / "db")
    (database / "local.ndb").write_text(LOCAL_SIGNATURES)
    config = Path(folder) / "clamd.conf"
    config.write_text("\n".join([
        "Foreground yes", f"TCPSocket {port}", "TCPAddr 127.0.0.1",
        f"DatabaseDirectory {database}", "LogTime yes", "LogVerbose no",
        "StreamMaxLength 100M", "MaxFileSize 100M", "MaxScanSize 400M",
        "MaxThreads 4", "SelfCheck 0", f"PidFile {Path(folder) / 'clamd.pid'}",
        "LocalSocket " + str(Path(folder) / "clamd.ctl"), "",
    ]))
    process = subprocess.Popen([CLAMD, "--foreground", f"--config-file={config}"],
                               cwd=folder, stdout=log or subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, umask=PRIVATE_UMASK)
    wait_for_port("127.0.0.1", port, timeout=60, process=process)
    return process


def stop(process, timeout=10):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ensure_vhost(vhost):
    """A RabbitMQ vhost of its own (tests, benchmarks) keeps their queues away from
    a running `make run`. False when rabbitmqctl is not available here."""
    ctl = shutil.which("rabbitmqctl")
    if not ctl:
        return False
    subprocess.run([ctl, "-q", "add_vhost", vhost], capture_output=True)
    done = subprocess.run([ctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                          capture_output=True)
    return done.returncode == 0
