"""Where the platform's CPU goes under load: py-spy samples every Python
process of the platform (each service instance, each gateway worker) during a
load-test step, then each process group's hottest functions are written as
text, by their own time (self) and with what they call (inclusive).

    python -m bench.deadline_day --profile ...   # every step profiled, summaries in var/loadtest/

py-spy reads the processes from outside (ptrace), without changing them;
`--nonblocking` leaves them running while it reads, at RATE samples a second.
"""
import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

RATE = 25          # samples a second and process: a small share of a core for py-spy itself
TOP = 25
NOT_PYTHON = ("rabbitmq", "postgresql", "locust")
LINE = re.compile(r":\d+\)$")


def executable():
    """py-spy beside this Python (the project's virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def available():
    return executable() is not None


def start(groups, seconds, directory):
    """Starts one py-spy per Python process of `groups` ({label: [psutil.Process]})
    for `seconds`; -> [(label, pid, Popen, raw output path)]."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    running = []
    for label, processes in groups.items():
        if label in NOT_PYTHON or label == "whole machine":
            continue
        for process in processes:
            try:
                if "python" not in process.name() and "gunicorn" not in process.name():
                    continue
            except Exception:  # ended meanwhile
                continue
            output = directory / f"{label}-{process.pid}.txt"
            command = [executable(), "record", "--nonblocking", "--format", "raw", "--rate", str(RATE),
                       "--duration", str(max(1, int(seconds))), "--pid", str(process.pid),
                       "--output", str(output)]
            running.append((label, process.pid, subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), output))
    return running


def finish(running, timeout):
    """Waits for the profilers; -> {label: collapsed stacks Counter} and the
    errors of those that could not read their process."""
    stacks, errors = collections.defaultdict(collections.Counter), []
    for label, pid, popen, output in running:
        try:
            _, err = popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            _, err = popen.communicate()
        if not output.exists():
            errors.append(f"{label} (pid {pid}): {err.decode(errors='replace').strip()[-200:]}")
            continue
        stacks[label]  # listed even when idle all along (no sample: nothing ran)
        for line in output.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks[label][stack] += int(count)
    return stacks, errors


def _frame(frame):
    """`function (path/file.py:123)` -> `function (path/file.py)`: one row per function."""
    return LINE.sub(")", frame.strip())


def hottest(stacks, top=TOP):
    """-> (samples, [(self %, function)], [(inclusive %, function)]) of one group."""
    own, inclusive = collections.Counter(), collections.Counter()
    samples = sum(stacks.values())
    for stack, count in stacks.items():
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    share = (lambda n: 100.0 * n / samples) if samples else (lambda n: 0.0)
    return (samples, [(share(n), f) for f, n in own.most_common(top)],
            [(share(n), f) for f, n in inclusive.most_common(top)])


def report(stacks, title):
    """The text of one profiled step: each group's hottest functions."""
    lines = [title, ""]
    for label in sorted(stacks):
        samples, own, inclusive = hottest(stacks[label])
        lines.append(f"== {label}: {samples} samples ({RATE}/s per process, threads waiting left out)")
        lines.append("   self %  function (own time)")
        lines += [f"   {p:6.1f}  {f}" for p, f in own]
        lines.append("   incl %  function (with what it calls)")
        lines += [f"   {p:6.1f}  {f}" for p, f in inclusive]
        lines.append("")
    return "\n".join(lines)
