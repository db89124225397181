import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { withOdataContext } from '../../shared/http/odata-context';

const get = (url: string, params: Record<string, string> = {}) =>
  new HttpRequest({ method: 'GET', url, params });
const context = (body: string) => JSON.parse(body)['@odata.context'];

describe('@odata.context', () => {
  const base = 'http://localhost:7071/api/v1.0';

  it('names a list by its path, and a bound function by the collection it filters', () => {
    const list = withOdataContext(
      get(`${base}/roleManagement/directory/roleDefinitions?$top=2`),
      '{"value":[]}',
    );
    expect(context(list)).toBe(`${base}/$metadata#roleManagement/directory/roleDefinitions`);
    expect(JSON.parse(list).value).toEqual([]);
    const mine = withOdataContext(
      get(
        `${base}/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')`,
      ),
      '{"value":[{"id":"a"}],"@odata.nextLink":"x"}',
    );
    expect(context(mine)).toBe(`${base}/$metadata#roleManagement/directory/roleEligibilityScheduleInstances`);
  });

  it('names one item by its collection and $entity, keeping the body', () => {
    const one = withOdataContext(get(`${base}/groups/g1`, { id: 'g1' }), '{"id":"g1","displayName":"x"}');
    expect(JSON.parse(one)).toEqual({
      '@odata.context': `${base}/$metadata#groups/$entity`,
      id: 'g1',
      displayName: 'x',
    });
    expect(context(withOdataContext(get(`${base}/me`), '{}'))).toBe(`${base}/$metadata#me/$entity`);
  });

  it('leaves alone what is not a Graph resource or already says its context', () => {
    expect(withOdataContext(get('http://localhost:7071/api/health'), '{"status":"healthy"}')).toBe(
      '{"status":"healthy"}',
    );
    const own = '{"@odata.context":"mine","value":[]}';
    expect(withOdataContext(get(`${base}/groups`), own)).toBe(own);
    expect(withOdataContext(get(`${base}/auditLogs/directoryAudits/export`), 'id,activity\n')).toBe(
      'id,activity\n',
    );
  });
});
