// CSV/TSV matrices of numbers (header optional, delimiter from the file name or sniffed), parsed
// incrementally from byte chunks so large files stream with progress; labels files (one label or
// text context per row); and scikit-learn's digits (64 pixels then the label per row).
// Imports only src/core (no node:fs, no DOM): callers pass bytes (whole, or chunk by chunk).

import type { DatasetSource, LabelledDataset } from '../data/card.ts';
import { InputError, formatError } from '../errors.ts';
import { inflateStream, isGzip, maybeGunzip } from './inflate.ts';
import { MAX_CSV_LINE_CHARS, MAX_DECOMPRESSED_BYTES, MAX_ELEMENTS, MAX_TEXT_BYTES, checkElements } from './limits.ts';
import type { Dataset } from '../sae/types.ts';

/** ',' comma, '\t' tab, ';' semicolon, ' ' runs of spaces (whitespace-separated columns). */
export type Delimiter = ',' | '\t' | ';' | ' ';

export interface CsvOptions {
  /** Default: from the file name (delimiterFromName), else sniffed from the first non-blank line. */
  delimiter?: Delimiter;
  /**
   * true: line 1 is a header; false: it is data; 'auto' (default): it is a header when one of its cells
   * is not number-like (a number, NaN/Inf spelling or empty). A header of numbers (pandas' "0,1,2,…")
   * cannot be told from data: pass true.
   */
  header?: boolean | 'auto';
  /** Total size, for progress (parseCsv sets it). */
  totalBytes?: number;
  /** Called after each chunk with the bytes consumed so far and totalBytes (NaN when unknown). */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Values to allocate at the start (an upper bound from countCsvNumbers): no regrowth, no copies. */
  capacity?: number;
}

export interface CsvTable {
  rows: number;
  cols: number;
  /** [rows, cols] row-major. */
  x: Float32Array;
  /** Column names when the file had a header. */
  header: string[] | null;
  delimiter: Delimiter;
}

export interface CsvParser {
  /** Feeds the next bytes of the file (any split, even inside a UTF-8 character). */
  push(chunk: Uint8Array): void;
  /** Ends the input and returns the table. */
  end(): CsvTable;
}

export const DIGITS_SOURCE: DatasetSource = {
  source: 'scikit-learn digits: 1797 8×8 images of handwritten digits, pixels 0–16 (UCI optdigits test set, Alpaydin & Kaynak 1998)',
  licence: 'BSD-3-Clause (scikit-learn); UCI optdigits data CC BY 4.0 (Alpaydin & Kaynak 1998)',
};

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
const F32_MAX = 3.4028234663852886e38;

/** The delimiter a file name implies (.csv → ',', .tsv/.tab → tab; a trailing .gz is ignored), or undefined. */
export function delimiterFromName(name: string): Delimiter | undefined {
  const n = name.toLowerCase().replace(/\.gz$/, '');
  if (n.endsWith('.tsv') || n.endsWith('.tab')) return '\t';
  if (n.endsWith('.csv')) return ',';
  return undefined;
}

/** The delimiter of a line: tab, else comma, else semicolon, else spaces, else comma (one column). */
export function sniffDelimiter(line: string): Delimiter {
  if (line.includes('\t')) return '\t';
  if (line.includes(',')) return ',';
  if (line.includes(';')) return ';';
  if (/\S\s+\S/.test(line)) return ' ';
  return ',';
}

function splitCells(line: string, delimiter: Delimiter): string[] {
  if (delimiter === ' ') return line.trim().split(/\s+/);
  const cells = line.split(delimiter);
  for (let i = 0; i < cells.length; i++) cells[i] = clean(cells[i]);
  return cells;
}

/** The cell without surrounding spaces and double quotes (fast path: nothing to strip). */
function clean(c: string): string {
  const n = c.length;
  if (n === 0) return c;
  const a = c.charCodeAt(0);
  const b = c.charCodeAt(n - 1);
  if (a > 0x22 && b > 0x22) return c; // not space, tab, or '"' at either end
  const t = c.trim();
  return t.length >= 2 && t[0] === '"' && t[t.length - 1] === '"' ? t.slice(1, -1).trim() : t;
}

/** '0x1f', '0o7', '0b1': syntax Number() accepts but a CSV of decimals must not. */
function radixPrefixed(c: string): boolean {
  if (c.length < 2 || c.charCodeAt(0) !== 0x30) return false;
  const k = c.charCodeAt(1) | 0x20;
  return k === 0x78 || k === 0x6f || k === 0x62;
}

function numberLike(c: string): boolean {
  return c === '' || NUMBER.test(c) || NON_FINITE.test(c);
}

/** A streaming CSV/TSV parser: push byte chunks, then end(). Errors name the line and column (1-based). */
export function createCsvParser(source: string, opts: CsvOptions = {}): CsvParser {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let delimiter = opts.delimiter;
  let header: string[] | null = null;
  let headerDecided = opts.header === false;
  let cols = -1;
  let rows = 0;
  let x = new Float32Array(Math.min(MAX_ELEMENTS, Math.max(1024, opts.capacity ?? 0)));
  let n = 0; // values stored
  let carry = ''; // an incomplete last line
  let line = 0; // 1-based number of the last completed line
  let bytesDone = 0;
  let first = true;

  const emit = (raw: string): void => {
    line++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 byte-order mark
      first = false;
    }
    if (text.trim() === '') return; // blank lines carry nothing
    if (delimiter === undefined) delimiter = sniffDelimiter(text);
    const cells = splitCells(text, delimiter);
    if (!headerDecided) {
      headerDecided = true;
      if (opts.header === true || !cells.every(numberLike)) {
        header = cells;
        cols = cells.length;
        return;
      }
    }
    if (cols < 0) cols = cells.length;
    if (cells.length !== cols) {
      throw formatError(source, `line ${line}`, `${cols} columns (as on the first ${header ? 'line' : 'row'})`, `${cells.length}: every row needs the same number of cells`);
    }
    if (n + cols > x.length) {
      checkElements(source, `line ${line}: values (rows × columns so far)`, n + cols);
      const bigger = new Float32Array(Math.min(MAX_ELEMENTS, Math.max(x.length * 2, n + cols)));
      bigger.set(x.subarray(0, n));
      x = bigger;
    }
    for (let c = 0; c < cols; c++) {
      const cell = cells[c];
      const v = Number(cell);
      // Fast path: Number() accepts exactly the decimal syntax of NUMBER, plus '' / 0x.. / 0o.. / 0b.. / Infinity.
      if (cell !== '' && Number.isFinite(v) && Math.abs(v) <= F32_MAX && !radixPrefixed(cell)) {
        x[n++] = v;
        continue;
      }
      const at = `line ${line}, column ${c + 1}`;
      if (!NUMBER.test(cell)) {
        const got = cell === '' ? 'an empty cell' : `"${cell.length > 40 ? cell.slice(0, 40) + '…' : cell}"`;
        const fix = NON_FINITE.test(cell) || cell === '' ? 'fill or drop missing values before export' : 'keep only numeric columns (labels go in a separate file)';
        throw formatError(source, at, 'a finite number', `${got}: ${fix}`);
      }
      throw formatError(source, at, 'a number within float32 range (|v| ≤ 3.4028e38)', cell);
    }
    rows++;
  };

  // One row of 10^6 values once took 3.4 GB (its cells as strings): a line is refused at
  // MAX_CSV_LINE_CHARS, checked before it is split, and the unfinished line held is never longer.
  const tooLong = (chars: number): never => {
    throw formatError(source, `line ${line + 1}`, `at most ${MAX_CSV_LINE_CHARS} characters per row (about ${MAX_CSV_LINE_CHARS >> 3} numbers)`, `${chars} or more: is this one row of a huge table, or not a CSV file? put one row per line`);
  };
  const consume = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (carry.length + nl - start > MAX_CSV_LINE_CHARS) tooLong(carry.length + nl - start);
      emit(carry + text.slice(start, nl));
      carry = '';
      start = nl + 1;
    }
    if (carry.length + text.length - start > MAX_CSV_LINE_CHARS) tooLong(carry.length + text.length - start);
    carry += text.slice(start);
  };

  const decode = (chunk: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(chunk, { stream });
    } catch {
      throw formatError(source, `bytes ${bytesDone}–${bytesDone + chunk.length}`, 'UTF-8 text', 'invalid UTF-8: is this a binary file? Save it as UTF-8 CSV');
    }
  };

  return {
    push(chunk: Uint8Array): void {
      consume(decode(chunk, true));
      bytesDone += chunk.length;
      opts.onProgress?.(bytesDone, opts.totalBytes ?? NaN);
    },
    end(): CsvTable {
      consume(decode(new Uint8Array(0), false));
      if (carry !== '') emit(carry);
      carry = '';
      if (rows === 0) {
        throw formatError(source, 'rows', 'at least 1 row of numbers', header ? 'only a header line' : 'an empty file');
      }
      // Exactly full (a capacity from countCsvNumbers is tight up to a header row): no copy.
      const out = n === x.length || x.length - n <= x.length >> 4 ? x.subarray(0, n) : x.slice(0, n);
      return { rows, cols, x: out, header, delimiter: delimiter ?? ',' };
    },
  };
}

/**
 * Counts the numbers in CSV text chunk by chunk without storing them: an upper bound on the values the
 * parser will store (each number is one run of the bytes 0-9 . e E + -). Refuses as soon as the count
 * passes MAX_ELEMENTS, so a table too big to hold is refused before any of it is allocated.
 */
export function createCsvCounter(source: string): { push(chunk: Uint8Array): void; readonly count: number } {
  let count = 0;
  let inRun = false;
  return {
    push(chunk) {
      let c = count;
      let r = inRun;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        const numeric = (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x2b || b === 0x2d || b === 0x65 || b === 0x45;
        if (numeric && !r) c++;
        r = numeric;
      }
      count = c;
      inRun = r;
      if (count > MAX_ELEMENTS) checkElements(source, 'values (numbers in its text so far)', count);
    },
    get count() {
      return count;
    },
  };
}

/** Parses a whole CSV/TSV file (uncompressed), in chunks of `chunkBytes` with progress after each. */
export function parseCsv(bytes: Uint8Array, source: string, opts: CsvOptions & { chunkBytes?: number } = {}): CsvTable {
  if (isGzip(bytes)) {
    throw new InputError(`${source}: is gzip-compressed: decompress it first (readCsv does, or gunzip the file)`);
  }
  const counter = createCsvCounter(source);
  counter.push(bytes);
  const parser = createCsvParser(source, { delimiter: delimiterFromName(source), capacity: counter.count, ...opts, totalBytes: bytes.length });
  const step = Math.max(1, opts.chunkBytes ?? 1 << 20);
  for (let o = 0; o < bytes.length; o += step) parser.push(bytes.subarray(o, Math.min(o + step, bytes.length)));
  return parser.end();
}

/**
 * Parses a CSV/TSV file that may be gzip-compressed. Gzip is inflated twice, streaming, and never held
 * whole: once to count its numbers (refused past MAX_ELEMENTS with nothing allocated; past
 * MAX_DECOMPRESSED_BYTES while inflating), once into the parser at that capacity. A few MB of gzip that
 * expand to GBs cost their own size and a scan.
 */
export async function readCsv(bytes: Uint8Array, source: string, opts: CsvOptions & { chunkBytes?: number } = {}): Promise<CsvTable> {
  if (!isGzip(bytes)) return parseCsv(bytes, source, opts);
  const counter = createCsvCounter(source);
  const total = await inflateStream(bytes, 'gzip', source, MAX_DECOMPRESSED_BYTES, (c) => counter.push(c));
  const parser = createCsvParser(source, { delimiter: delimiterFromName(source), capacity: counter.count, ...opts, totalBytes: total });
  await inflateStream(bytes, 'gzip', source, total, (c) => parser.push(c));
  return parser.end();
}

/** The table as a Dataset [rows, cols]. */
export function csvDataset(t: CsvTable, name: string): Dataset {
  return { name, rows: t.rows, dIn: t.cols, x: t.x };
}

/**
 * A labels file: UTF-8 text, one label (or text context) per line, line i labelling row i; a final
 * newline is optional. Must have exactly `rows` lines.
 */
export function parseLabels(bytes: Uint8Array, source: string, rows: number): string[] {
  if (bytes.length > MAX_TEXT_BYTES) throw formatError(source, 'size', `at most ${MAX_TEXT_BYTES} bytes of labels (the limit)`, `${bytes.length}: keep one short label per row`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw formatError(source, 'encoding', 'UTF-8 text, one label per line', 'invalid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '' && text.endsWith('\n')) lines.pop();
  if (text === '') lines.length = 0;
  if (lines.length !== rows) {
    throw formatError(source, 'lines', `${rows} (one label per data row)`, `${lines.length}: the labels file must match the data row for row`);
  }
  return lines;
}

/** `d` with string labels (words, contexts) attached; lengths must match. */
export function withLabels(d: Dataset, labels: string[], source = 'labels'): LabelledDataset {
  if (labels.length !== d.rows) throw formatError(source, 'lines', `${d.rows} (one label per row of ${d.name})`, String(labels.length));
  return { ...d, labels, labelNames: [] };
}

/**
 * Splits column `col` (default the last) off a table as integer class labels: the other columns,
 * times `scale`, become the Dataset. Labels must be integers ≥ 0; labelNames are their decimal strings.
 */
export function splitLabelColumn(t: CsvTable, source: string, name: string, col = t.cols - 1, scale = 1, labelNames?: string[]): LabelledDataset {
  if (t.cols < 2) throw formatError(source, 'columns', 'at least 2 (values, then a label)', String(t.cols));
  if (col < 0 || col >= t.cols) throw formatError(source, 'label column', `an index in [0, ${t.cols - 1}]`, String(col));
  const dIn = t.cols - 1;
  const x = new Float32Array(t.rows * dIn);
  const labels = new Int32Array(t.rows);
  let max = 0;
  for (let r = 0; r < t.rows; r++) {
    const l = t.x[r * t.cols + col];
    if (!Number.isInteger(l) || l < 0) {
      throw formatError(source, `row ${r + 1}, column ${col + 1} (label)`, 'an integer class id ≥ 0', String(l));
    }
    labels[r] = l;
    max = Math.max(max, l);
    for (let c = 0, o = 0; c < t.cols; c++) if (c !== col) x[r * dIn + o++] = t.x[r * t.cols + c] * scale;
  }
  const names = labelNames ?? Array.from({ length: max + 1 }, (_, c) => String(c));
  if (max >= names.length) throw formatError(source, 'labels', `class ids below ${names.length}`, String(max));
  return { name, rows: t.rows, dIn, x, labels, labelNames: names };
}

/** scikit-learn digits (digits.csv or .csv.gz): [1797, 64] pixels/16 in [0, 1], labels 0–9. */
export async function readDigits(bytes: Uint8Array, source = 'digits.csv.gz', name = 'builtin:digits'): Promise<LabelledDataset> {
  return parseDigits(await maybeGunzip(bytes, source, 1 << 24), source, name); // 1797 rows: a few hundred KB
}

/** Synchronous readDigits over uncompressed CSV bytes. */
export function parseDigits(csv: Uint8Array, source = 'digits.csv', name = 'builtin:digits'): LabelledDataset {
  const t = parseCsv(csv, source, { delimiter: ',', header: false });
  if (t.cols !== 65) throw formatError(source, 'columns', '65 (64 pixels of an 8×8 image, then the label)', String(t.cols));
  const d = splitLabelColumn(t, source, name, 64, 1 / 16);
  for (let i = 0; i < d.x.length; i++) {
    if (d.x[i] < 0 || d.x[i] > 1) throw formatError(source, `row ${Math.floor(i / 64) + 1}, column ${(i % 64) + 1}`, 'a pixel value in 0–16', String(d.x[i] * 16));
  }
  if (d.labelNames.length > 10) throw formatError(source, 'labels', 'digits 0–9', `a label ${d.labelNames.length - 1}`);
  return { ...d, labelNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
}
