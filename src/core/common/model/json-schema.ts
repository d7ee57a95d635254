// JSON Schema for editors and docs, generated from the zod schemas (never written by hand).
// schema/*.schema.json are checked in; a unit test keeps them in sync.
import { z } from 'zod';
import { profileSchema } from './profile.js';
import { topologySchema } from './topology.js';

export const SCHEMA_KINDS = ['topology', 'profile'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

export const jsonSchemaFor = (kind: SchemaKind): Record<string, unknown> => {
  const schema = kind === 'topology' ? topologySchema : profileSchema;
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  return { $id: `urn:nestbed:schema:${kind}:v1`, title: kind === 'topology' ? 'nestbed topology (nestbed/v1)' : 'nestbed ECU profile', ...json };
};

export const jsonSchemaText = (kind: SchemaKind): string => `${JSON.stringify(jsonSchemaFor(kind), null, 2)}\n`;
