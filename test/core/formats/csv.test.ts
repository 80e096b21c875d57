// CSV/TSV reader: header detection, delimiters, chunked streaming (every split point gives the same
// table), progress, a table of malformed files whose messages name the line and column, labels files,
// and the shipped scikit-learn digits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectInputError } from '../../helpers/bytes.ts';
import {
  createCsvParser,
  csvDataset,
  delimiterFromName,
  parseCsv,
  parseDigits,
  parseLabels,
  readCsv,
  readDigits,
  sniffDelimiter,
  splitLabelColumn,
  withLabels,
} from '../../../src/core/formats/csv.ts';

const DATA = join(__dirname, '../../../public/data');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseCsv: valid files', () => {
  it.each([
    ['no header, comma', 'a.csv', '1,2,3\n4,5,6\n', null, [1, 2, 3, 4, 5, 6]],
    ['header detected', 'a.csv', 'x,y,z\n1,2,3\n', ['x', 'y', 'z'], [1, 2, 3]],
    ['quoted header, quoted numbers', 'a.csv', '"x","y"\n"1.5","-2"\n', ['x', 'y'], [1.5, -2]],
    ['tab from .tsv', 'a.tsv', 'a\tb\n1\t2\n3\t4', ['a', 'b'], [1, 2, 3, 4]],
    ['tab sniffed', 'a.txt', '1\t2\n3\t4\n', null, [1, 2, 3, 4]],
    ['semicolon sniffed', 'a.txt', '1;2\n3;4\n', null, [1, 2, 3, 4]],
    ['spaces sniffed (runs of spaces)', 'a.txt', ' 1   2\n3 4 \n', null, [1, 2, 3, 4]],
    ['CRLF, BOM, blank lines, no final newline', 'a.csv', '\ufeffa,b\r\n\r\n1,2\r\n\r\n3,4', ['a', 'b'], [1, 2, 3, 4]],
    ['exponents, signs, leading dot, spaces around cells', 'a.csv', '1e3, -2.5E-1 ,+.5,7.\n', null, [1000, -0.25, 0.5, 7]],
    ['one column', 'a.csv', '1\n2\n3\n', null, [1, 2, 3]],
  ])('%s', (_label, name, text, header, values) => {
    const t = parseCsv(enc(text), name);
    expect(t.header).toEqual(header);
    expect(t.rows * t.cols).toBe(values.length);
    expect(Array.from(t.x)).toEqual(values);
  });

  it('header: true forces a numeric header line (pandas "0,1,2"); header: false forces data', () => {
    const t = parseCsv(enc('0,1\n5,6\n'), 'a.csv', { header: true });
    expect([t.header, t.rows, Array.from(t.x)]).toEqual([['0', '1'], 1, [5, 6]]);
    expectInputError(() => parseCsv(enc('x,y\n5,6\n'), 'a.csv', { header: false }), /a\.csv: line 1, column 1: expected a finite number, got "x"/);
  });

  it('delimiterFromName and sniffDelimiter', () => {
    expect([delimiterFromName('A.CSV'), delimiterFromName('a.tsv.gz'), delimiterFromName('a.tab'), delimiterFromName('a.txt')]).toEqual([',', '\t', '\t', undefined]);
    expect([sniffDelimiter('1\t2,3'), sniffDelimiter('1,2'), sniffDelimiter('1;2'), sniffDelimiter('1 2'), sniffDelimiter('12')]).toEqual(['\t', ',', ';', ' ', ',']);
  });

  it('csvDataset is [rows, cols]', () => {
    const d = csvDataset(parseCsv(enc('1,2\n3,4\n5,6\n'), 'a.csv'), 'a.csv');
    expect([d.name, d.rows, d.dIn, Array.from(d.x)]).toEqual(['a.csv', 3, 2, [1, 2, 3, 4, 5, 6]]);
  });
});

describe('streaming in chunks', () => {
  // A header with a 3-byte UTF-8 character (€) so some splits fall inside it, CRLF line ends so some fall between \r and \n.
  const text = 'p€,q\r\n1.25,2\r\n-3,4e2\r\n5,6';
  const bytes = enc(text);
  const whole = parseCsv(bytes, 'a.csv');

  it('every chunk size gives the same table, and progress reaches the total', () => {
    for (let chunk = 1; chunk <= bytes.length; chunk++) {
      const seen: [number, number][] = [];
      const t = parseCsv(bytes, 'a.csv', { chunkBytes: chunk, onProgress: (done, total) => seen.push([done, total]) });
      expect(t).toEqual(whole);
      expect(seen.length).toBe(Math.ceil(bytes.length / chunk));
      expect(seen[seen.length - 1]).toEqual([bytes.length, bytes.length]);
      for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThan(seen[i - 1][0]);
    }
    expect(whole.header).toEqual(['p€', 'q']);
    expect(Array.from(whole.x)).toEqual([1.25, 2, -3, 400, 5, 6]);
  });

  it('a parser fed arbitrary splits (as from File.stream()) reports bytes done', () => {
    const progress: number[] = [];
    const p = createCsvParser('s.csv', { onProgress: (done) => progress.push(done) });
    p.push(bytes.subarray(0, 2)); // inside €
    p.push(bytes.subarray(2, 9));
    p.push(bytes.subarray(9));
    expect(p.end()).toEqual(whole);
    expect(progress).toEqual([2, 9, bytes.length]);
  });

  it('grows its buffer past the initial size', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},${-i}`).join('\n');
    const t = parseCsv(enc(rows), 'big.csv', { chunkBytes: 777 });
    expect([t.rows, t.cols, t.x[2 * 2999], t.x[2 * 2999 + 1]]).toEqual([3000, 2, 2999, -2999]);
  });
});

describe('parseCsv rejects malformed files naming the line and column', () => {
  it.each([
    ['NaN cell', '1,2\n3,NaN\n', /a\.csv: line 2, column 2: expected a finite number, got "NaN": fill or drop missing values/],
    ['nan in the first line (not taken for a header)', '1,nan\n', /line 1, column 2: expected a finite number, got "nan"/],
    ['Inf cell', 'a,b\n1,2\n-inf,3\n', /line 3, column 1: expected a finite number, got "-inf"/],
    ['empty cell', '1,2\n3,\n', /line 2, column 2: expected a finite number, got an empty cell/],
    ['text cell', '1,2\n3,cat\n', /line 2, column 2: expected a finite number, got "cat": keep only numeric columns/],
    ['ragged row (short)', '1,2,3\n4,5\n', /a\.csv: line 2: expected 3 columns \(as on the first row\), got 2/],
    ['ragged row (long) after a header', 'a,b\n1,2\n\n3,4,5\n', /line 4: expected 2 columns \(as on the first line\), got 3/],
    ['hex (Number() would take it)', '1,2\n1,0x10\n', /line 2, column 2: expected a finite number, got "0x10"/],
    ['binary prefix', '1\n0B1\n', /line 2, column 1: expected a finite number, got "0B1"/],
    ['digit separators', '1\n1_000\n', /line 2, column 1: expected a finite number, got "1_000"/],
    ['beyond float32', '1e39\n', /line 1, column 1: expected a number within float32 range/],
    ['beyond float64', '1e999\n', /line 1, column 1: expected a number within float32 range/],
    ['only a header', 'a,b\n', /a\.csv: rows: expected at least 1 row of numbers, got only a header line/],
    ['empty file', '', /rows: expected at least 1 row of numbers, got an empty file/],
  ])('%s', (_label, text, re) => {
    expectInputError(() => parseCsv(enc(text), 'a.csv'), re);
  });

  it('rejects invalid UTF-8 and gzip bytes', () => {
    expectInputError(() => parseCsv(Uint8Array.from([0x31, 0x2c, 0xff, 0x0a]), 'a.csv'), /a\.csv: bytes 0–4: expected UTF-8 text, got invalid UTF-8/);
    expectInputError(() => parseCsv(gzipSync(enc('1,2\n')), 'a.csv.gz'), /is gzip-compressed: decompress it first/);
  });

  it('readCsv gunzips first', async () => {
    const t = await readCsv(gzipSync(enc('1\t2\n')), 'a.tsv.gz');
    expect([t.delimiter, Array.from(t.x)]).toEqual(['\t', [1, 2]]);
  });
});

describe('labels files', () => {
  it.each([
    ['final newline', 'cat\ndog\n', ['cat', 'dog']],
    ['no final newline, CRLF', 'cat\r\ndog', ['cat', 'dog']],
    ['empty label and contexts with spaces', 'the cat sat\n\n', ['the cat sat', '']],
  ])('%s', (_label, text, labels) => {
    expect(parseLabels(enc(text), 'l.txt', 2)).toEqual(labels);
  });

  it('rejects a row-count mismatch', () => {
    expectInputError(() => parseLabels(enc('a\nb\nc\n'), 'l.txt', 2), /l\.txt: lines: expected 2 \(one label per data row\), got 3/);
    expectInputError(() => parseLabels(enc(''), 'l.txt', 1), /got 0/);
  });

  it('withLabels attaches string labels', () => {
    const d = withLabels(csvDataset(parseCsv(enc('1\n2\n'), 'a.csv'), 'a.csv'), ['x', 'y']);
    expect([d.labels, d.labelNames]).toEqual([['x', 'y'], []]);
    expectInputError(() => withLabels(d, ['x'], 'l.txt'), /l\.txt: lines: expected 2 \(one label per row of a\.csv\), got 1/);
  });

  it('splitLabelColumn takes integer class ids out of a column', () => {
    const t = parseCsv(enc('2,10,1\n4,20,0\n'), 'a.csv');
    const d = splitLabelColumn(t, 'a.csv', 'a', 2, 0.5);
    expect([d.dIn, Array.from(d.x), Array.from(d.labels as Int32Array), d.labelNames]).toEqual([2, [1, 5, 2, 10], [1, 0], ['0', '1']]);
    expectInputError(() => splitLabelColumn(parseCsv(enc('1,0.5\n'), 'b.csv'), 'b.csv', 'b'), /b\.csv: row 1, column 2 \(label\): expected an integer class id ≥ 0, got 0\.5/);
  });
});

describe('scikit-learn digits', () => {
  it('rejects a row of the wrong width or a pixel above 16', () => {
    expectInputError(() => parseDigits(enc('1,2,3\n')), /digits\.csv: columns: expected 65 .*got 3/);
    const row = [...new Array(63).fill(0), 17, 3].join(',');
    expectInputError(() => parseDigits(enc(row)), /row 1, column 64: expected a pixel value in 0–16, got 17/);
  });

  it('the shipped file: 1797 rows of 64 pixels in [0, 1], labels 0–9', async () => {
    const d = await readDigits(new Uint8Array(readFileSync(join(DATA, 'digits.csv.gz'))));
    expect([d.name, d.rows, d.dIn]).toEqual(['builtin:digits', 1797, 64]);
    expect(d.labelNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const labels = d.labels as Int32Array;
    expect(Array.from(labels.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    // Row 0 as printed by `zcat digits.csv.gz | head -1`: 0,0,5,13,9,1,0,0,...
    expect(Array.from(d.x.subarray(0, 6))).toEqual([0, 0, 5 / 16, 13 / 16, 9 / 16, 1 / 16].map(Math.fround));
    expect(d.x.reduce((a, b) => Math.max(a, b), 0)).toBe(1);
  });
});
