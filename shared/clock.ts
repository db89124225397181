// The app's one notion of "now". Everything that compares times reads it here, so that a host
// with a virtual clock (the devhost, which shifts the process's Date) moves the whole app at once.
export function now(): Date {
  return new Date();
}

export function nowMs(): number {
  return Date.now();
}
