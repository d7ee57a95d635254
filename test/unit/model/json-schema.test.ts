import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemaText, SCHEMA_KINDS } from '../../../src/core/common/model/json-schema.js';
import { repoRoot } from '../../helpers/validate.js';

describe('generated JSON Schema', () => {
  it.each(SCHEMA_KINDS)('schema/%s.schema.json is in sync with the zod schema (run `npm run schema`)', (kind) => {
    expect(readFileSync(join(repoRoot, 'schema', `${kind}.schema.json`), 'utf8')).toBe(jsonSchemaText(kind));
  });

  it('is strict: unknown keys are not allowed anywhere', () => {
    const text = jsonSchemaText('topology');
    const objects = (text.match(/"type": "object"/g) ?? []).length;
    const closed = (text.match(/"additionalProperties": false/g) ?? []).length;
    expect(objects).toBeGreaterThan(5);
    expect(closed).toBe(objects);
  });
});
