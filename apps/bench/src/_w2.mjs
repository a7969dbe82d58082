import { Worker } from 'node:worker_threads';
const code = `
(async () => {
const { Value } = await import('@multiproc/shared');
const v = new Value('i', 0); const lock = v.getLock();
async function loop(n) { const marks = []; let t0 = performance.now(); for (let i = 0; i < n; i++) { await lock.acquire(); v.value += 1; lock.release(); if (i % 20000 === 19999) { const t = performance.now(); marks.push(((t - t0) * 1e6 / 20000).toFixed(0)); t0 = t; } } return marks; }
console.log((await loop(400000)).join(' '));
})();`;
new Worker(code, { eval: true });
