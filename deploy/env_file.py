"""`make env`: writes .env for docker-compose.yml from .env.example, every empty
value drawn at random (letters, digits, - and _: they go into URLs), mode 0600.
An existing .env is never overwritten (its secrets protect existing data).

    python3 -m deploy.env_file [--example .env.example] [--output .env]
"""
import argparse
import os
import re
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=\s*$")


def draw(name):
    if name == "MINIO_ACCESS_KEY":  # a user name for MinIO: no more than 20 characters
        return "ecandidat-" + secrets.token_hex(5)
    return secrets.token_urlsafe(32)  # 43 characters


def render(example_text):
    lines = []
    for line in example_text.splitlines():
        found = ASSIGNMENT.match(line)
        lines.append(f"{found.group(1)}={draw(found.group(1))}" if found else line)
    return "\n".join(lines) + "\n"


def write(example, output):
    """Creates `output`; False (nothing written) when it already exists."""
    text = render(Path(example).read_text())
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return True


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default=str(ROOT / ".env.example"))
    parser.add_argument("--output", default=str(ROOT / ".env"))
    args = parser.parse_args(argv)
    if not write(args.example, args.output):
        print(f"{args.output} exists: kept as it is (PostgreSQL and RabbitMQ keep the passwords "
              "their volumes were created with; new ones would not match)")
        return 0
    print(f"{args.output} written (mode 0600): keep it private")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
