"""argon2id parameters measured on this machine: for each candidate, the time
of one hash (one verification costs the same) and the memory a hash holds:
the highest resident memory of a fresh process above what it had before, sampled
while it hashes, alone and `--concurrent` at once in native threads (as logins
arriving together run in the accounts service's thread pool), and what stays
resident once they are done (the C allocator may keep freed blocks), as is and
with the fixed mmap threshold the accounts service sets ("kept, accounts").

    .venv/bin/python -m bench.argon2_params [--hashes 10] [--concurrent 4]

The platform's parameters are set in services/accounts/passwords.py.
"""
import argparse
import json
import os
import subprocess
import sys

# (label, memory KiB, time cost, parallelism): argon2-cffi's defaults, and
# OWASP's recommended equivalents for argon2id.
CANDIDATES = (
    ("argon2-cffi default m=64MiB t=3 p=4", 65536, 3, 4),
    ("OWASP m=46MiB t=1 p=1", 47104, 1, 1),
    ("OWASP m=19MiB t=2 p=1", 19456, 2, 1),
    ("OWASP m=12MiB t=3 p=1", 12288, 3, 1),
    ("OWASP m=7MiB t=5 p=1", 7168, 5, 1),
)

CHILD = r"""
import json, os, sys, threading, time
from argon2 import PasswordHasher, Type
memory, time_cost, parallelism, hashes, concurrent = map(int, sys.argv[1:6])
hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory, parallelism=parallelism,
                        type=Type.ID)
PAGE = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE
def peak_while(threads):
    # resident memory sampled while the threads hash: its highest point
    base, top = rss(), 0
    began = time.perf_counter()
    for t in threads: t.start()
    while any(t.is_alive() for t in threads):
        top = max(top, rss() - base)
        time.sleep(0.001)
    for t in threads: t.join()
    return top / 2**20, time.perf_counter() - began, rss() - base
def run(n):
    return [threading.Thread(target=hasher.hash, args=("Candidat-2027!",)) for _ in range(n)]
hasher.hash("warm-up")
times = []
for _ in range(hashes):
    began = time.perf_counter()
    stored = hasher.hash("Candidat-2027!")
    times.append(time.perf_counter() - began)
began = time.perf_counter()
hasher.verify(stored, "Candidat-2027!")
verify = time.perf_counter() - began
one, _, _ = peak_while(run(1))
together_mib, together, kept = peak_while(run(concurrent))
print(json.dumps({"ms": sorted(times)[len(times) // 2] * 1000, "verify_ms": verify * 1000,
                  "one_mib": one, "peak_mib": together_mib, "together_ms": together * 1000,
                  "kept_mib": kept / 2**20}))
"""


def measure(memory, time_cost, parallelism, hashes, concurrent, mmap_threshold=None):
    env = dict(os.environ)
    if mmap_threshold:  # what services/accounts/passwords.py sets with mallopt
        env["MALLOC_MMAP_THRESHOLD_"] = str(mmap_threshold)
    done = subprocess.run([sys.executable, "-c", CHILD, str(memory), str(time_cost),
                           str(parallelism), str(hashes), str(concurrent)],
                          capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout)


def main(argv=None):
    from services.accounts.authentication import passwords

    parser = argparse.ArgumentParser(prog="python -m bench.argon2_params", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hashes", type=int, default=10, help="hashes timed per candidate (10)")
    parser.add_argument("--concurrent", type=int, default=4,
                        help="hashes at once for the memory peak (4)")
    args = parser.parse_args(argv)
    ours = (passwords.MEMORY_KIB, passwords.TIME_COST, passwords.PARALLELISM)
    print(f"argon2id, median of {args.hashes} hashes; memory: resident growth while hashing, "
          f"one hash / {args.concurrent} at once, and kept after them")
    print(f"  {'parameters':38} {'hash ms':>8} {'verify ms':>9} {'MiB one':>8} "
          f"{'MiB x' + str(args.concurrent):>8} {'kept MiB':>8} "
          f"{str(args.concurrent) + ' at once ms':>14} {'kept, accounts':>14}")
    for label, memory, time_cost, parallelism in CANDIDATES:
        result = measure(memory, time_cost, parallelism, args.hashes, args.concurrent)
        fixed = measure(memory, time_cost, parallelism, 1, args.concurrent,
                        passwords.MMAP_THRESHOLD)
        mark = "  <- the platform's" if (memory, time_cost, parallelism) == ours else ""
        print(f"  {label:38} {result['ms']:8.1f} {result['verify_ms']:9.1f} "
              f"{result['one_mib']:8.1f} {result['peak_mib']:8.1f} {result['kept_mib']:8.1f} "
              f"{result['together_ms']:14.1f} {fixed['kept_mib']:14.1f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
