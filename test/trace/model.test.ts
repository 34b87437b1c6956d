import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isTransientStatus,
  normalizeStatus,
  parseTraceRow,
  receivedAtIso,
  rowKey,
  TRACE_STATUSES,
  TraceRowError,
} from '../../src/trace/model.ts';

const GRAPH_ROW = {
  id: '4b6a4a8e-9d8e-4b7b-a2c0-0a1b2c3d4e5f',
  messageId: '<d9683b4c-127b-413a-ae2e-fa7dfb32c69d@contoso.com>',
  senderAddress: 'alerts@fabrikam.com',
  recipientAddress: 'Adele.Vance@contoso.com',
  receivedDateTime: '2026-01-20T10:15:30Z',
  subject: 'Invoice overdue',
  size: 45123,
  fromIP: '203.0.113.7',
  toIP: '',
  status: 'delivered',
};

describe('normalizeStatus', () => {
  it('accepts camelCase (v1.0) and PascalCase (beta) alike', () => {
    assert.equal(normalizeStatus('delivered'), 'delivered');
    assert.equal(normalizeStatus('Delivered'), 'delivered');
    assert.equal(normalizeStatus('filteredAsSpam'), 'filteredAsSpam');
    assert.equal(normalizeStatus('FilteredAsSpam'), 'filteredAsSpam');
    assert.equal(normalizeStatus('GettingStatus'), 'gettingStatus');
    for (const s of TRACE_STATUSES) assert.equal(normalizeStatus(s.toUpperCase()), s);
  });
  it('maps an unknown member to unknownFutureValue instead of failing', () => {
    assert.equal(normalizeStatus('teleported'), 'unknownFutureValue');
    assert.equal(normalizeStatus(''), 'unknownFutureValue');
  });
  it('knows which statuses are transient', () => {
    assert.equal(isTransientStatus('Pending'), true);
    assert.equal(isTransientStatus('gettingStatus'), true);
    assert.equal(isTransientStatus('delivered'), false);
    assert.equal(isTransientStatus('quarantined'), false);
  });
});

describe('rowKey', () => {
  it('joins trace id and lower-cased recipient', () => {
    assert.equal(rowKey(GRAPH_ROW), `${GRAPH_ROW.id}\u0000adele.vance@contoso.com`);
    assert.equal(rowKey({ ...GRAPH_ROW, recipientAddress: 'ADELE.VANCE@CONTOSO.COM' }), rowKey(GRAPH_ROW));
    assert.notEqual(rowKey({ ...GRAPH_ROW, recipientAddress: 'alex@contoso.com' }), rowKey(GRAPH_ROW));
  });
});

describe('parseTraceRow', () => {
  it('accepts a Graph row and keeps every property, including extra ones', () => {
    const row = parseTraceRow({
      ...GRAPH_ROW,
      '@odata.type': '#microsoft.graph.exchangeMessageTrace',
      extra: 1,
    });
    assert.equal(row.id, GRAPH_ROW.id);
    assert.equal(row['@odata.type'], '#microsoft.graph.exchangeMessageTrace');
    assert.equal((row as unknown as Record<string, unknown>).extra, 1);
  });
  it('turns null subject and IPs into empty strings', () => {
    const row = parseTraceRow({ ...GRAPH_ROW, subject: null, fromIP: null, toIP: null });
    assert.equal(row.subject, '');
    assert.equal(row.fromIP, '');
    assert.equal(row.toIP, '');
  });
  it('names the missing field', () => {
    const { senderAddress: _, ...rest } = GRAPH_ROW;
    assert.throws(
      () => parseTraceRow(rest),
      (e: unknown) =>
        e instanceof TraceRowError && /"senderAddress"/.test(e.message) && /missing/.test(e.message),
    );
  });
  it('names fields of the wrong type', () => {
    assert.throws(() => parseTraceRow({ ...GRAPH_ROW, size: '12' }), /"size" must be a non-negative integer/);
    assert.throws(() => parseTraceRow({ ...GRAPH_ROW, size: 1.5 }), /"size"/);
    assert.throws(
      () => parseTraceRow({ ...GRAPH_ROW, status: 3 }),
      /"status" must be a string, got the number 3/,
    );
    assert.throws(() => parseTraceRow({ ...GRAPH_ROW, subject: {} }), /"subject"/);
    assert.throws(() => parseTraceRow({ ...GRAPH_ROW, '@odata.type': 5 }), /"@odata.type"/);
  });
  it('rejects empty ids, empty recipients and bad timestamps', () => {
    assert.throws(() => parseTraceRow({ ...GRAPH_ROW, id: '' }), /"id" is empty/);
    assert.throws(() => parseTraceRow({ ...GRAPH_ROW, recipientAddress: '' }), /"recipientAddress" is empty/);
    assert.throws(() => parseTraceRow({ ...GRAPH_ROW, receivedDateTime: 'yesterday' }), /receivedDateTime/);
    assert.throws(
      () => parseTraceRow({ ...GRAPH_ROW, receivedDateTime: '2026-13-45T99:00:00Z' }),
      /receivedDateTime/,
    );
  });
  it('rejects non-objects', () => {
    assert.throws(() => parseTraceRow(null), /must be a JSON object, got null/);
    assert.throws(() => parseTraceRow([GRAPH_ROW]), /got an array/);
    assert.throws(() => parseTraceRow('row'), TraceRowError);
  });
});

describe('receivedAtIso', () => {
  it('reads a timestamp without zone as UTC, never local time', () => {
    assert.equal(receivedAtIso({ receivedDateTime: '2026-01-20T10:15:30' }), '2026-01-20T10:15:30.000Z');
    assert.equal(receivedAtIso({ receivedDateTime: '2026-01-20T10:15:30.5Z' }), '2026-01-20T10:15:30.500Z');
    assert.equal(
      receivedAtIso({ receivedDateTime: '2026-01-20T12:15:30+02:00' }),
      '2026-01-20T10:15:30.000Z',
    );
  });
});

describe('receivedAtIso fast path', () => {
  it('agrees with Date for every form Graph may send, including rolled-over dates', () => {
    for (const v of [
      '2026-01-20T10:15:30Z',
      '2026-02-28T23:59:59Z',
      '2026-02-30T10:15:30Z',
      '2026-01-31T24:00:00Z',
      '2024-02-29T00:00:00Z',
    ]) {
      assert.equal(receivedAtIso({ receivedDateTime: v }), new Date(v).toISOString(), v);
    }
    assert.throws(() => receivedAtIso({ receivedDateTime: '2026-13-20T10:15:30Z' }), /RFC 3339/);
  });
});
