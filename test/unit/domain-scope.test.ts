import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidScope, sameScope, scopeContains } from '../../shared/domain/scope';

describe('scopes', () => {
  it.each([
    ['/', '/', true],
    ['/', '/a/b', true],
    ['/a', '/a', true],
    ['/a', '/a/b', true],
    ['/a', '/ab', false],
    ['/a/b', '/a', false],
    ['/A/b', '/a/B/c', true],
    ['/subscriptions/x', '/subscriptions/x/resourceGroups/y', true],
    ['/subscriptions/x', '/subscriptions/xy/resourceGroups/y', false],
  ])('%s contains %s: %s', (outer, inner, expected) => {
    expect(scopeContains(outer, inner)).toBe(expected);
  });

  it.each(['', 'a', '/a/', '//', '/a//b', '/a/./b', '/a/../b', '/a b', '/a*', '/a?b', '/a#b', '/a\\b'])(
    'refuses %j',
    (scope) => {
      expect(isValidScope(scope)).toBe(false);
      expect(scopeContains('/', scope)).toBe(false);
    },
  );

  const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/);
  const scope = fc.array(segment, { maxLength: 5 }).map((s) => (s.length === 0 ? '/' : `/${s.join('/')}`));

  it('is a partial order: reflexive, antisymmetric, transitive (property)', () => {
    fc.assert(
      fc.property(scope, scope, scope, (a, b, c) => {
        expect(scopeContains(a, a)).toBe(true);
        if (scopeContains(a, b) && scopeContains(b, a)) expect(a.toLowerCase()).toBe(b.toLowerCase());
        if (scopeContains(a, b) && scopeContains(b, c)) expect(scopeContains(a, c)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('an assignment covers exactly its scope and the scopes below it, segment-wise (property)', () => {
    fc.assert(
      fc.property(scope, fc.array(segment, { maxLength: 3 }), segment, (outer, below, extra) => {
        const inner = outer === '/' ? `/${below.join('/')}` : [outer, ...below].join('/');
        if (below.length > 0 || outer === '/')
          expect(scopeContains(outer, inner === '/' ? '/' : inner)).toBe(true);
        expect(scopeContains('/', outer)).toBe(true);
        // A sibling that merely shares a prefix is not covered.
        if (outer !== '/') expect(scopeContains(outer, `${outer}${extra}`)).toBe(false);
        expect(sameScope(outer, outer.toUpperCase())).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
