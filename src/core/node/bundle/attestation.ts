// attestation.intoto.json: an in-toto Statement v1 (github.com/in-toto/attestation, spec/v1) whose
// subjects are the bundle's payload files with their SHA-256 and whose predicate binds them to the
// topology, the ECU profile, the validation verdict, the run (if any) and nestbed's version.
// nestbed has no web domain of its own, so the predicate type is a URN (a TypeURI need not be a URL).
// The statement is unsigned (no DSSE envelope): its authenticity comes from manifest.json, which
// lists its digest and is what --sign-key signs.
import { z } from 'zod';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'urn:nestbed:predicate:bundle:v1';

export const statementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.strictObject({ name: z.string(), digest: z.strictObject({ sha256: z.string() }) })),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.strictObject({
    nestbedVersion: z.string(),
    topology: z.strictObject({ name: z.string(), sha256: z.string() }),
    profile: z.string().nullable(),
    validation: z.strictObject({ success: z.boolean(), errors: z.number().int(), warnings: z.number().int() }),
    images: z.strictObject({ included: z.boolean(), artifacts: z.array(z.strictObject({ path: z.string(), sha256: z.string().nullable() })) }),
    run: z.strictObject({ status: z.string(), success: z.boolean().nullable() }).nullable(),
  }),
});
export type Statement = z.infer<typeof statementSchema>;

export type Predicate = Statement['predicate'];

/** Subjects sorted by name (the payload: every file but manifest.json, manifest.sig and this one). */
export const buildStatement = (subjects: readonly { path: string; sha256: string }[], predicate: Predicate): Statement => ({
  _type: STATEMENT_TYPE,
  subject: [...subjects].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((s) => ({ name: s.path, digest: { sha256: s.sha256 } })),
  predicateType: PREDICATE_TYPE,
  predicate,
});
