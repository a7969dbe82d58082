/**
 * How busy the machine was with other work while something was measured (Linux, from /proc; elsewhere the
 * meter reports NaN). Other processes on a 2-core machine take cores away from a parallel benchmark, so each
 * benchmark reports the average number of cores that processes outside this benchmark used.
 *
 *   const meter = startLoadMeter();
 *   ... measure ...
 *   const { othersCores, ownCores } = meter.stop();
 *
 * Ours = this process (every thread, so worker threads too) + its children, alive (read from /proc) or
 * already reaped (cutime/cstime, e.g. the Python pool). Others = all busy CPU time of the machine minus ours.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const HZ = 100; // USER_HZ on Linux

function machineBusyTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return user + nice + system + irq + softirq + (steal || 0);
}

/** utime + stime + cutime + cstime of `pid`, plus the same for its live descendants. */
function treeTicks(pid) {
  let ticks = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (children) for (const child of children.split(/\s+/)) ticks += treeTicks(Number(child));
    }
  } catch {
    // gone meanwhile
  }
  return ticks;
}

function snapshot() {
  try {
    return { t: performance.now(), machine: machineBusyTicks(), own: treeTicks(process.pid) };
  } catch {
    return undefined;
  }
}

/** @returns {{ stop(): { othersCores: number, ownCores: number } }} */
export function startLoadMeter() {
  const start = snapshot();
  return {
    stop() {
      const end = snapshot();
      if (!start || !end) return { othersCores: Number.NaN, ownCores: Number.NaN };
      const seconds = (end.t - start.t) / 1000;
      const own = (end.own - start.own) / HZ;
      const machine = (end.machine - start.machine) / HZ;
      return { othersCores: Math.max(0, machine - own) / seconds, ownCores: own / seconds };
    },
  };
}
