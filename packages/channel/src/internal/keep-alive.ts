/**
 * Keeps this process alive while a call to the owner of a proxied queue or pipe is on its way, so that
 * a child process whose target returns right after `send()`, `close()` or an unawaited `put()` does not
 * exit before the owner has the message (Python's queue feeder thread is joined at exit for the same
 * reason). One ref'd timer for all pending calls.
 */
let pending = 0;
let timer: NodeJS.Timeout | undefined;

function release(): void {
  if (--pending === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

/** Holds the process open until `call` settles; returns it unchanged. */
export function holdWhile<T>(call: Promise<T>): Promise<T> {
  if (pending++ === 0) timer = setInterval(() => {}, 1 << 30);
  call.then(release, release);
  return call;
}
