// The doctor's pure pieces: grant comparison, clock skew, exit-code precedence, the probe's query, and how Graph
// failures are read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeFor, fail, pass, warn } from '../../../src/cli/doctor/check.ts';
import { checkClockSkew, DateSampler } from '../../../src/cli/doctor/clock-skew.ts';
import {
  checkCollectRoles,
  checkInvestigateRoles,
  mailAccessFromExchangeRbac,
} from '../../../src/cli/doctor/roles.ts';
import { traceFailure, traceProbeUrl } from '../../../src/cli/doctor/trace-probe.ts';
import { EXIT } from '../../../src/cli/errors.ts';
import { GraphError } from '../../../src/graph/errors.ts';

const GLOBAL = { messageTrace: true, mailSearch: true };
const GOV = { messageTrace: false, mailSearch: true };

describe('doctor: granted roles against needs', () => {
  it('passes least privilege and fails a missing trace role with the consent steps', () => {
    assert.equal(checkCollectRoles(['ExchangeMessageTrace.Read.All'], GLOBAL).status, 'pass');
    const missing = checkCollectRoles(['Mail.ReadBasic.All'], GLOBAL);
    assert.equal(missing.status, 'fail');
    assert.equal(missing.blocker, 'permission');
    assert.match(missing.fix ?? '', /Application permissions: add ExchangeMessageTrace\.Read\.All/);
  });

  it('needs no trace role where message trace does not exist', () => {
    assert.equal(checkCollectRoles([], GOV).status, 'skip');
  });

  it('accepts Mail.Read for investigate but names Mail.ReadBasic.All as the least-privilege choice', () => {
    assert.equal(checkInvestigateRoles(['Mail.ReadBasic.All', 'User.Read.All']).status, 'pass');
    const broad = checkInvestigateRoles(['Mail.Read', 'User.Read.All']);
    assert.equal(broad.status, 'warn');
    assert.match(broad.detail, /Mail\.ReadBasic\.All is enough/);
    const none = checkInvestigateRoles(['ExchangeMessageTrace.Read.All']);
    assert.equal(none.status, 'fail');
    assert.deepEqual(none.facts?.missing, ['Mail.ReadBasic.All', 'User.Read.All']);
  });
});

describe('doctor: clock skew from a Date header', () => {
  const graphDate = 'Tue, 20 Jan 2026 10:00:00 GMT';
  const graphMs = Date.parse(graphDate);

  it('passes within five minutes and warns beyond, in either direction', () => {
    assert.equal(checkClockSkew({ header: graphDate, localMs: graphMs + 4 * 60_000 }).status, 'pass');
    const ahead = checkClockSkew({ header: graphDate, localMs: graphMs + 6 * 60_000 });
    assert.equal(ahead.status, 'warn');
    assert.equal(ahead.facts?.skewSeconds, 360);
    assert.match(ahead.detail, /360 s ahead of Graph's/);
    assert.match(checkClockSkew({ header: graphDate, localMs: graphMs - 10 * 60_000 }).detail, /behind/);
    assert.equal(checkClockSkew(undefined).status, 'skip');
  });

  it('prefers a response header to a date quoted in an error body', () => {
    const sampler = new DateSampler();
    sampler.observe('2026-01-20T09:00:00Z', 1, 'errorBody');
    sampler.observe('not a date', 2);
    sampler.observe(graphDate, 3);
    sampler.observe('Tue, 20 Jan 2026 11:00:00 GMT', 4);
    assert.deepEqual(sampler.sample, { header: graphDate, localMs: 3 });
  });
});

describe('doctor: exit code precedence', () => {
  it('reports the earliest-stage blocker and ignores warnings', () => {
    const config = fail('config', 'c', 'config', 'bad', 'fix');
    const auth = fail('token', 't', 'auth', 'bad', 'fix');
    const permission = fail('roles.collect', 'r', 'permission', 'bad', 'fix');
    assert.equal(exitCodeFor([permission, auth, config]), EXIT.config);
    assert.equal(exitCodeFor([permission, auth]), EXIT.auth);
    assert.equal(exitCodeFor([permission]), EXIT.permission);
    assert.equal(exitCodeFor([pass('token', 't', 'ok'), warn('clock', 'c', 'off', 'ntp')]), EXIT.ok);
  });
});

describe('doctor: message trace probe', () => {
  it('asks for one row of the last hour, ending clear of the service clock', () => {
    const now = Date.parse('2026-01-20T10:00:30.500Z');
    const url = traceProbeUrl(now);
    assert.ok(url.startsWith('/admin/exchange/tracing/messageTraces?$filter='));
    const filter = new URLSearchParams(url.slice(url.indexOf('?'))).get('$filter');
    assert.equal(
      filter,
      'receivedDateTime ge 2026-01-20T08:55:30Z and receivedDateTime le 2026-01-20T09:55:30Z',
    );
    assert.match(url, /&\$top=1$/);
  });

  it('tells the missing service principal apart from other refusals', () => {
    const sp = traceFailure(
      new GraphError({
        status: 401,
        code: 'Unauthorized',
        message: 'the service principal for App ID 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 was not found',
      }),
    );
    assert.equal(sp.blocker, 'permission');
    assert.equal(sp.commands?.length, 2);
    const forbidden = traceFailure(
      new GraphError({
        status: 403,
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges',
      }),
    );
    assert.equal(forbidden.status, 'fail');
    assert.equal(forbidden.commands, undefined);
    assert.equal(
      traceFailure(new GraphError({ status: 401, code: 'InvalidAuthenticationToken', message: 'x' })).blocker,
      'auth',
    );
    const throttled = traceFailure(
      new GraphError({ status: 429, code: 'TooManyRequests', message: 'slow down' }),
    );
    assert.equal(throttled.status, 'warn');
    assert.match(throttled.detail, /100 requests per 5 minutes/);
  });
});

describe('doctor: mail access granted by Exchange RBAC for Applications', () => {
  const probePassed = pass('mailbox', 'mailbox search probe', 'listed one message id');
  it('turns a missing mail role into a pass when the mailbox probe succeeds anyway', () => {
    const roles = ['User.Read.All'];
    const revised = mailAccessFromExchangeRbac(checkInvestigateRoles(roles), probePassed, roles);
    assert.equal(revised.status, 'pass');
    assert.match(revised.detail, /RBAC for Applications/);
  });
  it('keeps the failure when the probe failed too, or when User.Read.All is what is missing', () => {
    const failedProbe = fail('mailbox', 'm', 'permission', '403', 'grant');
    const roles = ['User.Read.All'];
    assert.equal(mailAccessFromExchangeRbac(checkInvestigateRoles(roles), failedProbe, roles).status, 'fail');
    const noUsers = ['Mail.ReadBasic.All'];
    assert.equal(
      mailAccessFromExchangeRbac(checkInvestigateRoles(noUsers), probePassed, noUsers).status,
      'fail',
    );
  });
});
