import { describe, expect, it } from 'vitest';
import { decide, decider, resourceMatches, resourceOf, type PolicyDocument } from './policy.ts';

describe('resource patterns', () => {
  it('name a repository, a ref or a folder and everything inside it', () => {
    const object = resourceOf({ repository: 'web', ref: 'main', path: 'raw/a.txt' });
    expect(object).toBe('repository:web/main/raw/a.txt');
    const cases: Array<[string, boolean]> = [
      ['repository:web', true],
      ['repository:web/main', true],
      ['repository:web/main/raw/', true],
      ['repository:web/main/raw', true],
      ['repository:web/*/raw/', true],
      ['repository:web/dev', false],
      ['repository:web/main/ra', false],
      ['repository:we', false],
      ['repository:web-2', false],
      ['*', true],
    ];
    expect(cases.map(([pattern]) => [pattern, resourceMatches(pattern, object)])).toEqual(cases);
    expect(resourceOf({ repository: 'web' })).toBe('repository:web');
    expect(resourceOf({ repository: 'web', path: 'raw/' })).toBe('repository:web');
    expect(resourceMatches('principal:ada', 'principal:ada/x')).toBe(false);
  });
});

describe('decide', () => {
  const policies: Array<[string, PolicyDocument]> = [
    ['team', { statements: [{ effect: 'allow', actions: ['object:*'], resources: ['repository:web'] }] }],
    ['guard', { statements: [{ effect: 'deny', actions: ['object:read'], resources: ['*'], labels: ['pii', 'restricted'], exceptPrincipals: ['privacy'] }] }],
  ];
  const request = { principal: 'rita', members: new Set(['rita', 'everyone']), action: 'object:read', resource: 'repository:web/main/people/a.txt', labels: ['pii'] };

  it('applies a label condition only to data carrying one of its labels, and never to the excepted', () => {
    expect(decide(policies, request)).toEqual({ allowed: false, reason: 'denied by guard#1' });
    expect(decide(policies, { ...request, labels: ['internal'] })).toEqual({ allowed: true, reason: 'allowed by team#1' });
    expect(decide(policies, { ...request, labels: [] })).toEqual({ allowed: true, reason: 'allowed by team#1' });
    expect(decide(policies, { ...request, members: new Set(['priya', 'privacy', 'everyone']) })).toEqual({ allowed: true, reason: 'allowed by team#1' });
    expect(decide(policies, { ...request, action: 'object:write' })).toEqual({ allowed: true, reason: 'allowed by team#1' });
  });

  it('decides each entry of a listing as decide would, label by label and path by path', () => {
    const paths: Array<[string, string[]]> = [['notes/a.txt', []], ['people/a.txt', ['pii']], ['notes/b.txt', []], ['secret/x', []]];
    const withPathRule: Array<[string, PolicyDocument]> = [...policies, ['no-secret', { statements: [{ effect: 'deny', actions: ['object:read'], resources: ['repository:web/main/secret/'] }] }]];
    for (const set of [policies, withPathRule]) {
      const each = decider(set, 'object:read');
      const targets = paths.map(([path, labels]) => ({ ...request, resource: resourceOf({ repository: 'web', ref: 'main', path }), labels }));
      expect(targets.map((t) => each(t))).toEqual(targets.map((t) => decide(set, t)));
    }
    expect(decider(withPathRule, 'object:read')({ ...request, resource: 'repository:web/main/secret/x', labels: [] })).toEqual({ allowed: false, reason: 'denied by no-secret#1' });
  });
});
