// Input validation for services called with raw bodies: zod issues become a ValidationError with
// one detail per bad field (the same shape as shared/http's envelope details).
import type { z } from 'zod';
import { type ErrorDetail, ValidationError } from '../domain/errors';
import { isObjectId } from '../domain/ids';

export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'request body',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw validationError(parsed.error, what);
}

export function validationError(error: z.ZodError, what = 'request body'): ValidationError {
  const details: ErrorDetail[] = error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        target: path ? `${path}.${key}` : key,
        message: 'Unknown property.',
      }));
    }
    return [{ target: path || '(root)', message: issue.message }];
  });
  const first = details[0];
  const more = details.length > 1 ? ` (and ${details.length - 1} more; see details)` : '';
  return new ValidationError(
    first ? `Invalid ${what}: ${first.target}: ${first.message}${more}` : `Invalid ${what}.`,
    details,
  );
}

/**
 * An id from a URL path, lower-cased. Ids are GUIDs and become table keys, so anything else names
 * nothing: `notFound()` (a 404), never a storage error.
 */
export function pathId(id: string, notFound: () => Error): string {
  if (!isObjectId(id)) throw notFound();
  return id.toLowerCase();
}

/** An id compared in a $filter: a GUID, or a 400 naming the property. */
export function filterId(value: string, property: string): string {
  if (!isObjectId(value)) {
    throw new ValidationError(`'${property}' must be an object id (GUID).`, [
      { target: '$filter', message: `${property}: expected a GUID` },
    ]);
  }
  return value.toLowerCase();
}
