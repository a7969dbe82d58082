"""Python's side of the process-start benchmark.

Times multiprocessing.Process(target=noop).start() + join() for each start method, the same measurement
the Node rows make, round-robin over the methods (order rotated each round) so that load drift hits all
of them alike. Prints one JSON object on stdout: {"python": version, "samples": {method: [ms, ...]}};
the Node side computes the statistics, so every row uses the same median/p90 definitions.

Usage: python3 process_start.py [--runs 50] [--warmup 5] [--methods fork,spawn,forkserver]
"""
import argparse
import json
import multiprocessing as mp
import platform
import sys
import time


def noop():
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--methods", default="fork,spawn,forkserver")
    args = parser.parse_args()

    available = set(mp.get_all_start_methods())
    methods = [m for m in args.methods.split(",") if m]
    skipped = [m for m in methods if m not in available]
    methods = [m for m in methods if m in available]
    contexts = {m: mp.get_context(m) for m in methods}
    samples = {m: [] for m in methods}

    for round_ in range(args.warmup + args.runs):
        shift = round_ % len(methods) if methods else 0
        for m in methods[shift:] + methods[:shift]:
            t0 = time.perf_counter()
            p = contexts[m].Process(target=noop)
            p.start()
            p.join()
            ms = (time.perf_counter() - t0) * 1000.0
            if p.exitcode != 0:
                raise SystemExit(f"{m}: child exited with {p.exitcode}")
            p.close()
            if round_ >= args.warmup:
                samples[m].append(ms)

    json.dump({"python": platform.python_version(), "samples": samples, "skipped": skipped}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
