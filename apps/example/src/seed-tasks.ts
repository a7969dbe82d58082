/**
 * The task module of Python's seed examples. Workers import it (compiled to `dist/seed-tasks.js`) to find the
 * function they run. Children report through queues where the parent prints, so the output order is the
 * order of events, not of how stdout streams happen to interleave.
 */
import { currentProcess, defineTasks, type Barrier, type Connection, type Queue, type Value } from 'multiproc';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export default defineTasks(import.meta.url, {
  /** Python: `def f(): for i in range(count): print(i)`. */
  printNumbers(count: number): void {
    const me = currentProcess();
    console.log(`  ${me.name} (${me.runtime}) prints:`);
    for (let i = 0; i < count; i++) console.log(`  ${i}`);
  },

  /** Python: `def f(x): return x * x`. */
  square(n: number): number {
    return n * n;
  },

  /** Producer: puts 0..count-1, then `null` as the end marker. */
  async produce(queue: Queue<number | null>, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await queue.put(i);
    await queue.put(null);
  },

  /** `times` read-modify-writes of a shared Value, each under the Value's own lock. */
  async increment(counter: Value<'i'>, times: number): Promise<void> {
    const lock = counter.getLock();
    for (let i = 0; i < times; i++) {
      await lock.acquire();
      try {
        counter.value += 1;
      } finally {
        lock.release();
      }
    }
  },

  /** A daemon's endless work: says it started, then keeps running until its parent exits. */
  async daemonWork(started: Queue<boolean>): Promise<void> {
    await started.put(currentProcess().daemon);
    setInterval(() => {}, 1_000);
  },

  /** Sleeps `ms`, logging its start and end. */
  async sleeper(id: number, ms: number, log: Queue<string>): Promise<void> {
    await log.put(`worker ${id} started, sleeping ${ms} ms`);
    await sleep(ms);
    await log.put(`worker ${id} woke up`);
  },

  /** The child's end of a Pipe: answers one message, then closes. */
  async pipeChild(conn: Connection<string>): Promise<void> {
    const message = await conn.recv();
    conn.send(`child got "${message}", says hello back`);
    conn.close();
  },

  /** A Barrier party: logs arriving, waits for the others, logs passing with the index wait() gave. */
  async barrierParty(barrier: Barrier, id: number, log: Queue<string>): Promise<void> {
    await log.put(`party ${id} waiting`);
    const index = await barrier.wait();
    await log.put(`party ${id} passed (index ${index})`);
  },
});
