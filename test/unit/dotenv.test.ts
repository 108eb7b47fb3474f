import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/stack/dotenv.js';
import type { Lookup } from '../../src/stack/interpolate.js';

const env =
  (vars: Record<string, string>): Lookup =>
  (name) =>
    Object.hasOwn(vars, name) ? vars[name] : undefined;

const none: Lookup = () => undefined;

function parse(content: string, lookup: Lookup = none) {
  return parseDotenv(content, lookup, '.env');
}

/** The values of content that must parse without errors. */
function values(content: string, lookup: Lookup = none): Record<string, string> {
  const result = parse(content, lookup);
  expect(result.errors).toEqual([]);
  return result.values;
}

describe('parseDotenv', () => {
  it('reads KEY=VALUE lines', () => {
    expect(values('A=1\nB=two words\nC=')).toEqual({ A: '1', B: 'two words', C: '' });
  });

  it('accepts an export prefix', () => {
    expect(values('export A=1\nexport\tB=2\nexported=3')).toEqual({ A: '1', B: '2', exported: '3' });
  });

  it('skips blank lines and comments', () => {
    expect(values('\n   \n# A=1\n  # B=2\nC=3\n')).toEqual({ C: '3' });
  });

  it('handles CRLF line endings and a byte-order mark', () => {
    expect(values('\uFEFFA=1\r\nB=2\r\n')).toEqual({ A: '1', B: '2' });
  });

  it('trims whitespace around keys and unquoted values', () => {
    expect(values('  A  =   spaced out   \n')).toEqual({ A: 'spaced out' });
  });

  it('strips an inline comment after an unquoted value only when a space precedes # (compose-go: Cut " #")', () => {
    expect(values('A=value # note\nB=a#b\nC=#fff\nD= # starts the value\nE=x\t# tab\nF=y  \t')).toEqual({
      A: 'value',
      B: 'a#b',
      C: '#fff',
      D: '# starts the value',
      E: 'x\t# tab',
      F: 'y',
    });
  });

  it('reads KEY: value, and keys of letters of any script with [ and ] (compose-go locateKeyName)', () => {
    expect(values('A: 1\nB:two\nÉTÉ=été\nx[0]=y\nURL=http://h:1\n')).toEqual({ A: '1', B: 'two', ÉTÉ: 'été', 'x[0]': 'y', URL: 'http://h:1' });
  });

  it('an escaped quote inside single quotes is a quote; other backslashes stay', () => {
    expect(values("A='it\\'s'\nB='a\\nb'")).toEqual({ A: "it's", B: 'a\\nb' });
  });

  it('keeps everything between single quotes literally', () => {
    expect(values("A='$HOME \\n # not a comment ${X:?}'", env({ HOME: '/root' }))).toEqual({
      A: '$HOME \\n # not a comment ${X:?}',
    });
  });

  it('keeps a comment after a quoted value out of the value', () => {
    expect(values(`A="x" # note\nB='y'   # note`)).toEqual({ A: 'x', B: 'y' });
  });

  it('expands escapes in double-quoted values', () => {
    expect(values(String.raw`A="l1\nl2\tt \\ \"q\" \d"`)).toEqual({ A: 'l1\nl2\tt \\ "q" \\d' });
  });

  it('lets double-quoted values span lines', () => {
    const result = parse('A="first\nsecond\n  third"\nB=after\nbad key=1');
    expect(result.values).toEqual({ A: 'first\nsecond\n  third', B: 'after' });
    // Line numbers keep counting through the multi-line value.
    expect(result.errors).toEqual([{ line: 5, message: 'invalid variable name "bad key" in .env' }]);
  });

  it('interpolates unquoted and double-quoted values', () => {
    expect(values('A=$X-${Y:-dflt}\nB="${X}/$$"', env({ X: 'x' }))).toEqual({ A: 'x-dflt', B: 'x/$' });
  });

  it('treats \\$ in double quotes as a literal dollar', () => {
    expect(values(String.raw`A="\$X"`, env({ X: 'x' }))).toEqual({ A: '$X' });
  });

  it('lets interpolation ask the lookup before earlier values of the same file (compose-go: shell > .env)', () => {
    const lookup = env({ BASE: 'from-env', OTHER: 'o' });
    expect(values('URL=$BASE/x\nBASE=from-file\nURL2=${BASE}/$OTHER\nLOCAL=l\nURL3=$LOCAL', lookup)).toEqual({
      URL: 'from-env/x',
      BASE: 'from-file',
      URL2: 'from-env/o',
      LOCAL: 'l',
      URL3: 'l',
    });
  });

  it('turns an unset variable into an empty string', () => {
    expect(values('A=[$NOPE]')).toEqual({ A: '[]' });
  });

  it('takes a bare KEY from the lookup when set, and skips it otherwise', () => {
    expect(values('SET\nEMPTY\nMISSING\nexport ALSO', env({ SET: 'v', EMPTY: '', ALSO: 'a' }))).toEqual({
      SET: 'v',
      EMPTY: '',
      ALSO: 'a',
    });
  });

  it('reports invalid keys with their line and goes on', () => {
    const result = parse('A=1\nMY KEY=2\n\n=3\nB!=4\nnot a line\nC=5');
    expect(result.values).toEqual({ A: '1', C: '5' });
    expect(result.errors).toEqual([
      { line: 2, message: 'invalid variable name "MY KEY" in .env' },
      { line: 4, message: 'invalid variable name "" in .env' },
      { line: 5, message: 'invalid variable name "B!" in .env' },
      { line: 6, message: 'invalid variable name "not a line" in .env' },
    ]);
  });

  it('accepts dots and dashes in keys', () => {
    expect(values('a.b-c_D9=1')).toEqual({ 'a.b-c_D9': '1' });
  });

  it('reports an unterminated quote at the line where it opens', () => {
    const result = parse('A=1\nB="never closed\nC=2\n');
    expect(result.values).toEqual({ A: '1' });
    expect(result.errors).toEqual([{ line: 2, message: 'unterminated quoted value for B in .env' }]);
  });

  it('reports text after a closing quote', () => {
    const result = parse(`A='x' y\nB=2`);
    expect(result.values).toEqual({ B: '2' });
    expect(result.errors).toEqual([{ line: 1, message: 'unexpected text after the quoted value of A in .env' }]);
  });

  it('reports interpolation errors with their line', () => {
    const result = parseDotenv('A=1\nB=${NEED:?set NEED}\nC="${"\nD=ok', none, 'app.env');
    expect(result.values).toEqual({ A: '1', D: 'ok' });
    expect(result.errors).toEqual([
      {
        line: 2,
        message: 'error while interpolating B in app.env: required variable NEED is missing a value: set NEED',
      },
      { line: 3, message: 'invalid interpolation format for C in app.env: "${"; escape any $ with another $' },
    ]);
  });

  it('lets a later line override an earlier one', () => {
    expect(values('A=1\nA=2')).toEqual({ A: '2' });
  });
});
