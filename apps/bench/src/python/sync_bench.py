"""Python's side of the lock-uncontended, value-increments and event-latency benchmarks.

Each subcommand makes the same measurement as the Node rows it stands next to and prints one JSON object
on stdout ({"python": version, "start_method": ..., ...}); the Node side computes the statistics, so every
row uses the same median/quantile definitions.

  lock   --runs R --warmup W --n N   multiprocessing.Lock(): N x (acquire(); release()), one process, no
                                     contention. -> {"ms": [per timed run]}
  value  --runs R --warmup W --m M [--warm-increments K]
                                     multiprocessing.Value('i', 0) (its default RLock), 2 processes each
                                     doing K untimed increments of a private Value (warm-up), then
                                     M x `with v.get_lock(): v.value += 1`, released together by an
                                     Event once both are ready; time = last end - first start (perf_counter, CLOCK_MONOTONIC:
                                     one clock for all processes). -> {"ms": [...], "final": [...], "m": M}
  event  --runs R --warmup W --gap-ms G   multiprocessing.Event set in this process, waited on in a child
                                     process; latency = child's wake timestamp - parent's timestamp just
                                     before set(). -> {"us": [R latencies]}

Usage: python3 sync_bench.py lock|value|event [options]
"""
import argparse
import json
import multiprocessing as mp
import platform
import sys
import time


def lock_loop(lock, n):
    acquire = lock.acquire
    release = lock.release
    t0 = time.perf_counter()
    for _ in range(n):
        acquire()
        release()
    return (time.perf_counter() - t0) * 1000.0


def cmd_lock(args):
    lock = mp.Lock()
    lock_loop(lock, min(args.n, 100_000))  # warm the loop
    samples = []
    for run in range(args.warmup + args.runs):
        ms = lock_loop(lock, args.n)
        if run >= args.warmup:
            samples.append(ms)
    return {"ms": samples, "n": args.n}


def increment_loop(value, lock, n):
    for _ in range(n):
        with lock:
            value.value += 1


def incrementer(value, m, go, ready, times, slot, warm):
    if warm > 0:  # untimed warm-up on a private Value, same loop (as the Node workers do)
        own = mp.Value("i", 0)
        increment_loop(own, own.get_lock(), warm)
        if own.value != warm:
            raise SystemExit(f"warm-up: {own.value} increments instead of {warm}")
    lock = value.get_lock()
    ready[slot] = 1
    go.wait()
    t0 = time.perf_counter()
    increment_loop(value, lock, m)
    t1 = time.perf_counter()
    times[2 * slot] = t0
    times[2 * slot + 1] = t1


def cmd_value(args):
    samples = []
    finals = []
    for run in range(args.warmup + args.runs):
        value = mp.Value("i", 0)
        go = mp.Event()
        times = mp.RawArray("d", 4)
        ready = mp.RawArray("i", 2)
        procs = [mp.Process(target=incrementer, args=(value, args.m, go, ready, times, slot, args.warm_increments)) for slot in range(2)]
        for p in procs:
            p.start()
        deadline = time.monotonic() + 60
        while not (ready[0] and ready[1]):
            if time.monotonic() > deadline:
                raise SystemExit("the incrementers did not get ready within 60 s")
            time.sleep(0.001)
        time.sleep(0.005)  # both are parked in go.wait()
        go.set()
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"incrementer exited with {p.exitcode}")
        ms = (max(times[1], times[3]) - min(times[0], times[2])) * 1000.0
        if run >= args.warmup:
            samples.append(ms)
            finals.append(value.value)
    return {"ms": samples, "final": finals, "m": args.m}


def event_waiter(go, ready, stop, wakes):
    i = 0
    while True:
        ready.set()
        go.wait()
        t = time.perf_counter_ns()
        if stop.is_set():
            break
        if i < len(wakes):
            wakes[i] = t
        i += 1
        go.clear()


def cmd_event(args):
    total = args.warmup + args.runs
    go, ready, stop = mp.Event(), mp.Event(), mp.Event()
    wakes = mp.RawArray("d", total)
    child = mp.Process(target=event_waiter, args=(go, ready, stop, wakes))
    child.start()
    sets = []
    for _ in range(total):
        if not ready.wait(10):
            raise SystemExit("the waiter did not get ready within 10 s")
        ready.clear()
        time.sleep(args.gap_ms / 1000.0)  # let the waiter park in go.wait()
        sets.append(time.perf_counter_ns())
        go.set()
    ready.wait(10)
    stop.set()
    go.set()
    child.join(10)
    if child.exitcode != 0:
        raise SystemExit(f"the waiter exited with {child.exitcode}")
    us = [(wakes[i] - sets[i]) / 1000.0 for i in range(args.warmup, total)]
    return {"us": us}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["lock", "value", "event"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--m", type=int, default=100_000)
    parser.add_argument("--warm-increments", type=int, default=0)
    parser.add_argument("--gap-ms", type=float, default=1.0)
    args = parser.parse_args()
    result = {"lock": cmd_lock, "value": cmd_value, "event": cmd_event}[args.command](args)
    result["python"] = platform.python_version()
    result["start_method"] = mp.get_start_method()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
