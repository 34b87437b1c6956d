import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  forEachIdLine,
  MAX_MESSAGE_ID_LENGTH,
  MessageIdError,
  parseMessageId,
  readMessageIds,
} from '../../src/investigate/message-id.ts';

describe('parseMessageId', () => {
  const valid: [string, string][] = [
    [
      '<d9683b4c-127b-413a-ae2e-fa7dfb32c69d@contoso.com>',
      '<d9683b4c-127b-413a-ae2e-fa7dfb32c69d@contoso.com>',
    ],
    ['d9683b4c@contoso.com', '<d9683b4c@contoso.com>'],
    ['  <CAF+ab=cd@mail.gmail.com>\t', '<CAF+ab=cd@mail.gmail.com>'],
    ["<it's!#$%&*/=?^_`{|}~-x@example.com>", "<it's!#$%&*/=?^_`{|}~-x@example.com>"],
    ['<a.b.c@[10.0.0.1]>', '<a.b.c@[10.0.0.1]>'],
    ['<PH0PR12MB1234+ab12=@contoso-helpdesk.com>', '<PH0PR12MB1234+ab12=@contoso-helpdesk.com>'],
    ['<ünïcode@exämple.com>', '<ünïcode@exämple.com>'],
  ];
  for (const [input, canonical] of valid) {
    it(`accepts ${JSON.stringify(input)}`, () => assert.equal(parseMessageId(input), canonical));
  }

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['abc', /no '@'/],
    ['<abc@x.com', /starts with '<' but does not end with '>'/],
    ['abc@x.com>', /ends with '>'/],
    ['<a b@x.com>', /space/],
    ['<a\u0000b@x.com>', /control character/],
    ['<a\nb@x.com>', /control character/],
    ['<a<b@x.com>', /'<' or '>' inside/],
    ['<@x.com>', /nothing comes before/],
    ['<abc@>', /nothing comes after/],
    ['<a@b@x.com>', /more than one '@'/],
    ['<a..b@x.com>', /part before the '@'/],
    ['<.a@x.com>', /part before the '@'/],
    ['<a(b)@x.com>', /part before the '@'/],
    ['<a@x..com>', /part after the '@'/],
    ['<a@[x]y>', /part after the '@'/],
    ["<x' or 1 eq 1 or internetMessageId eq 'y@z>", /space/],
  ];
  for (const [input, reason] of invalid) {
    it(`rejects ${JSON.stringify(input)} saying why`, () => {
      assert.throws(
        () => parseMessageId(input),
        (error: unknown) => {
          assert.ok(error instanceof MessageIdError);
          assert.match(error.reason, reason);
          assert.match(error.message, /a valid id looks like <.+@.+>/);
          return true;
        },
      );
    });
  }

  it('enforces the 998-character limit on the canonical form', () => {
    const domain = '@example.com';
    const fits = 'a'.repeat(MAX_MESSAGE_ID_LENGTH - 2 - domain.length) + domain;
    assert.equal(parseMessageId(fits).length, MAX_MESSAGE_ID_LENGTH);
    assert.throws(() => parseMessageId(`b${fits}`), /999 characters long; the limit is 998/);
  });

  it('never echoes control characters or a huge input in its message', () => {
    const error = (() => {
      try {
        parseMessageId(`<${'x'.repeat(2000)}\u0007@y>`);
      } catch (e) {
        return e as MessageIdError;
      }
      return undefined;
    })();
    assert.ok(error);
    assert.ok(!error.message.includes('\u0007'));
    assert.ok(error.message.length < 400, `message is ${error.message.length} characters`);
  });

  it('names where the bad id came from', () => {
    assert.throws(() => parseMessageId('nope', 'line 3 of ids.txt'), /\(line 3 of ids\.txt\)/);
  });
});

describe('readMessageIds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-ids-'));

  it('reads arguments, then the file, then stdin; skips blanks and comments; keeps the first of duplicates', async () => {
    const file = join(dir, 'ids.txt');
    writeFileSync(file, '\uFEFF# reported by the SOC\r\n\r\n<b@x.com>\r\n  c@x.com  \r\n<a@x.com>\r\n');
    const ids = await readMessageIds(
      ['a@x.com', '<b@x.com>'],
      file,
      Readable.from(['d@x.com\n# done\n', 'b@x.com']),
    );
    assert.deepEqual(ids, ['<a@x.com>', '<b@x.com>', '<c@x.com>', '<d@x.com>']);
  });

  it('says which line of which source is wrong', async () => {
    const file = join(dir, 'bad.txt');
    writeFileSync(file, 'a@x.com\n\nnot an id\n');
    await assert.rejects(readMessageIds([], file), (error: unknown) => {
      assert.ok(error instanceof MessageIdError);
      assert.equal(error.where, `line 3 of ${file}`);
      return true;
    });
    await assert.rejects(readMessageIds(['ok@x.com', 'bad'], undefined, undefined), /argument 2/);
    await assert.rejects(readMessageIds([], undefined, 'ok@x.com\nbad'), /line 2 of stdin/);
  });

  it('refuses to run with no id at all', async () => {
    await assert.rejects(readMessageIds([], undefined, '# nothing\n\n'), /no message id was given/);
  });

  it('reports line numbers of the raw text', () => {
    const seen: [string, number][] = [];
    forEachIdLine('# c\n\n x@y \n', (line, n) => seen.push([line, n]));
    assert.deepEqual(seen, [['x@y', 3]]);
  });

  it("reads a line starting with '#' as an id unless '#' is followed by a space or ends the line", async () => {
    const seen: string[] = [];
    forEachIdLine('#\n# comment\n\t#\tcomment too\n#a1@example.com\n<#b2@example.com>\n', (line) =>
      seen.push(line),
    );
    assert.deepEqual(seen, ['#a1@example.com', '<#b2@example.com>']);
    assert.deepEqual(await readMessageIds([], undefined, '# ids\n#a1@example.com\n'), ['<#a1@example.com>']);
  });
});
