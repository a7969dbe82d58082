"""Python's side of the pool benchmarks: a multiprocessing.Pool served over stdin/stdout.

The Node side starts this script once per benchmark, waits for the "ready" line (the pool is started and
warmed up by then, so pool start is never timed), then sends one JSON command per line and reads one JSON
answer per line. That way the Python row takes part in the round-robin like the Node rows: one round of
each in turn, so drift in machine load hits them alike. Each answer carries the time Python measured
itself with time.perf_counter(), so the pipe round trip is not counted.

Commands:
  {"op": "apply", "n": 100000}   n apply_async(noop) in flight, then get() each   -> {"ms": ...}
  {"op": "map", "n": 1000000}    pool.map(square, items) with the default chunksize -> {"ms": ..., "chunksize": ...}
  {"op": "latency", "n": 1000}   n sequential pool.apply(noop), each timed         -> {"us": [...]}
  {"op": "quit"}

Usage: python3 pool_bench.py [--processes 2]
"""
import argparse
import json
import multiprocessing as mp
import platform
import sys
import time


def noop():
    pass


def square(n):
    return n * n


def reply(obj):
    sys.stdout.write(json.dumps(obj))
    sys.stdout.write("\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    items_cache = {}
    with mp.Pool(processes=args.processes) as pool:
        # Warm-up: every worker has started and answered.
        for r in [pool.apply_async(noop) for _ in range(2000)]:
            r.get()
        pool.map(square, range(10000))
        reply({"ready": True, "python": platform.python_version(), "start_method": mp.get_start_method()})

        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            cmd = json.loads(line)
            op = cmd.get("op")
            n = int(cmd.get("n", 0))
            if op == "quit":
                break
            if op == "apply":
                t0 = time.perf_counter()
                results = [pool.apply_async(noop) for _ in range(n)]
                for r in results:
                    r.get()
                ms = (time.perf_counter() - t0) * 1000.0
                reply({"ms": ms})
            elif op == "map":
                items = items_cache.get(n)
                if items is None:
                    items = items_cache[n] = list(range(n))
                t0 = time.perf_counter()
                out = pool.map(square, items)
                ms = (time.perf_counter() - t0) * 1000.0
                if len(out) != n or out[-1] != (n - 1) * (n - 1):
                    raise SystemExit("map returned a wrong result")
                chunksize, extra = divmod(n, args.processes * 4)
                reply({"ms": ms, "chunksize": chunksize + (1 if extra else 0)})
            elif op == "latency":
                samples = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    pool.apply(noop)
                    samples.append((time.perf_counter() - t0) * 1e6)
                reply({"us": samples})
            else:
                reply({"error": f"unknown op {op!r}"})


if __name__ == "__main__":
    main()
