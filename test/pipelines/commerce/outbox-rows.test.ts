import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { positionAfter, recordOf, recordValue, splitOutboxPage } from '../../../src/pipelines/commerce/shop/outbox-rows.js';

/** A page as PostgreSQL's OUTBOX_PAGE_SELECT joins it. */
const page = (rows: (string | number)[][]) => rows.map((r) => r.join('\x01')).join('\x02');

describe('an outbox page as one text value', () => {
  it('cuts into the rows, each already its log record (event_id first), with the position after it', () => {
    const rows = splitOutboxPage(
      page([
        // As the store writes payloads (with their event_id), and as rows written before that (without).
        ['transactions', 7, 1765011234567, '812', 41, '{"event_id":41,"customer_id":7,"timestamp":1765011234567,"total":12.5}'],
        ['searches', 12, 1765011234999, '813', 40, '{"customer_id":12,"query":"tab\\there \u0001 and ☕"}'],
      ]),
      2,
    );
    assert.deepEqual(rows, [
      { topic: 'transactions', key: '7', value: '{"event_id":41,"customer_id":7,"timestamp":1765011234567,"total":12.5}', timestamp: 1765011234567, id: 41, xid: '812' },
      // The payload is the last field: a separator inside it is part of it.
      { topic: 'searches', key: '12', value: '{"event_id":40,"customer_id":12,"query":"tab\\there \u0001 and ☕"}', timestamp: 1765011234999, id: 40, xid: '813' },
    ]);
    assert.deepEqual(positionAfter(rows![1]!), { id: 40, xid: '813' });
  });

  it('gives the rows in outbox order (xid as a number, then id) even if the page was joined in another', () => {
    const rows = splitOutboxPage(page([['searches', 1, 5, '100', 3, '{}'], ['searches', 1, 5, '10', 7, '{}'], ['searches', 1, 5, '9', 8, '{}'], ['searches', 1, 5, '10', 2, '{}']]), 4);
    assert.deepEqual(rows!.map((r) => `${r.xid}/${r.id}`), ['9/8', '10/2', '10/7', '100/3']);
  });

  it('refuses a page that does not hold the rows counted (a row separator inside a payload) or a row missing fields', () => {
    assert.equal(splitOutboxPage(page([['searches', 1, 5, '9', 1, '{"q":"a\u0002b"}']]), 1), null);
    assert.equal(splitOutboxPage(page([['searches', 1, 5, '9', '{"q":1}']]), 1), null);
    assert.equal(splitOutboxPage(page([['searches', 1, 5, '9', 1, 'not an object']]), 1), null);
  });

  it('puts the outbox id first in a drafted payload, and takes a stored one as it is', () => {
    assert.equal(recordValue(5, '{"customer_id":1}'), '{"event_id":5,"customer_id":1}');
    assert.equal(recordOf(5, '{"event_id":5,"customer_id":1}'), '{"event_id":5,"customer_id":1}');
    assert.equal(recordOf(5, '{"customer_id":1}'), '{"event_id":5,"customer_id":1}');
  });
});
