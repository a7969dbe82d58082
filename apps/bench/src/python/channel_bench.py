"""Python's side of the queue-throughput and pipe-latency benchmarks.

Each subcommand makes the same measurement as the Node rows it stands next to and prints one JSON object
on stdout ({"python": version, "start_method": ..., ...}); the Node side computes the statistics.

  queue --runs R --warmup W --n N --shape int|object [--warm-messages K]
        multiprocessing.Queue(): a child process puts K untimed warm-up messages and waits until this
        process has taken them (an Event), then its start time (time.perf_counter(), CLOCK_MONOTONIC),
        then N small messages (the integer i, or {"id": i, "name": "item", "score": 0.5, "ok": True}); this
        process get()s them. A run's time = this process's time after the last get - the child's start time.
        -> {"ms": [per timed run], "bad": [messages out of order per timed run]}
  pipe  --runs R --warmup W
        multiprocessing.Pipe(): this process sends the integer i and waits for a child process to send it
        back; one sample per round trip (perf_counter_ns around send + recv). -> {"us": [R round trips]}

Usage: python3 channel_bench.py queue|pipe [options]
"""
import argparse
import json
import multiprocessing as mp
import platform
import sys
import time


def message(shape, i):
    return i if shape == "int" else {"id": i, "name": "item", "score": 0.5, "ok": True}


def produce(put, n, shape):
    if shape == "int":
        for i in range(n):
            put(i)
    else:
        for i in range(n):
            put(message(shape, i))


def producer(queue, n, shape, warm, warmed):
    put = queue.put
    if warm > 0:  # untimed warm-up messages, then wait until the parent has taken them all (as the Node rows)
        produce(put, warm, shape)
        warmed.wait()
    put(time.perf_counter())
    produce(put, n, shape)


def consume(get, n, shape):
    """Takes n messages; returns how many were out of place."""
    bad = 0
    if shape == "int":
        for i in range(n):
            if get() != i:
                bad += 1
    else:
        for i in range(n):
            if get()["id"] != i:
                bad += 1
    return bad


def cmd_queue(args):
    samples = []
    bads = []
    for run in range(args.warmup + args.runs):
        queue = mp.Queue()
        warmed = mp.Event()
        child = mp.Process(target=producer, args=(queue, args.n, args.shape, args.warm_messages, warmed))
        child.start()
        get = queue.get
        warm_bad = consume(get, args.warm_messages, args.shape)
        warmed.set()
        t0 = get(timeout=60)
        bad = warm_bad + consume(get, args.n, args.shape)
        ms = (time.perf_counter() - t0) * 1000.0
        child.join(60)
        if child.exitcode != 0:
            raise SystemExit(f"the producer exited with {child.exitcode}")
        queue.close()
        queue.join_thread()
        if run >= args.warmup:
            samples.append(ms)
            bads.append(bad)
    return {"ms": samples, "bad": bads, "n": args.n, "shape": args.shape}


def echo(conn):
    recv = conn.recv
    send = conn.send
    while True:
        msg = recv()
        if msg is None:
            break
        send(msg)
    conn.close()


def cmd_pipe(args):
    here, there = mp.Pipe()
    child = mp.Process(target=echo, args=(there,))
    child.start()
    send = here.send
    recv = here.recv
    clock = time.perf_counter_ns
    us = []
    bad = 0
    for i in range(args.warmup + args.runs):
        t0 = clock()
        send(i)
        back = recv()
        t1 = clock()
        if back != i:
            bad += 1
        if i >= args.warmup:
            us.append((t1 - t0) / 1000.0)
    send(None)
    child.join(10)
    if child.exitcode != 0:
        raise SystemExit(f"the echo process exited with {child.exitcode}")
    return {"us": us, "bad": bad}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["queue", "pipe"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--shape", choices=["int", "object"], default="int")
    parser.add_argument("--warm-messages", type=int, default=0)
    args = parser.parse_args()
    result = {"queue": cmd_queue, "pipe": cmd_pipe}[args.command](args)
    result["python"] = platform.python_version()
    result["start_method"] = mp.get_start_method()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
