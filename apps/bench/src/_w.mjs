import { Worker } from 'node:worker_threads';
const code = `
(async () => {
const { Value } = await import('@multiproc/shared');
const v = new Value('i', 0); const lock = v.getLock();
async function warm(n) { for (let i = 0; i < n; i++) { await lock.acquire(); v.value += 1; lock.release(); } }
async function loop(n) { for (let i = 0; i < n; i++) { await lock.acquire(); v.value += 1; lock.release(); } }
const t = performance.now(); await warm(Number(process.env.W)); console.log('warm', (performance.now() - t).toFixed(1), 'ms');
for (let k = 0; k < 6; k++) { const t0 = performance.now(); await loop(125000); console.log(k, ((performance.now() - t0) * 1e6 / 125000).toFixed(1)); }
})();`;
new Worker(code, { eval: true });
