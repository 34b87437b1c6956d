import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countOutcomes, type MailboxOutcome, outcomeProblems } from '../../src/investigate/model.ts';

const base = { copies: [], reconciliation: '' };
const copy = {
  internetMessageId: '<m@x>',
  graphId: 'g',
  folderId: 'f',
  folderName: 'Inbox',
  receivedDateTime: '2026-01-01T00:00:00Z',
  isRead: false,
  subject: 's',
  from: 'a@x',
};

describe('countOutcomes', () => {
  it('derives every count from the list', () => {
    const list: MailboxOutcome[] = [
      { ...base, mailbox: { address: 'a@x' }, outcome: 'found', copies: [copy, { ...copy, graphId: 'h' }] },
      { ...base, mailbox: { address: 'b@x' }, outcome: 'notFound' },
      { ...base, mailbox: { address: 'c@x' }, outcome: 'notSearched', reason: 'noMailbox' },
      { ...base, mailbox: { address: 'd@x' }, outcome: 'notSearched', reason: 'noMailbox' },
      { ...base, mailbox: { address: 'e@x' }, outcome: 'notSearched', reason: 'accessDenied' },
    ];
    const counts = countOutcomes(list);
    assert.equal(counts.inScope, 5);
    assert.equal(counts.searched, 2);
    assert.equal(counts.found, 1);
    assert.equal(counts.notFound, 1);
    assert.equal(counts.notSearched, 3);
    assert.equal(counts.copies, 2);
    assert.deepEqual(counts.notSearchedByReason, {
      noMailbox: 2,
      mailboxNotFound: 0,
      accessDenied: 1,
      throttled: 0,
      error: 0,
      cancelled: 0,
    });
    assert.equal(counts.found + counts.notFound + counts.notSearched, counts.inScope);
    assert.deepEqual(JSON.parse(JSON.stringify(counts)), counts);
  });
});

describe('outcomeProblems', () => {
  it('accepts a consistent list and names every breach of the invariant', () => {
    assert.deepEqual(
      outcomeProblems([{ ...base, mailbox: { address: 'a@x' }, outcome: 'notSearched', reason: 'error' }]),
      [],
    );
    const problems = outcomeProblems([
      { ...base, mailbox: { address: 'a@x' }, outcome: 'notSearched' },
      { ...base, mailbox: { address: 'A@x' }, outcome: 'notFound' },
      { ...base, mailbox: { address: 'b@x' }, outcome: 'found' },
      { ...base, mailbox: { address: 'c@x' }, outcome: 'notFound', reason: 'error', copies: [copy] },
    ]);
    assert.deepEqual(problems, [
      'a@x is notSearched without a reason',
      'A@x is listed more than once',
      'b@x is found without a copy',
      'c@x is notFound with a reason',
      'c@x is notFound but has copies',
    ]);
  });
});
