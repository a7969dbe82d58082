/**
 * Spinning backs off, on both sides of a pool (the caller waiting for a short task's result, a worker waiting
 * for its next tasks): after {@link SPIN_MISSES} spins in a row that found nothing, the next
 * {@link SPIN_BACKOFF} waits sleep at once. Where the machine has no idle core, the caller's thread and the
 * worker's can end up taking turns on one core, each spin then holding the core the other needs until the
 * scheduler moves one of them; backing off bounds that cost.
 */
export const SPIN_MISSES = 64;
export const SPIN_BACKOFF = 256;

/** The back-off state of one spinner. @internal */
export class SpinBackoff {
  #misses = 0;
  #skip = 0;

  /** Whether to spin this time; `false` (and one fewer to skip) while backing off. */
  shouldSpin(): boolean {
    if (this.#skip === 0) return true;
    this.#skip--;
    return false;
  }

  /** The spin found what it waited for. */
  hit(): void {
    this.#misses = 0;
  }

  /** The spin found nothing; returns `true` when this miss starts a back-off. */
  miss(): boolean {
    if (++this.#misses < SPIN_MISSES) return false;
    this.#misses = 0;
    this.#skip = SPIN_BACKOFF;
    return true;
  }
}
