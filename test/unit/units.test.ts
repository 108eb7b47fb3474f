import { describe, expect, it } from 'vitest';
import { formatDuration, parseBytes, parseCpus, parseDuration } from '../../src/stack/units.js';

const S = 1e9;
const MS = 1e6;

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['1m30s', 90 * S],
    ['1.5h', 5400 * S],
    ['300ms', 300 * MS],
    ['10us', 10_000],
    ['10µs', 10_000], // micro sign U+00B5
    ['10μs', 10_000], // Greek mu U+03BC
    ['2h45m', (2 * 3600 + 45 * 60) * S],
    ['0', 0],
    ['0s', 0],
    ['+5s', 5 * S],
    ['1ns', 1],
    ['.5s', 0.5 * S],
    ['1.s', S],
    ['1h1m1s1ms1us1ns', 3661 * S + MS + 1000 + 1],
    ['1.9ns', 1], // Go truncates sub-nanosecond fractions
    ['0.000000001s', 1],
  ])('parses %s', (input, ns) => {
    expect(parseDuration(input)).toBe(ns);
  });

  it.each(['5 seconds', 'abc', '', '-1s', '-0', '10', '1.5', 's', '.s', '1S', '1d', '1m 30s', '1.2.3s', ' 1s'])(
    'rejects %j',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );

  it('reads plain numbers as seconds', () => {
    expect(parseDuration(10)).toBe(10 * S);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1.5)).toBe(1.5 * S);
    expect(parseDuration(0.1)).toBe(100 * MS);
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('rejects durations beyond what Go can represent', () => {
    expect(parseDuration('2562047h')).toBe(2562047 * 3600 * S);
    expect(parseDuration('2562048h')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [1, '1ns'],
    [999, '999ns'],
    [1_000, '1µs'],
    [1_500, '1.5µs'],
    [300 * MS, '300ms'],
    [1_234_567, '1.234567ms'],
    [S, '1s'],
    [1500 * MS, '1.5s'],
    [90 * S, '1m30s'],
    [60 * S, '1m0s'],
    [3600 * S, '1h0m0s'],
    [2 * 3600 * S, '2h0m0s'],
    [(2 * 3600 + 45 * 60) * S, '2h45m0s'],
    [3661 * S + 1, '1h1m1.000000001s'],
    [100 * 3600 * S, '100h0m0s'],
    [-90 * S, '-1m30s'],
    [-1, '-1ns'],
  ])('formats %d as %s', (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const text of ['1m30s', '1.5s', '300ms', '2h0m0s', '10µs', '1h2m3.004s']) {
      expect(formatDuration(parseDuration(text)!)).toBe(text);
    }
    expect(formatDuration(parseDuration('90s')!)).toBe('1m30s');
    expect(formatDuration(parseDuration('1.5h')!)).toBe('1h30m0s');
    expect(formatDuration(parseDuration('10us')!)).toBe('10µs');
  });
});

describe('parseBytes', () => {
  const K = 1024;
  it.each<[string, number]>([
    ['512m', 512 * K * K],
    ['1g', K ** 3],
    ['1GB', K ** 3],
    ['1GiB', K ** 3],
    ['1gib', K ** 3],
    ['100k', 100 * K],
    ['100KB', 100 * K],
    ['2048', 2048],
    ['2048b', 2048],
    ['2048B', 2048],
    ['1.5g', 1.5 * K ** 3],
    ['1t', K ** 4],
    ['1p', K ** 5],
    ['1 GB', K ** 3],
    ['0', 0],
    ['1.5', 1],
    ['1.7k', Math.trunc(1.7 * K)],
    ['1e3', 1000], // Go's ParseFloat takes exponents
    ['1e1k', 10 * K],
  ])('parses %s', (input, bytes) => {
    expect(parseBytes(input)).toBe(bytes);
  });

  it.each(['12 gigs', '-1', '-1m', '', 'm', '1x', '1kb b', '1bb', '1mbb', '1gi', '1  g', 'abc', '1eb', '+-1', '1e400'])(
    'rejects %j',
    (input) => {
      expect(parseBytes(input)).toBeUndefined();
    },
  );

  it('takes numbers as bytes', () => {
    expect(parseBytes(1024)).toBe(1024);
    expect(parseBytes(0)).toBe(0);
    expect(parseBytes(10.9)).toBe(10);
    expect(parseBytes(-1)).toBeUndefined();
    expect(parseBytes(Number.NaN)).toBeUndefined();
  });
});

describe('parseCpus', () => {
  it.each<[string | number, number]>([
    [0.5, 0.5],
    ['1.25', 1.25],
    [2, 2],
    ['2', 2],
    ['0', 0],
    ['.5', 0.5],
    ['1e1', 10],
  ])('parses %j', (input, cpus) => {
    expect(parseCpus(input)).toBe(cpus);
  });

  it.each<string | number>(['two', '', '-1', -0.5, 'Infinity', '0x10', ' 1', Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects %j',
    (input) => {
      expect(parseCpus(input)).toBeUndefined();
    },
  );
});
