import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const load = (env: Record<string, string>) => loadConfig({ env: { STRATA_DATA_DIR: '/nonexistent/strata-config-test', ...env }, cwd: '/' });

describe('audit retention settings', () => {
  it('keeps audit entries forever unless told, with a minimum of 190 days', () => {
    expect([load({}).auditRetentionDays, load({}).auditMinRetentionDays]).toEqual([undefined, 190]);
    expect(load({ STRATA_AUDIT_RETENTION_DAYS: '365' }).auditRetentionDays).toBe(365);
  });

  it('refuses a retention shorter than the minimum, in one readable message', () => {
    expect(() => load({ STRATA_AUDIT_RETENTION_DAYS: '30' })).toThrow('invalid configuration: auditRetentionDays: 30 days is shorter than the minimum of 190 (STRATA_AUDIT_MIN_RETENTION_DAYS)');
    expect(load({ STRATA_AUDIT_RETENTION_DAYS: '30', STRATA_AUDIT_MIN_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
  });
});
