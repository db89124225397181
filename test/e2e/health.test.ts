import { describe, expect, it } from 'vitest';
import { freePort } from '../../devhost/azurite';
import { readJson, startDevhost } from '../helpers/devhost';

describe('GET /api/health', () => {
  it('answers 200 with version when storage is reachable, without a token', async () => {
    const host = await startDevhost({ quiet: true });
    try {
      const res = await fetch(`${host.baseUrl}/api/health`);
      expect(res.status).toBe(200);
      const body = await readJson(res);
      expect(body.storage).toBe('reachable');
      expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      await host.stop();
    }
  });

  it('answers 503 when storage is down', async () => {
    const closed = await freePort();
    const host = await startDevhost({
      quiet: true,
      env: {
        AzureWebJobsStorage:
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
          `TableEndpoint=http://127.0.0.1:${closed}/devstoreaccount1;`,
      },
    });
    try {
      const res = await fetch(`${host.baseUrl}/api/health`);
      expect(res.status).toBe(503);
      expect((await readJson(res)).storage).toBe('unreachable');
    } finally {
      await host.stop();
    }
  });
});
