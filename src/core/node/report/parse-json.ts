// A JSON document read for `nestbed report` (results.json, a launcher's results files), checked
// against its schema: bad input is an InputError naming the file and the first offending field.
import type { z } from 'zod';
import { formatPath } from '../../common/model/diagnostic.js';
import { InputError } from '../../common/model/errors.js';

/** `what`: what the file should be, for the message ("not <what>: <path>: <issue>"). */
export const parseJsonFile = <S extends z.ZodType>(file: string, text: string, schema: S, what: string): z.infer<S> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message})`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new InputError(`${file}: not ${what}: ${formatPath(i.path) || 'the document'}: ${i.message}`);
  }
  return r.data;
};
