/**
 * The codec: plain values pass through untouched; a value that cannot be cloned is refused at the
 * sender with its exact path; cycles do not hang; objects that happen to carry the codec's tag
 * round-trip; and errors keep their class, message, stack, cause chain, AggregateError members and
 * own properties, locally and across a real boundary (a worker thread and a forked child, through a
 * Multiplexer request whose handler throws).
 */
import { types } from 'node:util';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  ClosedError,
  CODEC_TAG,
  InvalidArgumentError,
  MultiprocError,
  NotCloneableError,
  TimeoutError,
  decode,
  decodeAsync,
  describeShareable,
  encode,
  registerErrorClass,
  registerReviver,
  serializeError,
  type ShareContext,
  type ShareDescriptor,
} from '@multiproc/transport';
import { OutOfStockError } from './fixtures/custom-errors.js';
import { CH } from './fixtures/mux-server.js';
import { RUNTIMES, fixtureUrl, startRemoteServer, type RemoteServer } from './helpers.js';

beforeAll(() => {
  registerErrorClass(OutOfStockError);
});

/** What a value looks like after a trip: encoded, structured-cloned (as a boundary does), decoded. */
function roundTrip<T>(value: T): T {
  const encoded = encode(value);
  const copy = structuredClone(encoded.value);
  return (encoded.special ? decode(copy) : copy) as T;
}

function notCloneable(run: () => unknown): NotCloneableError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(NotCloneableError.isInstance(thrown), String(thrown)).toBe(true);
  expect((thrown as NotCloneableError).code).toBe('ERR_NOT_CLONEABLE');
  return thrown as NotCloneableError;
}

describe('encode: plain values', () => {
  const samples: Array<[string, unknown]> = [
    ['a number', 42],
    ['a string', 'text'],
    ['a bigint', 10n ** 30n],
    ['undefined', undefined],
    ['null', null],
    ['a plain object', { a: 1, b: { c: [1, 2, { d: 'e' }] } }],
    ['an array', [1, 'two', [3], { four: 4 }]],
    ['a Map', new Map<unknown, unknown>([['a', { b: 1 }], [{ key: true }, [1]]])],
    ['a Set', new Set([1, { two: 2 }, [3]])],
    ['a Map holding NaN', new Map([[Number.NaN, Number.NaN]])],
    ['a Set holding NaN', new Set([Number.NaN])],
    ['a Date', new Date(0)],
    ['a RegExp', /x/g],
    ['a typed array', new Float32Array([1, 2])],
    ['an ArrayBuffer', new ArrayBuffer(8)],
    ['a SharedArrayBuffer', new SharedArrayBuffer(8)],
    ['a nested structure', { list: [new Map([['k', new Set([new Date(1)])]])], flag: true }],
    ['a class instance with data only', new (class Point { constructor(public x = 1, public y = 2) {} })()],
  ];
  for (const [label, value] of samples) {
    it(`passes ${label} through untouched`, () => {
      const encoded = encode(value);
      expect(encoded.value).toBe(value);
      expect(encoded.special).toBe(false);
    });
  }

  it('does not copy a structure with an error deep inside it beyond the path to the error', () => {
    const untouched = { big: [1, 2, 3] };
    const value = { untouched, list: [1, { failure: new Error('x') }] };
    const encoded = encode(value);
    expect(encoded.special).toBe(true);
    expect(encoded.value).not.toBe(value);
    expect((encoded.value as typeof value).untouched).toBe(untouched);
    // The input itself is left as it was.
    expect(value.list[1]).toEqual({ failure: expect.any(Error) });
  });
});

describe('encode/decode: properties', () => {
  const values = fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: false,
    withObjectString: false,
  });

  it('passes any structured-cloneable value without errors in it through untouched', () => {
    fc.assert(
      fc.property(values, (value) => {
        const encoded = encode(value);
        expect(encoded.value).toBe(value);
        expect(encoded.special).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips any value next to errors', () => {
    fc.assert(
      fc.property(values, fc.string(), (value, message) => {
        const back = roundTrip({ value, errors: [new TypeError(message), new RangeError(message, { cause: value })] });
        expect(back.value).toEqual(value);
        expect(back.errors[0]).toBeInstanceOf(TypeError);
        expect(back.errors[0]?.message).toBe(message);
        expect(back.errors[1]).toBeInstanceOf(RangeError);
        expect(back.errors[1]?.cause).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('encode: values that cannot be cloned are refused with their path', () => {
  it('names the exact path of a function in an argument list', () => {
    const error = notCloneable(() => encode([1, { callback() {} }], { path: 'args' }));
    expect(error.path).toBe('args[1].callback');
    expect(error.message).toContain('args[1].callback is a function (callback)');
  });

  it('uses "value" as the root path by default', () => {
    expect(notCloneable(() => encode({ nested: { fn: () => 1 } })).path).toBe('value.nested.fn');
  });

  it('names a symbol, a WeakMap, a WeakSet, a WeakRef and a Promise', () => {
    expect(notCloneable(() => encode({ s: Symbol('tag') }, { path: 'msg' })).message).toContain('msg.s is a symbol (Symbol(tag))');
    expect(notCloneable(() => encode([new WeakMap()], { path: 'args' })).path).toBe('args[0]');
    expect(notCloneable(() => encode({ w: new WeakSet() })).message).toContain('a WeakSet');
    expect(notCloneable(() => encode({ r: new WeakRef({}) })).message).toContain('a WeakRef');
    const promise = Promise.resolve(1);
    const error = notCloneable(() => encode({ later: promise }, { path: 'result' }));
    expect(error.path).toBe('result.later');
    expect(error.message).toContain('await it first');
  });

  it('names Map values by their key, and Map keys and Set items by their container', () => {
    expect(notCloneable(() => encode(new Map([['onDone', () => 1]]), { path: 'args' })).path).toBe('args.get("onDone")');
    expect(notCloneable(() => encode({ m: new Map([[7, { fn() {} }]]) })).path).toBe('value.m.get(7).fn');
    expect(notCloneable(() => encode(new Map([[() => 1, 'v']]), { path: 'args' })).path).toBe('args<key>');
    expect(notCloneable(() => encode(new Set([Symbol.iterator]), { path: 'args' })).path).toBe('args<set item>');
    // An object key is named by kind, never turned into a string (its own toString may be anything).
    const oddKey = { toString: 0n };
    expect(notCloneable(() => encode(new Map([[oddKey, { fn() {} }]]), { path: 'args' })).path).toBe('args.get(<object key>).fn');
    const plain = new Map([[oddKey, new Set([1])]]);
    expect(encode(plain).value).toBe(plain); // fast-check's counterexample (seed 1666489661): it threw before
  });

  it('quotes keys that are not identifiers', () => {
    expect(notCloneable(() => encode({ 'my-key': { 'x y': () => 1 } }, { path: 'p' })).path).toBe('p["my-key"]["x y"]');
  });

  it('refuses a bare function or symbol at the root', () => {
    expect(notCloneable(() => encode(function named() {}, { path: 'target' })).message).toContain('target is a function (named)');
    expect(notCloneable(() => encode(Symbol('x'))).path).toBe('value');
  });

  it('tells what to send instead', () => {
    expect(notCloneable(() => encode({ f() {} })).message).toMatch(/structured-cloneable|task reference|shareable/);
  });
});

describe('encode/decode: cycles', () => {
  it('passes a plain cycle through without hanging', () => {
    const a: Record<string, unknown> = { name: 'a' };
    const b: Record<string, unknown> = { name: 'b', a };
    a['b'] = b;
    a['list'] = [a, b];
    const encoded = encode(a);
    expect(encoded.value).toBe(a);
    expect(encoded.special).toBe(false);
    const back = roundTrip(a);
    expect((back['b'] as Record<string, unknown>)['a']).toBe(back);
  });

  it('finds a non-cloneable value inside a cycle', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    a['bad'] = { fn: () => 1 };
    expect(notCloneable(() => encode(a)).path).toBe('value.bad.fn');
  });

  it('keeps a cycle that runs through a rewritten value', () => {
    const holder: Record<string, unknown> = { failure: new Error('boom') };
    holder['self'] = holder;
    const back = roundTrip(holder);
    expect(back['failure']).toBeInstanceOf(Error);
    expect(back['self']).toBe(back);
  });

  it('keeps a cycle that runs through an error (its cause, its own properties)', () => {
    const a = new Error('a') as Error & { self?: unknown; details?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    a.self = a;
    a.details = { owner: a };
    const back = roundTrip(a);
    expect(back.message).toBe('a');
    expect((back.cause as Error).message).toBe('b');
    expect((back.cause as Error).cause).toBe(back);
    expect(back.self).toBe(back);
    expect((back.details as { owner: unknown }).owner).toBe(back);
  });

  it('keeps a cycle inside a Map and a Set that are rewritten', () => {
    const map = new Map<string, unknown>();
    map.set('me', map);
    map.set('error', new RangeError('r'));
    const set = new Set<unknown>();
    set.add(set);
    set.add(new TypeError('t'));
    const back = roundTrip({ map, set });
    expect(back.map.get('me')).toBe(back.map);
    expect(back.map.get('error')).toBeInstanceOf(RangeError);
    expect([...back.set][0]).toBe(back.set);
    expect([...back.set][1]).toBeInstanceOf(TypeError);
  });
});

describe(`encode/decode: objects that carry the codec's own key (${CODEC_TAG})`, () => {
  const samples: Array<[string, unknown]> = [
    ['tag "error"', { [CODEC_TAG]: 'error', name: 'Error', message: 'not really an error', props: {} }],
    ['tag "handle"', { [CODEC_TAG]: 'handle', reviver: 'file:///nowhere.js', name: 'x', data: 1 }],
    ['tag "object"', { [CODEC_TAG]: 'object', value: { a: 1 }, tag: 'error' }],
    ['any other tag value', { [CODEC_TAG]: { nested: [1, 2] }, other: new Map([['k', 'v']]) }],
    ['nested inside arrays and maps', [1, new Map([['inner', { [CODEC_TAG]: 'error', message: 'm' }]])]],
    ['next to a real error', { [CODEC_TAG]: 'error', real: new TypeError('real one') }],
    ['nested twice', { [CODEC_TAG]: 'object', inner: { [CODEC_TAG]: 'handle', deeper: { [CODEC_TAG]: 'error' } } }],
  ];
  for (const [label, value] of samples) {
    it(`round-trips one with ${label}`, () => {
      const back = roundTrip(value);
      expect(back).toEqual(value);
      expect(JSON.stringify(back, (_, v: unknown) => (v instanceof Map ? [...v] : v))).toBe(
        JSON.stringify(value, (_, v: unknown) => (v instanceof Map ? [...v] : v)),
      );
    });
  }

  it('keeps the real error next to the tag an error', () => {
    const back = roundTrip({ [CODEC_TAG]: 'error', real: new TypeError('real one') });
    expect(back.real).toBeInstanceOf(TypeError);
  });

  it('round-trips one in a cycle', () => {
    const value: Record<string, unknown> = { [CODEC_TAG]: 'error', message: 'cyclic' };
    value['self'] = value;
    const back = roundTrip(value);
    expect(back[CODEC_TAG]).toBe('error');
    expect(back['message']).toBe('cyclic');
    expect(back['self']).toBe(back);
    expect(back).not.toBeInstanceOf(Error);
  });

  it('does not touch the input', () => {
    const value = { [CODEC_TAG]: 'x', n: 1 };
    encode(value);
    expect(value).toEqual({ [CODEC_TAG]: 'x', n: 1 });
  });
});

describe('errors, locally', () => {
  it('keeps the class of built-in errors, as genuine error objects', () => {
    for (const ErrorClass of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) {
      const original = new ErrorClass('m');
      const back = roundTrip(original);
      expect(back).toEqual(original);
      expect(types.isNativeError(back)).toBe(true);
      expect(back).toBeInstanceOf(ErrorClass);
      expect(back.constructor).toBe(ErrorClass);
      expect(back.name).toBe(ErrorClass.name);
      expect(back.message).toBe('m');
    }
  });

  it('keeps message, stack, cause chain, members and own properties', () => {
    const inner = new RangeError('inner');
    const error = Object.assign(new AggregateError([new TypeError('t'), inner], 'outer', { cause: inner }), {
      code: 'E_X',
      extra: { nested: [1, new Map([['k', 2n]])] },
    });
    const back = roundTrip(error);
    expect(back).toBeInstanceOf(AggregateError);
    expect(back.message).toBe('outer');
    expect(back.stack).toBe(error.stack);
    expect(back.errors).toHaveLength(2);
    expect(back.errors[0]).toBeInstanceOf(TypeError);
    expect(back.errors[1]).toBeInstanceOf(RangeError);
    expect(back.errors[1].message).toBe('inner');
    expect(back.cause).toBeInstanceOf(RangeError);
    expect(back.code).toBe('E_X');
    expect(back.extra).toEqual({ nested: [1, new Map([['k', 2n]])] });
    // Revived properties are where the original had them.
    expect(Object.keys(back).sort()).toEqual(['code', 'extra']);
    expect(Object.getOwnPropertyDescriptor(back, 'message')?.enumerable).toBe(false);
  });

  it('keeps a cause that is not an error, and an explicit undefined cause', () => {
    expect(roundTrip(new Error('x', { cause: { reason: 'r' } })).cause).toEqual({ reason: 'r' });
    const back = roundTrip(new Error('x', { cause: undefined }));
    expect('cause' in back).toBe(true);
    expect(back.cause).toBeUndefined();
    expect('cause' in roundTrip(new Error('no cause'))).toBe(false);
  });

  it('revives multiproc errors as their class, with their code', () => {
    const back = roundTrip(new ClosedError('closed', { code: 'ERR_QUEUE_CLOSED' }));
    expect(back).toBeInstanceOf(ClosedError);
    expect(ClosedError.isInstance(back)).toBe(true);
    expect(MultiprocError.isInstance(back)).toBe(true);
    expect(TimeoutError.isInstance(back)).toBe(false);
    expect(back.code).toBe('ERR_QUEUE_CLOSED');
  });

  it('revives a registered custom class, and keeps the name of an unknown one', () => {
    const custom = roundTrip(new OutOfStockError('none left'));
    expect(custom).toBeInstanceOf(OutOfStockError);
    expect(custom.name).toBe('OutOfStockError');
    class NeverRegisteredError extends Error {
      override name = 'NeverRegisteredError';
    }
    const unknown = roundTrip(new NeverRegisteredError('who am I'));
    expect(unknown).toBeInstanceOf(Error);
    expect(unknown.name).toBe('NeverRegisteredError');
    expect(unknown.message).toBe('who am I');
  });

  it('revives an unknown multiproc error class so that MultiprocError.isInstance still holds', () => {
    class PoolOnlyError extends MultiprocError {
      constructor(message: string) {
        super(message, 'ERR_POOL_ONLY');
      }
    }
    const back = roundTrip(new PoolOnlyError('from another package'));
    expect(back.name).toBe('PoolOnlyError');
    expect(MultiprocError.isInstance(back)).toBe(true);
    expect(PoolOnlyError.isInstance(back)).toBe(true);
    expect((back as { code?: string }).code).toBe('ERR_POOL_ONLY');
  });

  it('serializeError never throws: what cannot be cloned is described instead', () => {
    const error = Object.assign(new Error('with junk'), { fn: () => 1, sym: Symbol('s'), ok: 1 });
    const wire = serializeError(error);
    const back = decode(structuredClone(wire)) as Error & Record<string, unknown>;
    expect(back.message).toBe('with junk');
    expect(back['ok']).toBe(1);
    expect(back['fn']).toMatch(/not cloneable: a function/);
    expect(back['sym']).toMatch(/not cloneable: a symbol/);
    expect(decode(structuredClone(serializeError('just a string')))).toBe('just a string');
  });

  it('encode of an error with a non-cloneable property does not throw either', () => {
    const error = Object.assign(new Error('e'), { onRetry: () => 1 });
    const back = roundTrip({ error }).error as Error & { onRetry: unknown };
    expect(back.onRetry).toMatch(/not cloneable/);
  });
});

describe('shareable handles without a connection', () => {
  class AlwaysServed {
    [describeShareable](context: ShareContext): ShareDescriptor {
      return { reviver: 'file:///unused.js', name: 'x', data: context.serve({ call: () => undefined }) };
    }
  }

  it('refuses to serve one that is encoded without a connection', () => {
    let thrown: unknown;
    try {
      encode({ handle: new AlwaysServed() }, { path: 'args' });
    } catch (error) {
      thrown = error;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
    expect(String((thrown as Error).message)).toContain('args.handle');
  });

  it('revives through a registered reviver, synchronously', () => {
    const url = 'test:registered-reviver';
    registerReviver(url, 'revive', (data) => ({ revived: data }));
    class Local {
      [describeShareable](): ShareDescriptor {
        return { reviver: url, name: 'revive', data: [1, new Error('inside')] };
      }
    }
    const back = roundTrip({ item: new Local() }) as unknown as { item: { revived: [number, Error] } };
    expect(back.item.revived[0]).toBe(1);
    expect(back.item.revived[1]).toBeInstanceOf(Error);
  });

  it('decodeAsync imports a reviver module by its URL', async () => {
    const url = fixtureUrl('flag-reviver.js').href;
    class Flag {
      [describeShareable](): ShareDescriptor {
        return { reviver: url, name: 'reviveFlag', data: { on: true } };
      }
    }
    const wire = structuredClone(encode({ flag: new Flag() }).value);
    const back = (await decodeAsync(wire)) as { flag: { kind: string; on: boolean } };
    expect(back.flag).toEqual({ kind: 'flag', on: true });
  });
});

describe.each(RUNTIMES)('errors crossing a real boundary (%s)', (runtime) => {
  let server: RemoteServer | undefined;

  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  async function remoteError(kind: string, async = false): Promise<unknown> {
    server ??= startRemoteServer(runtime);
    try {
      await server.mux.request(CH.throw, { kind, async });
    } catch (error) {
      return error;
    }
    throw new Error(`the remote handler did not throw for ${kind}`);
  }

  function expectRemoteStack(error: unknown): void {
    const stack = (error as Error).stack ?? '';
    expect(stack).toContain('throwInRemote');
    expect(stack).toContain('mux-server.js');
  }

  for (const async of [false, true]) {
    const how = async ? 'rejects' : 'throws';
    it(`keeps TypeError and RangeError when the handler ${how}`, async () => {
      const typeError = await remoteError('TypeError', async);
      expect(typeError).toBeInstanceOf(TypeError);
      expect((typeError as Error).message).toBe('not a number: "abc"');
      expectRemoteStack(typeError);
      const rangeError = await remoteError('RangeError', async);
      expect(rangeError).toBeInstanceOf(RangeError);
      expect((rangeError as Error).name).toBe('RangeError');
    });
  }

  it('keeps a registered custom class and its own properties', async () => {
    const error = await remoteError('custom');
    expect(error).toBeInstanceOf(OutOfStockError);
    expect(types.isNativeError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'OutOfStockError', message: 'no more widgets', sku: 'W-1', remaining: 0 });
    expectRemoteStack(error);
  });

  it('keeps multiproc errors: class, code, isInstance, cause', async () => {
    const timeout = await remoteError('TimeoutError');
    expect(TimeoutError.isInstance(timeout)).toBe(true);
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect((timeout as TimeoutError).code).toBe('ERR_TIMEOUT');
    expect((timeout as Error).message).toBe('the remote side gave up after 5 ms');
    expectRemoteStack(timeout);

    const closed = await remoteError('ClosedError');
    expect(ClosedError.isInstance(closed)).toBe(true);
    expect(TimeoutError.isInstance(closed)).toBe(false);
    expect((closed as ClosedError).code).toBe('ERR_QUEUE_CLOSED');

    const aborted = await remoteError('AbortError');
    expect(AbortError.isInstance(aborted)).toBe(true);
    expect((aborted as AbortError).code).toBe('ABORT_ERR');
    expect(((aborted as Error).cause as Error).message).toBe('user pressed stop');
  });

  it('keeps a nested cause chain', async () => {
    const error = (await remoteError('cause')) as Error;
    expect(error.message).toBe('order failed');
    const middle = error.cause as Error;
    expect(middle).toBeInstanceOf(TypeError);
    expect(middle.message).toBe('could not reserve');
    const root = middle.cause as Error;
    expect(root).toBeInstanceOf(OutOfStockError);
    expect(root.message).toBe('warehouse empty');
    expectRemoteStack(error);
    expect(middle.stack).toContain('mux-server.js');
    expect(((await remoteError('cause-primitive')) as Error).cause).toEqual({ reason: 'disk full', retry: false });
  });

  it('keeps AggregateError members', async () => {
    const error = (await remoteError('aggregate')) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.message).toBe('several things failed');
    expect(error.errors).toHaveLength(3);
    expect(error.errors[0]).toBeInstanceOf(TypeError);
    expect(error.errors[1]).toBeInstanceOf(RangeError);
    expect((error.errors[1] as Error).cause).toEqual(expect.objectContaining({ message: 'deep' }));
    expect(error.errors[2]).toBeInstanceOf(OutOfStockError);
    expect((error.errors[2] as Error).message).toBe('third');
  });

  it('keeps own enumerable properties, nested ones included', async () => {
    const error = (await remoteError('props')) as Error & Record<string, unknown>;
    expect(error.message).toBe('request failed');
    expect(error['code']).toBe('E_HTTP');
    expect(error['status']).toBe(503);
    expect(error['details']).toEqual({ retryAfter: 30, headers: new Map([['x-trace', 'abc']]), tags: ['a', 'b'] });
  });

  it('describes properties that cannot be cloned instead of losing the error', async () => {
    const error = (await remoteError('non-cloneable-props')) as Error & Record<string, unknown>;
    expect(error.message).toBe('has a callback');
    expect(error['status']).toBe(500);
    expect(error['callback']).toMatch(/not cloneable: a function \(onRetry\)/);
  });

  it('rejects with a thrown non-error value as it was', async () => {
    expect(await remoteError('string')).toBe('a plain string was thrown');
    expect(await remoteError('string', true)).toBe('a plain string was thrown');
  });

  it('rejects, rather than crashing the far side, when the thrown value cannot be cloned', async () => {
    for (const async of [false, true]) {
      const thrown = (await remoteError('non-cloneable-value', async)) as Record<string, unknown>;
      expect(thrown['reason']).toBe('an object with a method');
      expect(thrown['retry']).toMatch(/not cloneable/);
    }
    // The far side is still there.
    expect(await server!.mux.request(CH.echo, 'still alive')).toBe('still alive');
  });

  it('keeps an error whose cause chain is a cycle', async () => {
    const error = (await remoteError('cyclic-cause')) as Error & { self?: unknown };
    expect(error.message).toBe('a');
    expect((error.cause as Error).message).toBe('b');
    expect((error.cause as Error).cause).toBe(error);
    expect(error.self).toBe(error);
  });
});
