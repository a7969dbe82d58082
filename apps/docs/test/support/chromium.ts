// Debian's Chromium for the browser test. Playwright's own browser download cannot work here (no network but the
// package registries), so the test drives /usr/bin/chromium, installing it with apt-get when it is missing.
// The test fails, never skips, when Chromium cannot be had.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a headless run as root on a machine whose network is closed (no background connections). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').slice(-20).join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
  return result.stdout;
}

/** Returns the path of Chromium, installing Debian's package first if it is missing; throws if it cannot. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo) {
    throw new Error(`${CHROMIUM} is missing and this user cannot install it: run \`apt-get install -y chromium\` as root`);
  }
  const as = (args: string[]): [string, string[]] => (root ? [args[0]!, args.slice(1)] : ['sudo', ['-n', ...args]]);
  console.log('docs test: installing Debian chromium with apt-get (first run on this machine)');
  run(...as(['apt-get', 'update']));
  run(...as(['apt-get', 'install', '-y', 'chromium']));
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} does not exist`);
  return CHROMIUM;
}
