/**
 * Shared helpers of the transport tests: where the fixtures are, how to start a real worker thread or
 * child process on one of them and end it again, and small waiting utilities. Nothing here mocks
 * anything: every helper starts a real thread, process or socket, and every one has a way to end it.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { ChildProcessTransport, MessagePortTransport, Multiplexer } from '@multiproc/transport';

/** The URL of a fixture module. */
export const fixtureUrl = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

/** The path of a fixture module. */
export const fixture = (name: string): string => fileURLToPath(fixtureUrl(name));

/** Resolves after `ms` milliseconds (used to let things settle, never to measure). */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition()` holds, polling; rejects after `timeoutMs` naming `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

/** Rejects with a clear message if `promise` does not settle within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A real worker thread on a fixture, connected by a MessageChannel whose far port it gets in workerData. */
export interface WorkerHandle {
  worker: Worker;
  /** The near end of the channel; the worker holds the other. */
  port: MessagePort;
  /** Messages the worker posted on its parentPort (side channel, not the transport under test). */
  sideMessages: unknown[];
  /** Ends the worker (if still running) and waits for it to exit. */
  dispose(): Promise<void>;
}

export function startWorker(name: string, extraData: Record<string, unknown> = {}): WorkerHandle {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(fixtureUrl(name), {
    workerData: { ...extraData, port: port2 },
    transferList: [port2],
    execArgv: [],
  });
  const sideMessages: unknown[] = [];
  worker.on('message', (message: unknown) => sideMessages.push(message));
  worker.on('error', (error) => sideMessages.push({ type: 'error', error }));
  let exited = false;
  const exit = once(worker, 'exit').then(() => {
    exited = true;
  });
  return {
    worker,
    port: port1,
    sideMessages,
    async dispose() {
      port1.close();
      if (!exited) await worker.terminate();
      await exit;
    },
  };
}

/** A real child process, with its stdout and stderr collected. */
export interface ChildHandle {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line of stdout (or stderr) that starts with `prefix`, once it is there. */
  line(stream: 'stdout' | 'stderr', prefix: string): Promise<string>;
  /** What went on, for failure messages: exit status and stderr. */
  diagnostics(): string;
  /** Whether the child has exited. */
  exited(): boolean;
  /** Resolves with the exit code and signal once the child exited and its piped stdout and stderr closed. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the child (if still running) and waits until it is gone with its stdio. */
  dispose(): Promise<void>;
}

function wrapChild(child: ChildProcess, collectStdout = true): ChildHandle {
  let out = '';
  let err = '';
  // Event-driven (no polling timer), so a line nobody waits for any more leaves nothing running.
  const output = new EventEmitter();
  if (collectStdout) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      output.emit('data');
    });
  }
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    output.emit('data');
  });
  const line = (stream: 'stdout' | 'stderr', prefix: string): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        const found = (stream === 'stdout' ? out : err).split('\n').find((text) => text.startsWith(prefix));
        if (found === undefined) return;
        output.off('data', check);
        resolve(found);
      };
      output.on('data', check);
      check();
    });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  // Not the 'close' event: Node.js never emits it for a forked child whose IPC channel this side
  // disconnected (it counts the channel as closed only when it reads EOF). Wait for the exit and for
  // the piped streams instead.
  const streamClosed = (stream: NodeJS.ReadableStream | null | undefined): Promise<void> =>
    stream ? new Promise((resolve) => stream.once('close', () => resolve())) : Promise.resolve();
  const closed = Promise.all([
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
    }),
    streamClosed(child.stdout),
    streamClosed(child.stderr),
  ]).then(([status]) => status);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    line,
    diagnostics: () =>
      `child ${child.pid}: exit code ${String(child.exitCode)}, signal ${String(child.signalCode)}, connected ${String(child.connected)}; stderr: ${err || '(empty)'}`,
    exited: () => exited,
    closed,
    async dispose() {
      if (!exited && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (child.connected) child.disconnect();
      await closed;
    },
  };
}

/** Forks a fixture with an IPC channel using advanced serialization (Maps, BigInts... survive). */
export function forkChild(name: string, args: string[] = [], execArgv: string[] = []): ChildHandle {
  return wrapChild(
    fork(fixture(name), args, {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv,
    }),
  );
}

/**
 * Spawns a fixture with plain piped stdio (no IPC channel). With `stdoutIsTransport`, stdout is left
 * alone for a StreamTransport to read (only stderr is collected).
 */
export function spawnChild(name: string, args: string[] = [], stdoutIsTransport = false): ChildHandle {
  return wrapChild(spawn(process.execPath, [fixture(name), ...args], { stdio: ['pipe', 'pipe', 'pipe'] }), !stdoutIsTransport);
}

/** Parses the `REPORT {...}` line a fixture printed on `stream`, once it is there. */
export async function reportFrom<T>(handle: ChildHandle, stream: 'stdout' | 'stderr'): Promise<T> {
  const line = await handle.line(stream, 'REPORT ');
  return JSON.parse(line.slice('REPORT '.length)) as T;
}

/** A connected socket pair through a real server (TCP on 127.0.0.1, or a unix socket in the tmpdir). */
export interface SocketPair {
  client: Socket;
  server: Socket;
  dispose(): Promise<void>;
}

let unixCounter = 0;

export async function socketPair(kind: 'tcp' | 'unix'): Promise<SocketPair> {
  const listener: Server = createServer();
  const where = kind === 'tcp' ? 0 : join(tmpdir(), `multiproc-transport-${process.pid}-${unixCounter++}.sock`);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(where, () => resolve());
  });
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const address = listener.address();
  const client =
    kind === 'tcp' && address !== null && typeof address === 'object'
      ? connect({ host: '127.0.0.1', port: address.port })
      : connect({ path: where as string });
  const [[server]] = await Promise.all([accepted, once(client, 'connect')]);
  const listenerClosed = new Promise<void>((resolve) => listener.close(() => resolve()));
  const closedOf = (socket: Socket): Promise<void> =>
    socket.closed ? Promise.resolve() : (once(socket, 'close').then(() => undefined) as Promise<void>);
  return {
    client,
    server,
    async dispose() {
      const done = Promise.all([closedOf(client), closedOf(server)]);
      client.destroy();
      server.destroy();
      await Promise.all([done, listenerClosed]);
    },
  };
}

/** The outcome of running the unref fixture. */
export interface UnrefOutcome {
  /** The exit code when it exited by itself; `'alive'` when it was still running and had to be killed. */
  result: number | 'alive';
  stderr: string;
}

/**
 * Runs `fixtures/unref.js` for a transport kind and mode, and tells whether it exits by itself: it waits
 * up to `exitWithinMs` for an exit, or (when `expectAlive`) checks it is still running `aliveForMs` after
 * it said `ready`, then kills it.
 */
export async function runUnrefFixture(
  kind: string,
  mode: string,
  expectAlive: boolean,
  { exitWithinMs = 10_000, aliveForMs = 1_000 } = {},
): Promise<UnrefOutcome> {
  const handle = kind === 'child-process' ? forkChild('unref.js', [kind, mode]) : spawnChild('unref.js', [kind, mode]);
  try {
    await waitFor(() => handle.stderr().includes('ready') || handle.exited(), `unref fixture (${kind} ${mode}) to start`);
    if (expectAlive) {
      await delay(aliveForMs);
      if (handle.exited()) {
        const { code } = await handle.closed;
        return { result: code ?? -1, stderr: handle.stderr() };
      }
      return { result: 'alive', stderr: handle.stderr() };
    }
    const deadline = Date.now() + exitWithinMs;
    while (!handle.exited() && Date.now() < deadline) await delay(20);
    if (!handle.exited()) return { result: 'alive', stderr: handle.stderr() };
    const { code } = await handle.closed;
    return { result: code ?? -1, stderr: handle.stderr() };
  } finally {
    await handle.dispose();
  }
}

/** Where the far side of a multiplexer test runs. */
export type Runtime = 'thread' | 'process';
export const RUNTIMES: readonly Runtime[] = ['thread', 'process'];

/** A Multiplexer connected to fixtures/mux-server.js running in a worker thread or a forked child. */
export interface RemoteServer {
  readonly runtime: Runtime;
  readonly mux: Multiplexer;
  /** Ends the far side abruptly (terminate() the worker, SIGKILL the child). */
  kill(): Promise<void>;
  /** Closes the connection and ends the far side. */
  dispose(): Promise<void>;
}

export function startRemoteServer(runtime: Runtime, options: { execArgv?: string[] } = {}): RemoteServer {
  if (runtime === 'thread') {
    const handle = startWorker('mux-worker.js');
    const mux = new Multiplexer(new MessagePortTransport(handle.port));
    return {
      runtime,
      mux,
      async kill() {
        await handle.worker.terminate();
      },
      async dispose() {
        mux.close();
        await handle.dispose();
      },
    };
  }
  const handle = forkChild('mux-child.js', [], options.execArgv ?? []);
  const mux = new Multiplexer(new ChildProcessTransport(handle.child));
  return {
    runtime,
    mux,
    async kill() {
      handle.child.kill('SIGKILL');
      await handle.closed;
    },
    async dispose() {
      mux.close();
      await handle.dispose();
    },
  };
}
