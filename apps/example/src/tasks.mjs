/**
 * The task module of the demo. A worker imports this module to find the function it runs, the way
 * Python's multiprocessing imports the module a function was pickled from. It is plain JavaScript so
 * that worker threads can load it on every supported Node.js (Node 20 cannot run `.ts` in a worker).
 */
import { currentProcess, defineTasks } from '@multiproc/process';

export default defineTasks(import.meta.url, {
  /** Prints 0..count-1, one number a line. */
  printNumbers(count = 10) {
    const me = currentProcess();
    console.log(`  [${me.name}, runtime ${me.runtime}] counting to ${count - 1}:`);
    for (let i = 0; i < count; i++) console.log(`  ${i}`);
  },

  /**
   * Sleeps, saying when it starts and ends.
   * @param {number} id
   * @param {number} ms
   */
  async sleeper(id, ms) {
    console.log(`  worker ${id} started, sleeping ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    console.log(`  worker ${id} done`);
  },

  /** Returns normally: exit code 0. */
  ok() {},

  /**
   * Calls process.exit: the exit code is the one given.
   * @param {number} code
   */
  exitWith(code) {
    process.exit(code);
  },

  /** Throws: the error is printed to stderr and the exit code is 1. */
  fail() {
    throw new Error('this error is expected: it shows exit code 1');
  },

  /** Runs until it is ended from outside (terminate: -15, kill: -9). */
  forever() {
    setInterval(() => {}, 1_000);
  },
});
