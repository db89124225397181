// Object ids. Directory objects (users, groups, roles, schedules, requests) are GUIDs; they become
// table keys, so they are validated before they reach storage and kept in lower case.
import { z } from 'zod';

export const ObjectId = z.guid('Expected an object id (GUID).').transform((id) => id.toLowerCase());

export function isObjectId(value: string): boolean {
  return ObjectId.safeParse(value).success;
}

/** An ISO 8601 date-time (offsets allowed); output normalised to UTC `...Z` with milliseconds. */
export const DateTimeString = z.iso
  .datetime({ offset: true, message: 'Expected an ISO 8601 date-time such as 2030-01-01T08:00:00Z.' })
  .transform((s) => new Date(s).toISOString());

export function iso(date: Date): string {
  return date.toISOString();
}
