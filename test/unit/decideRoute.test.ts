import { describe, expect, it } from '@jest/globals';
import type { PathRule, RouterMode } from '../../src/core/Routing.js';
import { decideRoute, orderedRules, type RouteFacts } from '../../src/routing/decideRoute.js';
import { routingOptions } from '../support/routingOptions.js';

/** A target whose one changed unit is complex (12 > the default threshold of 10) and small. */
function complex(overrides: Partial<RouteFacts> = {}): RouteFacts {
  return {
    target: 'src/parser.ts',
    units: [
      { name: 'tokenize', complexity: 4, lines: 30 },
      { name: 'parseExpression', complexity: 12, lines: 80 }
    ],
    remoteAvailable: true,
    localAvailable: 'unknown',
    cloudEstimateUsd: 0.05,
    budgetRemainingUsd: null,
    ...overrides
  };
}

function simple(overrides: Partial<RouteFacts> = {}): RouteFacts {
  return complex({ target: 'src/math.ts', units: [{ name: 'lerp', complexity: 1, lines: 3 }], ...overrides });
}

const cloudPaths: PathRule = { name: 'generated-to-cloud', paths: ['src/generated/**'], route: 'cloud', priority: 85 };
const localPaths: PathRule = { name: 'core-stays-home', paths: ['src/core/**'], route: 'local', priority: 85 };

describe('decideRoute: modes', () => {
  it('local-only keeps even a complex target local, pinned, by the mode rule', () => {
    expect(decideRoute(routingOptions({ mode: 'local-only' }), complex())).toEqual({
      tier: 'local',
      rule: 'mode',
      reason: 'router-mode is local-only',
      pinned: true
    });
  });

  it('local-only pins every decision, whatever rule takes it, and no rule can pick the cloud', () => {
    const options = routingOptions({ mode: 'local-only', pathRules: [{ ...cloudPaths, priority: 200 }] }, { mode: { enabled: false } });
    // The path rule would send it to the cloud and the local model is gone: still local.
    const choice = decideRoute(options, complex({ target: 'src/generated/api.ts', localAvailable: false }));
    expect(choice).toMatchObject({ tier: 'local', rule: 'default', pinned: true });
  });

  it('cloud-only sends even a simple target to the cloud, not pinned', () => {
    expect(decideRoute(routingOptions({ mode: 'cloud-only' }), simple())).toEqual({
      tier: 'cloud',
      rule: 'mode',
      reason: 'router-mode is cloud-only',
      pinned: false
    });
  });

  it('hybrid-auto sends the complex target to the cloud and keeps the simple one local', () => {
    const options = routingOptions({ mode: 'hybrid-auto' });
    expect(decideRoute(options, complex())).toEqual({
      tier: 'cloud',
      rule: 'complexity',
      reason: 'complexity 12 of "parseExpression" > 10',
      pinned: false
    });
    expect(decideRoute(options, simple())).toEqual({ tier: 'local', rule: 'default', reason: 'no rule sent it to the remote model', pinned: false });
  });

  it('hybrid-prefer-local keeps the complex target local, but uses the cloud when the local model is unavailable', () => {
    const options = routingOptions({ mode: 'hybrid-prefer-local' });
    expect(decideRoute(options, complex())).toMatchObject({ tier: 'local', rule: 'default', pinned: false });
    expect(decideRoute(options, simple({ localAvailable: false }))).toEqual({
      tier: 'cloud',
      rule: 'local-unavailable',
      reason: 'the local model is unavailable',
      pinned: false
    });
  });

  it.each<RouterMode>(['cloud-only', 'hybrid-auto', 'hybrid-prefer-local'])(
    '%s picks local when no remote is available, whatever would pick the cloud',
    (mode) => {
      const choice = decideRoute(routingOptions({ mode }), complex({ remoteAvailable: false, localAvailable: false }));
      expect(choice).toMatchObject({ tier: 'local', rule: 'default', pinned: false });
    }
  );
});

describe('decideRoute: privacy and sensitive paths', () => {
  it('privacy strict keeps everything local and pinned, in cloud-only too, before any other rule', () => {
    const options = routingOptions({ mode: 'cloud-only', privacy: 'strict', sensitivePaths: ['src/**'] });
    expect(decideRoute(options, complex({ localAvailable: false }))).toEqual({
      tier: 'local',
      rule: 'privacy',
      reason: 'privacy is strict: nothing leaves the runner',
      pinned: true
    });
  });

  it('privacy strict holds even with the privacy rule disabled and a cloud path rule above everything', () => {
    const options = routingOptions({ privacy: 'strict', pathRules: [{ ...cloudPaths, priority: 500 }] }, { privacy: { enabled: false } });
    expect(decideRoute(options, complex({ target: 'src/generated/x.ts' }))).toMatchObject({ tier: 'local', pinned: true });
  });

  it('a sensitive path keeps a complex target local and pinned, in cloud-only too; dot files match', () => {
    const options = routingOptions({ mode: 'cloud-only', sensitivePaths: ['src/secrets/**', '**/*.key.ts'] });
    expect(decideRoute(options, complex({ target: 'src/secrets/.env.ts' }))).toEqual({
      tier: 'local',
      rule: 'sensitive-paths',
      reason: '"src/secrets/.env.ts" matches the sensitive path "src/secrets/**"',
      pinned: true
    });
    expect(decideRoute(options, complex({ target: 'lib/deep/signing.key.ts' }))).toMatchObject({ rule: 'sensitive-paths', tier: 'local' });
    // A path the globs do not cover is routed as usual.
    expect(decideRoute(options, complex({ target: 'src/secretsauce.ts' }))).toMatchObject({ rule: 'mode', tier: 'cloud' });
  });

  it('privacy off turns the sensitive-paths rule off too (balanced keeps it)', () => {
    const facts = complex({ target: 'src/secrets/token.ts' });
    expect(decideRoute(routingOptions({ privacy: 'off', sensitivePaths: ['src/secrets/**'] }), facts)).toMatchObject({ tier: 'cloud', rule: 'complexity' });
    expect(decideRoute(routingOptions({ privacy: 'balanced', sensitivePaths: ['src/secrets/**'] }), facts)).toMatchObject({
      tier: 'local',
      rule: 'sensitive-paths'
    });
  });
});

describe('decideRoute: path rules', () => {
  it('a cloud path rule sends a matching target to the cloud in hybrid-prefer-local, where complexity does not', () => {
    const options = routingOptions({ mode: 'hybrid-prefer-local', pathRules: [cloudPaths] });
    expect(decideRoute(options, simple({ target: 'src/generated/client.ts' }))).toEqual({
      tier: 'cloud',
      rule: 'generated-to-cloud',
      reason: '"src/generated/client.ts" matches "src/generated/**" of rule "generated-to-cloud"',
      pinned: false
    });
    expect(decideRoute(options, simple())).toMatchObject({ tier: 'local', rule: 'default' });
  });

  it('a local path rule keeps a complex target local and pins it, above cloud-only', () => {
    const options = routingOptions({ mode: 'cloud-only', pathRules: [localPaths] });
    expect(decideRoute(options, complex({ target: 'src/core/engine.ts' }))).toMatchObject({ tier: 'local', rule: 'core-stays-home', pinned: true });
  });

  it('a cloud path rule does not fire without a remote, and sensitive paths (90) come before path rules (85)', () => {
    const options = routingOptions({ pathRules: [cloudPaths], sensitivePaths: ['src/generated/secret*.ts'] });
    expect(decideRoute(options, simple({ target: 'src/generated/a.ts', remoteAvailable: false }))).toMatchObject({ tier: 'local', rule: 'default' });
    expect(decideRoute(options, simple({ target: 'src/generated/secret-keys.ts' }))).toMatchObject({ tier: 'local', rule: 'sensitive-paths' });
  });

  it('of two matching path rules the higher priority decides; on equal priority the first listed', () => {
    const toLocal: PathRule = { name: 'api-local', paths: ['src/api/**'], route: 'local', priority: 40 };
    const toCloud: PathRule = { name: 'api-cloud', paths: ['src/api/*.ts'], route: 'cloud', priority: 45 };
    const facts = simple({ target: 'src/api/routes.ts' });
    expect(decideRoute(routingOptions({ pathRules: [toLocal, toCloud] }), facts)).toMatchObject({ rule: 'api-cloud', tier: 'cloud' });
    expect(decideRoute(routingOptions({ pathRules: [toLocal, { ...toCloud, priority: 40 }] }), facts)).toMatchObject({ rule: 'api-local', tier: 'local' });
  });
});

describe('decideRoute: budget', () => {
  it('keeps a task local when the cloud request could cost more than what is left, naming the rule it overrode', () => {
    const choice = decideRoute(routingOptions(), complex({ cloudEstimateUsd: 0.05, budgetRemainingUsd: 0.049 }));
    expect(choice).toMatchObject({ tier: 'local', rule: 'budget', pinned: false });
    expect(choice.reason).toBe(
      'its cloud request could cost up to $0.05, more than the $0.049 left of max-cloud-usd (complexity would have sent it to the cloud)'
    );
  });

  it('lets the request through when exactly enough is left, or there is no cap', () => {
    expect(decideRoute(routingOptions(), complex({ cloudEstimateUsd: 0.05, budgetRemainingUsd: 0.05 }))).toMatchObject({ tier: 'cloud', rule: 'complexity' });
    expect(decideRoute(routingOptions(), complex({ cloudEstimateUsd: 99, budgetRemainingUsd: null }))).toMatchObject({ tier: 'cloud' });
  });

  it('does not fire for a task that goes local anyway, and applies to cloud-only and local-unavailable too', () => {
    const exhausted = { cloudEstimateUsd: 0.05, budgetRemainingUsd: 0 };
    expect(decideRoute(routingOptions(), simple(exhausted))).toMatchObject({ tier: 'local', rule: 'default' });
    expect(decideRoute(routingOptions({ mode: 'cloud-only' }), simple(exhausted))).toMatchObject({ tier: 'local', rule: 'budget' });
    expect(decideRoute(routingOptions({ mode: 'hybrid-prefer-local' }), simple({ ...exhausted, localAvailable: false }))).toMatchObject({
      tier: 'local',
      rule: 'budget'
    });
  });

  it('does not hold back a rule placed above it', () => {
    const options = routingOptions({ pathRules: [{ ...cloudPaths, priority: 85 }] });
    expect(decideRoute(options, simple({ target: 'src/generated/a.ts', cloudEstimateUsd: 1, budgetRemainingUsd: 0 }))).toMatchObject({
      tier: 'cloud',
      rule: 'generated-to-cloud'
    });
  });
});

describe('decideRoute: complexity and size', () => {
  it('fires on complexity strictly above the threshold', () => {
    const atThreshold = simple({ units: [{ name: 'f', complexity: 10, lines: 5 }] });
    expect(decideRoute(routingOptions({ complexityThreshold: 10 }), atThreshold)).toMatchObject({ tier: 'local', rule: 'default' });
    expect(decideRoute(routingOptions({ complexityThreshold: 9 }), atThreshold)).toMatchObject({ tier: 'cloud', rule: 'complexity' });
  });

  it('fires when the changed units together span more lines than size-threshold; 0 means no size rule', () => {
    const big = simple({
      units: [
        { name: 'a', complexity: 2, lines: 150 },
        { name: 'b', complexity: 3, lines: 160 }
      ]
    });
    expect(decideRoute(routingOptions({ sizeThreshold: 300 }), big)).toEqual({
      tier: 'cloud',
      rule: 'complexity',
      reason: 'the changed units span 310 lines > size-threshold 300',
      pinned: false
    });
    expect(decideRoute(routingOptions({ sizeThreshold: 310 }), big)).toMatchObject({ tier: 'local' });
    expect(decideRoute(routingOptions({ sizeThreshold: 0 }), big)).toMatchObject({ tier: 'local' });
  });

  it('a target without changed units stays local', () => {
    expect(decideRoute(routingOptions({ sizeThreshold: 1 }), simple({ units: [] }))).toMatchObject({ tier: 'local', rule: 'default' });
  });
});

describe('decideRoute: disabled rules and reordered priorities', () => {
  it('skips disabled rules', () => {
    expect(decideRoute(routingOptions({}, { complexity: { enabled: false } }), complex())).toMatchObject({ tier: 'local', rule: 'default' });
    expect(decideRoute(routingOptions({ mode: 'cloud-only' }, { mode: { enabled: false } }), simple())).toMatchObject({ tier: 'local', rule: 'default' });
    const sensitiveOff = routingOptions({ sensitivePaths: ['src/**'] }, { 'sensitive-paths': { enabled: false } });
    expect(decideRoute(sensitiveOff, complex())).toMatchObject({ tier: 'cloud', rule: 'complexity' });
    const budgetOff = routingOptions({}, { budget: { enabled: false } });
    expect(decideRoute(budgetOff, complex({ cloudEstimateUsd: 1, budgetRemainingUsd: 0 }))).toMatchObject({ tier: 'cloud', rule: 'complexity' });
  });

  it('still answers local when the default rule is disabled and nothing fires', () => {
    expect(decideRoute(routingOptions({}, { default: { enabled: false } }), simple())).toEqual({
      tier: 'local',
      rule: 'default',
      reason: 'no rule sent it to the remote model',
      pinned: false
    });
  });

  it('follows reordered priorities: complexity above sensitive-paths sends a sensitive complex target to the cloud', () => {
    const options = routingOptions({ sensitivePaths: ['src/**'] }, { complexity: { priority: 95 } });
    expect(decideRoute(options, complex())).toMatchObject({ tier: 'cloud', rule: 'complexity' });
    expect(decideRoute(options, simple())).toMatchObject({ tier: 'local', rule: 'sensitive-paths' });
  });

  it('follows reordered priorities: complexity above the budget is not held back by it', () => {
    const exhausted = complex({ cloudEstimateUsd: 0.05, budgetRemainingUsd: 0 });
    expect(decideRoute(routingOptions(), exhausted)).toMatchObject({ rule: 'budget' });
    expect(decideRoute(routingOptions({}, { complexity: { priority: 81 } }), exhausted)).toMatchObject({ tier: 'cloud', rule: 'complexity' });
  });

  it('follows reordered priorities: local-unavailable above mode overrides cloud-only (same tier) and a default placed first ends the search', () => {
    const first = routingOptions({ mode: 'cloud-only' }, { default: { priority: 1000 } });
    expect(decideRoute(first, complex())).toMatchObject({ tier: 'local', rule: 'default' });
    const unavailableFirst = routingOptions({ mode: 'cloud-only' }, { 'local-unavailable': { priority: 75 } });
    expect(decideRoute(unavailableFirst, simple({ localAvailable: false }))).toMatchObject({ tier: 'cloud', rule: 'local-unavailable' });
  });

  it('orders the rules by priority, built-ins before path rules on a tie, disabled ones left out', () => {
    const options = routingOptions({ pathRules: [{ ...cloudPaths, priority: 90 }, localPaths] }, { complexity: { enabled: false } });
    expect(orderedRules(options).map((r) => (r.kind === 'path' ? r.rule.name : r.name))).toEqual([
      'privacy',
      'sensitive-paths',
      'generated-to-cloud',
      'core-stays-home',
      'budget',
      'mode',
      'local-unavailable',
      'default'
    ]);
  });
});
