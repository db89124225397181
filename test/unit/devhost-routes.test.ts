import { describe, expect, it } from 'vitest';
import { compareRoutes, compileRoute, matchRoute } from '../../devhost/routes';

describe('devhost route templates', () => {
  it('matches parameters and decodes them', () => {
    const r = compileRoute('users/{id}/roles', 0);
    expect(matchRoute(r, 'users/a%20b/roles')).toEqual({ id: 'a b' });
    expect(matchRoute(r, 'USERS/x/Roles')).toEqual({ id: 'x' });
    expect(matchRoute(r, 'users/x')).toBeUndefined();
  });

  it('supports optional last parameters and catch-alls', () => {
    const opt = compileRoute('files/{name?}', 0);
    expect(matchRoute(opt, 'files')).toEqual({});
    expect(matchRoute(opt, 'files/a')).toEqual({ name: 'a' });
    const all = compileRoute('static/{*path}', 0);
    expect(matchRoute(all, 'static/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
  });

  it('applies constraints', () => {
    const r = compileRoute('items/{n:int}', 0);
    expect(matchRoute(r, 'items/12')).toEqual({ n: '12' });
    expect(matchRoute(r, 'items/abc')).toBeUndefined();
    const g = compileRoute('x/{id:guid}', 0);
    expect(matchRoute(g, 'x/3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBeDefined();
    expect(matchRoute(g, 'x/nope')).toBeUndefined();
    const len = compileRoute('y/{s:minlength(3):maxlength(4)}', 0);
    expect(matchRoute(len, 'y/ab')).toBeUndefined();
    expect(matchRoute(len, 'y/abc')).toEqual({ s: 'abc' });
    expect(matchRoute(len, 'y/abcde')).toBeUndefined();
    const re = compileRoute('z/{code:regex(^[a-c]+$)}', 0);
    expect(matchRoute(re, 'z/abc')).toEqual({ code: 'abc' });
    expect(matchRoute(re, 'z/abd')).toBeUndefined();
  });

  it('keeps literal Graph-style segments literal', () => {
    const r = compileRoute("roleAssignmentApprovals/filterByCurrentUser(on='approver')", 0);
    expect(matchRoute(r, "roleAssignmentApprovals/filterByCurrentUser(on='approver')")).toEqual({});
    expect(matchRoute(r, 'roleAssignmentApprovals/x')).toBeUndefined();
  });

  it('orders literal routes before parameterised ones', () => {
    const routes = [compileRoute('items/{id}', 'param'), compileRoute('items/special', 'literal')].sort(
      compareRoutes,
    );
    expect(routes[0].value).toBe('literal');
  });
});
