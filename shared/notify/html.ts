// Every untrusted string (names, justifications, ticket numbers) enters HTML through here.
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A tagged template that escapes every interpolated value; nest with `raw()` for trusted markup. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += (v instanceof Raw ? v.value : escapeHtml(String(v ?? ''))) + (strings[i + 1] ?? '');
  });
  return new Raw(out);
}

export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Joins already-escaped fragments. */
export function joinHtml(parts: readonly Raw[], separator = ''): Raw {
  return new Raw(parts.map((p) => p.value).join(separator));
}
