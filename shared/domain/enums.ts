// Graph accepts enum values in any letter case (`AfterDuration` = `afterDuration`) and answers in
// camelCase. The same helper as shared/http's, repeated here because the domain imports only zod.
import { z } from 'zod';

export function ciEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const canonical = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z.preprocess(
    (input) => (typeof input === 'string' ? (canonical.get(input.toLowerCase()) ?? input) : input),
    z.enum(values),
  );
}
