import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLOUD_NAMES,
  cloudFromName,
  isMicrosoftAuthorityHost,
  resolveCloud,
  UnknownCloudError,
} from '../../src/graph/clouds.ts';

describe('clouds', () => {
  it('knows the four clouds with their hosts and capabilities', () => {
    assert.deepEqual([...CLOUD_NAMES], ['global', 'usgov', 'dod', 'china']);
    const global = cloudFromName('global');
    assert.equal(global.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(global.graphEndpoint, 'https://graph.microsoft.com');
    assert.equal(global.capabilities.messageTrace, true);
    assert.equal(cloudFromName('usgov').graphEndpoint, 'https://graph.microsoft.us');
    assert.equal(cloudFromName('dod').graphEndpoint, 'https://dod-graph.microsoft.us');
    assert.equal(cloudFromName('dod').authorityHost, 'https://login.microsoftonline.us');
    assert.equal(cloudFromName('China').authorityHost, 'https://login.chinacloudapi.cn');
    assert.equal(cloudFromName('china').graphEndpoint, 'https://microsoftgraph.chinacloudapi.cn');
    for (const name of ['usgov', 'dod', 'china'])
      assert.equal(cloudFromName(name).capabilities.messageTrace, false);
    assert.equal(cloudFromName('GCC-High').name, 'usgov');
  });
  it('rejects unknown names with the list of valid ones', () => {
    assert.throws(
      () => cloudFromName('azure'),
      (e: unknown) => e instanceof UnknownCloudError && /global.*usgov.*dod.*china/.test(e.message),
    );
  });
  it('applies endpoint overrides but keeps the token audience and capabilities', () => {
    const cloud = resolveCloud('global', {
      authorityHost: 'https://127.0.0.1:8443/',
      graphEndpoint: 'https://127.0.0.1:8443',
    });
    assert.equal(cloud.authorityHost, 'https://127.0.0.1:8443');
    assert.equal(cloud.graphEndpoint, 'https://127.0.0.1:8443');
    assert.equal(cloud.graphResource, 'https://graph.microsoft.com');
    assert.equal(cloud.customEndpoints, true);
    assert.equal(cloud.capabilities.messageTrace, true);
    assert.equal(resolveCloud('global').customEndpoints, false);
    assert.throws(() => resolveCloud('global', { graphEndpoint: 'not a url' }), /absolute URL/);
  });
  it('recognises Microsoft authority hosts', () => {
    assert.equal(isMicrosoftAuthorityHost('https://login.microsoftonline.com'), true);
    assert.equal(isMicrosoftAuthorityHost('https://login.microsoftonline.us/'), true);
    assert.equal(isMicrosoftAuthorityHost('https://127.0.0.1:8443'), false);
  });
});
