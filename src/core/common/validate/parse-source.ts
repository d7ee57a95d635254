// Text → plain data + a source map (path → line/column), for YAML and JSON alike (JSON is YAML 1.2).
// Hostile input is bounded here: size, nesting depth, alias expansion, binary content.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type YAMLError } from 'yaml';
import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';

/** Topology files are small (≤ 32 guests); anything this large is a mistake or an attack. */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;
/** Deepest nesting a topology needs is ~6; allow generous slack before refusing. */
export const MAX_FLOW_DEPTH = 64;
export const MAX_INDENT = 256;
/** Each alias may be expanded at most this many times in total (billion-laughs defence). */
export const MAX_ALIAS_COUNT = 100;

export interface Position {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface SourceMap {
  /** Position of the node at `path` (or of its key when `key` is set); falls back to the deepest
   * existing ancestor, and to 1:1 for an empty document. */
  locate(path: ReadonlyArray<PropertyKey>, options?: { key?: boolean }): Position;
}

export interface ParsedSource {
  readonly value: unknown;
  readonly sourceMap: SourceMap;
  /** Only `input` diagnostics: if any is an error, `value` must not be used. */
  readonly diagnostics: Diagnostic[];
}

const START: Position = { line: 1, column: 1, endLine: 1, endColumn: 1 };

const diag = (code: DiagnosticCode, message: string, pos: Position = START, path = ''): Diagnostic => ({
  code,
  severity: 'error',
  message,
  path,
  line: pos.line,
  column: pos.column,
  endLine: pos.endLine,
  endColumn: pos.endColumn,
});

const failed = (d: Diagnostic): ParsedSource => ({ value: undefined, sourceMap: { locate: () => START }, diagnostics: [d] });

/** Control characters other than tab, LF, CR (and the BOM) mean the file is not text. */
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;

/** Cheap linear pre-scan so pathological nesting is refused in microseconds instead of exhausting
 * the parser's stack. Approximate about quotes; only used to bound, never to accept. */
/** 1-based line/column of an offset, computed only on the error path (O(n)). */
const positionOf = (text: string, offset: number): Position => {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column, endLine: line, endColumn: column + 1 };
};

const scanDepth = (text: string): Diagnostic | undefined => {
  const at = (offset: number): Position => positionOf(text, offset);
  let depth = 0;
  let indent = 0;
  let atLineStart = true;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      atLineStart = true;
      indent = 0;
      if (quote === "'" || quote === '"') continue; // quoted scalars may span lines
      continue;
    }
    if (atLineStart) {
      if (c === 32 || c === 45 /* '-' */) {
        if (++indent > MAX_INDENT) {
          return diag('NB1004', `the document is indented deeper than ${MAX_INDENT} columns; a topology never nests this deep`, at(i));
        }
        continue;
      }
      atLineStart = false;
    }
    if (quote !== '') {
      if (String.fromCharCode(c) === quote && text.charCodeAt(i - 1) !== 92) quote = '';
      continue;
    }
    if (c === 34 || c === 39) quote = String.fromCharCode(c);
    else if (c === 35 /* # */ && (i === 0 || text.charCodeAt(i - 1) === 32)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl - 1;
    } else if (c === 91 || c === 123) {
      if (++depth > MAX_FLOW_DEPTH) {
        return diag('NB1004', `flow collections nest deeper than ${MAX_FLOW_DEPTH} levels; a topology never nests this deep`, at(i));
      }
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1);
  }
  return undefined;
};

const yamlErrorCode = (e: YAMLError): DiagnosticCode => {
  switch (e.code) {
    case 'DUPLICATE_KEY':
      return 'NB1002';
    case 'MULTIPLE_DOCS':
      return 'NB1005';
    case 'RESOURCE_EXHAUSTION':
      return 'NB1004';
    case 'BAD_ALIAS':
      return 'NB1003';
    default:
      return 'NB1001';
  }
};

/** First line of a yaml error message, without the "at line x, column y" tail and the excerpt. */
const cleanYamlMessage = (e: YAMLError): string => {
  const first = e.message.split('\n')[0] ?? e.message;
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/^./, (c) => c.toLowerCase());
};

export const parseSource = (text: string): ParsedSource => {
  if (text.length > MAX_SOURCE_BYTES) {
    return failed(diag('NB0002', `the document is ${(text.length / 1048576).toFixed(1)} MiB; topology files are limited to ${MAX_SOURCE_BYTES / 1048576} MiB`));
  }
  const bin = BINARY.exec(text);
  if (bin) {
    const code = bin[0].charCodeAt(0);
    return failed(diag('NB0003', `not a text file: byte 0x${code.toString(16).padStart(2, '0')} at offset ${bin.index} (topologies are UTF-8 YAML or JSON)`, positionOf(text, bin.index)));
  }
  const deep = scanDepth(text);
  if (deep) return failed(deep);

  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: true, version: '1.2', keepSourceTokens: false });
  const pos = (offset: number, end = offset): Position => {
    const a = lc.linePos(offset);
    const b = lc.linePos(end);
    return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
  };
  const sourceMap = makeSourceMap(doc, pos);
  const diagnostics: Diagnostic[] = doc.errors.map((e) => {
    const p = pos(e.pos[0], e.pos[1]);
    return diag(yamlErrorCode(e), cleanYamlMessage(e), p);
  });
  if (diagnostics.length > 0) return { value: undefined, sourceMap, diagnostics };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { value: undefined, sourceMap, diagnostics: [diag('NB0004', 'the file is empty: expected a topology (apiVersion: nestbed/v1, kind: Topology, …)')] };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof ReferenceError || (e instanceof Error && /alias/i.test(e.message))) {
      return { value: undefined, sourceMap, diagnostics: [diag('NB1003', `YAML aliases expand too often (limit ${MAX_ALIAS_COUNT} per alias): refusing a possible "billion laughs" document`)] };
    }
    if (e instanceof RangeError) return { value: undefined, sourceMap, diagnostics: [diag('NB1004', 'the document nests too deeply to read')] };
    throw e;
  }
  return { value, sourceMap, diagnostics: [] };
};

const makeSourceMap = (doc: Document, pos: (start: number, end?: number) => Position): SourceMap => ({
  locate(path, options) {
    let node: unknown = doc.contents;
    let best: YamlNode | undefined = isMapOrSeqOrScalar(node) ? node : undefined;
    let keyNode: unknown;
    for (let i = 0; i < path.length; i++) {
      if (isAlias(node)) node = node.resolve(doc);
      const seg = path[i];
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
        if (i === path.length - 1 && options?.key) break;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else break;
      if (isAlias(node)) node = node.resolve(doc);
      if (!isMapOrSeqOrScalar(node)) {
        // `key:` with no value: point at the key.
        if (isMapOrSeqOrScalar(keyNode)) best = keyNode;
        break;
      }
      best = node;
    }
    const target = options?.key && isMapOrSeqOrScalar(keyNode) ? keyNode : best;
    const range = target?.range;
    return range ? pos(range[0], range[1]) : START;
  },
});

const isMapOrSeqOrScalar = (n: unknown): n is YamlNode => isMap(n) || isSeq(n) || isScalar(n);
