"""`python -m bench.profiled_service OUT SERVICE [serve's options]`: one service
served as `python -m services.common.serve` does, under cProfile counting CPU
time (waits for the broker or the database are not counted). SIGUSR1 starts
profiling, SIGUSR2 stops it (so start-up is left out); the profile is written
to OUT when the service stops."""
import cProfile
import runpy
import signal
import sys
import time


def main():
    out, argv = sys.argv[1], sys.argv[2:]
    profile = cProfile.Profile(time.process_time)
    signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
    signal.signal(signal.SIGUSR2, lambda *_: profile.disable())
    sys.argv = ["services.common.serve", *argv]
    try:
        runpy.run_module("services.common.serve", run_name="__main__")
    except SystemExit:
        pass
    finally:
        profile.disable()
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
