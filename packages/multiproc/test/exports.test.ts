/**
 * The umbrella re-exports every package's public API, as the very same values (no copies, no wrappers),
 * and adds only its own context API.
 */
import { expect, it } from 'vitest';
import * as umbrella from 'multiproc';
import * as transport from '@multiproc/transport';
import * as processPackage from '@multiproc/process';
import * as pool from '@multiproc/pool';
import * as channel from '@multiproc/channel';
import * as sync from '@multiproc/sync';
import * as shared from '@multiproc/shared';

const PACKAGES: Record<string, Record<string, unknown>> = {
  '@multiproc/transport': transport,
  '@multiproc/process': processPackage,
  '@multiproc/pool': pool,
  '@multiproc/channel': channel,
  '@multiproc/sync': sync,
  '@multiproc/shared': shared,
};
const OWN = ['ContextAlreadySetError', 'getAllStartMethods', 'getContext', 'getStartMethod', 'setStartMethod'];

it("re-exports every runtime export of every package, as the package's own value", () => {
  const missing: string[] = [];
  const different: string[] = [];
  for (const [name, namespace] of Object.entries(PACKAGES)) {
    for (const key of Object.keys(namespace)) {
      if (!(key in umbrella)) missing.push(`${name}: ${key}`);
      else if ((umbrella as Record<string, unknown>)[key] !== namespace[key]) different.push(`${name}: ${key}`);
    }
  }
  expect(missing).toEqual([]);
  expect(different).toEqual([]);
});

it('adds only its own context API', () => {
  const fromPackages = new Set(Object.values(PACKAGES).flatMap((namespace) => Object.keys(namespace)));
  expect(Object.keys(umbrella).filter((key) => !fromPackages.has(key)).sort()).toEqual(OWN);
});

it('the one name two packages export, ClosedError, is one class', () => {
  expect(channel.ClosedError).toBe(transport.ClosedError);
  expect(umbrella.ClosedError).toBe(transport.ClosedError);
});
