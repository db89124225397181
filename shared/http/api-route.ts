// Every API function's route, under /api. host.json's routePrefix is empty so that the portal can be
// served at the site's root (functions/portal.ts); the API keeps the /api it has always had.
export const API_PREFIX = 'api';

export function apiRoute(route: string): string {
  return `${API_PREFIX}/${route}`;
}
