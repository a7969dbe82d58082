/**
 * Test-suite guard shared by every project: a test that leaves a handle open (a worker, a child
 * process, a port, a socket, a timer) fails. The active resources are compared with a baseline taken
 * before the test; closing is asynchronous, so the check waits up to a few seconds for them to settle.
 */
import { afterEach, beforeEach } from 'vitest';

const WATCHED = new Set(['MessagePort', 'Worker', 'ProcessWrap', 'PipeWrap', 'TCPWrap', 'TCPServerWrap', 'Timeout', 'Immediate', 'UDPWrap', 'PipeServerWrap']);

function snapshot(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (WATCHED.has(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

function leaks(baseline: Map<string, number>): string[] {
  const now = snapshot();
  const out: string[] = [];
  for (const [type, count] of now) {
    const before = baseline.get(type) ?? 0;
    if (count > before) out.push(`${type} x${count - before}`);
  }
  return out;
}

let baseline = new Map<string, number>();

beforeEach(() => {
  baseline = snapshot();
});

afterEach(async () => {
  const deadline = Date.now() + 5_000;
  let left = leaks(baseline);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    left = leaks(baseline);
  }
  if (left.length > 0) {
    throw new Error(`the test left handles open: ${left.join(', ')}`);
  }
});
