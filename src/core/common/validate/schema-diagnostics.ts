// zod issues → nestbed diagnostics: stable codes, messages that name the offending values, and the
// source position of the node (or of the unknown key itself).
import type { z } from 'zod';
import { formatPath, type Diagnostic, type DiagnosticCode } from '../model/diagnostic.js';
import type { SourceMap } from './parse-source.js';

type Issue = z.core.$ZodIssue;

/** What a value looks like in a message: short, quoted strings, JSON for the rest. */
export const show = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'infinity (too large to represent)' : String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null) return 'null (empty)';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
};

const typeName = (value: unknown): string => {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
};

const expectedName = (expected: string): string => {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    default:
      return `a ${expected}`;
  }
};

const valueAt = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
};

/** Levenshtein distance, for "did you mean" on unknown keys. */
const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
};

/** Keys a strict object schema allows at `path` (walks optional/default/array wrappers). */
const allowedKeysAt = (schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] => {
  let s: unknown = schema;
  const unwrap = () => {
    for (;;) {
      const def = (s as { def?: { type?: string; innerType?: unknown } }).def;
      if (def && (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) s = def.innerType;
      else return;
    }
  };
  unwrap();
  for (const seg of path) {
    const def = (s as { def?: { type?: string; element?: unknown; shape?: Record<string, unknown> } }).def;
    if (def?.type === 'array' && typeof seg === 'number') s = def.element;
    else if (def?.type === 'object' && def.shape && typeof seg === 'string') s = def.shape[seg];
    else return [];
    unwrap();
  }
  const def = (s as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
};

const suggest = (key: string, allowed: string[]): string => {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of allowed) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? `; did you mean "${best}"?` : '';
};

export const schemaDiagnostics = (issues: readonly Issue[], value: unknown, schema: z.ZodType, sourceMap: SourceMap): Diagnostic[] => {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (code: DiagnosticCode, path: ReadonlyArray<PropertyKey>, message: string, key = false) => {
    // zod may report one value twice (e.g. not an integer and too big): one diagnostic per code and path.
    const id = `${code} ${formatPath(path)}`;
    if (seen.has(id)) return;
    seen.add(id);
    const p = sourceMap.locate(path, { key });
    out.push({ code, severity: 'error', message, path: formatPath(path), line: p.line, column: p.column, endLine: p.endLine, endColumn: p.endColumn });
  };
  for (const issue of issues) {
    const path = issue.path;
    const where = formatPath(path) || 'the document';
    const actual = valueAt(value, path);
    switch (issue.code) {
      case 'invalid_type': {
        if (actual === undefined) {
          const key = String(path[path.length - 1] ?? '');
          push('NB1014', path.slice(0, -1), `missing required key "${key}" in ${formatPath(path.slice(0, -1)) || 'the document'}`);
        } else if (issue.expected === 'int' && typeof actual === 'number' && Number.isFinite(actual)) {
          const big = !Number.isSafeInteger(Math.trunc(actual));
          push(big ? 'NB1011' : 'NB1016', path, big ? `${where} = ${show(actual)} is far too large` : `${where} = ${show(actual)}, but it must be an integer`);
        } else if (typeof actual === 'number' && !Number.isFinite(actual)) {
          push('NB1011', path, `${where} = ${show(actual)}; expected ${expectedName(issue.expected)}`);
        } else {
          push('NB1010', path, `${where} is ${typeName(actual)} ${show(actual)}, but it must be ${expectedName(issue.expected)}`);
        }
        break;
      }
      case 'too_small':
      case 'too_big': {
        const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const rel = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
        if (issue.code === 'too_big' && Number(limit) >= Number.MAX_SAFE_INTEGER) push('NB1011', path, `${where} = ${show(actual)} is far too large`);
        else if (issue.origin === 'array') push('NB1011', path, `${where} has ${Array.isArray(actual) ? actual.length : '?'} entries, but it must have ${rel} ${String(limit)}`);
        else if (issue.origin === 'string') push('NB1011', path, `${where} is ${typeof actual === 'string' ? actual.length : '?'} characters long, but it must be ${rel} ${String(limit)}`);
        else push('NB1011', path, `${where} = ${show(actual)}, but it must be ${rel} ${String(limit)}`);
        break;
      }
      case 'invalid_format':
        push('NB1012', path, `${where} = ${show(actual)} does not match ${issue.pattern ?? issue.format}${issue.pattern?.includes('[a-z]') ? ' (lower-case letters, digits and "-", starting with a letter)' : ''}`);
        break;
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(schema, path);
        for (const key of issue.keys) {
          push('NB1013', [...path, key], `unknown key "${key}" in ${where}${suggest(key, allowed)} (allowed: ${allowed.join(', ')})`, true);
        }
        break;
      }
      case 'invalid_value':
        push('NB1015', path, `${where} = ${show(actual)}, but it must be ${issue.values.length === 1 ? show(issue.values[0]) : `one of ${issue.values.map((v) => show(v)).join(', ')}`}`);
        break;
      default:
        push('NB1010', path, `${where}: ${issue.message}`);
    }
  }
  return out;
};
