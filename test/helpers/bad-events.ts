/**
 * Malformed records for the pipelines' source topics, as a producer outside streamrec could write
 * them: bad JSON, wrong types, missing fields, NaN and Infinity, huge numbers, times in year
 * 9999 and later, NUL bytes and bytes that are not UTF-8. Each says the dead-letter reason it must get.
 */
export interface BadEvent {
  what: string;
  value: string | Uint8Array;
  /** What the `reason` header of its dead-letter copy must match. */
  reason: RegExp;
}

const bytes = (...parts: (string | number[])[]) => new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))));

/** Common to every JSON codec (`codec` is its name, which starts each reason). */
function undecodable(codec: string): BadEvent[] {
  return [
    { what: 'not JSON', value: 'not json', reason: new RegExp(`^${codec} not valid JSON`) },
    { what: 'empty', value: '', reason: new RegExp(`^${codec} not valid JSON`) },
    { what: 'truncated JSON', value: '{"a":', reason: new RegExp(`^${codec} not valid JSON`) },
    { what: 'a NUL byte in the JSON', value: '{"a":1\u0000}', reason: new RegExp(`^${codec} not valid JSON`) },
    { what: 'bytes that are not UTF-8', value: bytes([0xff, 0xfe, 0x7b, 0x7d]), reason: new RegExp(`^${codec} invalid encoding`) },
    { what: 'a truncated UTF-8 sequence', value: bytes('{"a":"', [0xe2, 0x82], '"}'), reason: new RegExp(`^${codec} invalid encoding`) },
    { what: 'null', value: 'null', reason: new RegExp(`^${codec} \\(event\\): `) },
    { what: 'an array', value: '[1,2]', reason: new RegExp(`^${codec} \\(event\\): `) },
    { what: 'a number', value: '42', reason: new RegExp(`^${codec} \\(event\\): `) },
    { what: '100,000 levels deep', value: '['.repeat(100_000) + ']'.repeat(100_000), reason: new RegExp(`^${codec} (\\(event\\): |not valid JSON)`) },
  ];
}

/** A valid rating's JSON with some fields replaced (raw JSON text, so NaN and 1e999 can be written). */
function rating(fields: Record<string, string>): string {
  const f = { userId: '7', movieId: '3', rating: '4', timestamp: '1700000000000', ...fields };
  return `{${Object.entries(f).filter(([, v]) => v !== '').map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

export const BAD_RATINGS: BadEvent[] = [
  ...undecodable('rating'),
  { what: 'no timestamp', value: rating({ timestamp: '' }), reason: /^rating timestamp: / },
  { what: 'no userId', value: rating({ userId: '' }), reason: /^rating userId: / },
  { what: 'userId a string', value: rating({ userId: '"7"' }), reason: /^rating userId: / },
  { what: 'userId a NUL string', value: rating({ userId: '"\\u0000"' }), reason: /^rating userId: / },
  { what: 'userId null', value: rating({ userId: 'null' }), reason: /^rating userId: / },
  { what: 'userId negative', value: rating({ userId: '-7' }), reason: /^rating userId: / },
  { what: 'userId past 32 bits', value: rating({ userId: '2147483648' }), reason: /^rating userId: / },
  { what: 'userId huge', value: rating({ userId: '1e300' }), reason: /^rating userId: / },
  { what: 'movieId a fraction', value: rating({ movieId: '3.5' }), reason: /^rating movieId: / },
  { what: 'movieId zero', value: rating({ movieId: '0' }), reason: /^rating movieId: / },
  { what: 'rating NaN', value: rating({ rating: 'NaN' }), reason: /^rating not valid JSON/ },
  { what: 'rating 7', value: rating({ rating: '7' }), reason: /^rating rating: / },
  { what: 'rating 3.3', value: rating({ rating: '3.3' }), reason: /^rating rating: must be a multiple of 0\.5/ },
  { what: 'rating a string', value: rating({ rating: '"4.5"' }), reason: /^rating rating: / },
  { what: 'timestamp negative', value: rating({ timestamp: '-1' }), reason: /^rating timestamp: / },
  { what: 'timestamp a fraction', value: rating({ timestamp: '1700000000000.5' }), reason: /^rating timestamp: / },
  { what: 'timestamp overflowing a double', value: rating({ timestamp: '1e999' }), reason: /^rating timestamp: / },
  { what: 'timestamp in year 9999', value: rating({ timestamp: '253370764800000' }), reason: /^rating timestamp: must be epoch milliseconds before 9999-01-01/ },
  { what: 'timestamp past what a Date holds', value: rating({ timestamp: '8640000000000001' }), reason: /^rating timestamp: / },
  { what: 'timestamp, 15 digits', value: rating({ timestamp: '999999999999999' }), reason: /^rating timestamp: must be epoch milliseconds before 9999-01-01/ },
];

function click(fields: Record<string, string>): string {
  const f = { type: '"cheers"', ts: '1700000000000', ...fields };
  return `{${Object.entries(f).filter(([, v]) => v !== '').map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

export const BAD_CLICKS: BadEvent[] = [
  ...undecodable('click'),
  { what: 'an unknown type', value: click({ type: '"love"' }), reason: /^click type: / },
  { what: 'the type in capitals', value: click({ type: '"CHEERS"' }), reason: /^click type: / },
  { what: 'a NUL type', value: click({ type: '"\\u0000"' }), reason: /^click type: / },
  { what: 'the type an array', value: click({ type: '["cheers"]' }), reason: /^click type: / },
  { what: 'no ts', value: click({ ts: '' }), reason: /^click ts: / },
  { what: 'ts a string', value: click({ ts: '"1700000000000"' }), reason: /^click ts: / },
  { what: 'ts negative', value: click({ ts: '-1' }), reason: /^click ts: / },
  { what: 'ts NaN', value: click({ ts: 'NaN' }), reason: /^click not valid JSON/ },
  { what: 'ts with a leading zero (not JSON)', value: click({ ts: '01700000000000' }), reason: /^click not valid JSON/ },
  { what: 'ts overflowing a double', value: click({ ts: '1e999' }), reason: /^click ts: / },
  { what: 'ts in year 31690', value: click({ ts: '999999999999999' }), reason: /^click ts: must be epoch milliseconds before 9999-01-01/ },
  { what: 'ts past what a Date holds', value: click({ ts: '8640000000000001' }), reason: /^click ts: / },
];

/**
 * A valid commerce record's JSON as the relay writes it to its topic (a search unless the fields
 * say otherwise; no `topic` field: the topic is the log's) with fields replaced.
 */
function commerce(fields: Record<string, string>): string {
  const f = { event_id: '900001', customer_id: '5', timestamp: '1700000000000', query: '"lamp"', results_count: '3', ...fields };
  return `{${Object.entries(f).filter(([, v]) => v !== '').map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}
const transaction = (fields: Record<string, string>) =>
  commerce({ query: '', results_count: '', transaction_id: '1', total: '10.5', items_count: '1', payment_method: '"card"', ...fields });
const item = (fields: Record<string, string>) =>
  commerce({ query: '', results_count: '', transaction_id: '1', product_id: '2', product_name: '"Lamp"', category: '"Home"', unit_price: '10.5', quantity: '1', line_total: '10.5', ...fields });

/** A malformed record of one of the commerce topics (the pipeline reads all five; the server's orders follow `transactions`). */
export interface BadCommerceEvent extends BadEvent {
  topic: 'transactions' | 'transaction_items' | 'user_behavior' | 'searches' | 'cart_events';
}

const on = (topic: BadCommerceEvent['topic'], events: BadEvent[]): BadCommerceEvent[] => events.map((e) => ({ ...e, topic }));

export const BAD_COMMERCE: BadCommerceEvent[] = [
  ...on('searches', undecodable('searches event')),
  ...on('transactions', undecodable('transactions event').slice(0, 4)),
  ...on('searches', [
    { what: 'a search with no query', value: commerce({ query: '' }), reason: /^searches event query: / },
    { what: 'results_count NaN', value: commerce({ results_count: 'NaN' }), reason: /^searches event not valid JSON/ },
    { what: 'results_count negative', value: commerce({ results_count: '-3' }), reason: /^searches event results_count: / },
    { what: 'customer_id a string', value: commerce({ customer_id: '"5"' }), reason: /^searches event customer_id: / },
    { what: 'event_id a fraction', value: commerce({ event_id: '1.5' }), reason: /^searches event event_id: / },
    { what: 'event_id past 2^53', value: commerce({ event_id: '9007199254740993' }), reason: /^searches event event_id: / },
    { what: 'timestamp past what a Date holds', value: commerce({ timestamp: '8640000000000001' }), reason: /^searches event timestamp: must be epoch milliseconds before 9999-01-01/ },
  ]),
  ...on('transactions', [
    { what: 'a search on the transactions topic', value: commerce({}), reason: /^transactions event transaction_id: / },
    { what: 'a transaction with no total', value: transaction({ total: '' }), reason: /^transactions event total: / },
    { what: 'a total of Infinity', value: transaction({ total: '1e999' }), reason: /^transactions event total: / },
    { what: 'a total near the double\'s limit', value: transaction({ total: '1e308' }), reason: /^transactions event total: must be an amount from/ },
    { what: 'a total a string', value: transaction({ total: '"10.50"' }), reason: /^transactions event total: / },
    { what: 'items_count negative', value: transaction({ items_count: '-1' }), reason: /^transactions event items_count: / },
    { what: 'a transaction timestamp past what a Date holds', value: transaction({ timestamp: '8640000000000001' }), reason: /^transactions event timestamp: / },
    { what: 'a transaction_id a string', value: transaction({ transaction_id: '"x"' }), reason: /^transactions event transaction_id: / },
  ]),
  ...on('transaction_items', [
    { what: 'a line total of -1e308', value: item({ line_total: '-1e308' }), reason: /^transaction_items event line_total: must be an amount from/ },
    { what: 'a quantity past 2^53', value: item({ quantity: '1e20' }), reason: /^transaction_items event quantity: / },
    { what: 'the category "__proto__"', value: item({ category: '"__proto__"' }), reason: /^transaction_items event category: cannot be "__proto__"/ },
  ]),
  ...on('cart_events', [
    { what: 'a cart action not add or remove', value: commerce({ query: '', results_count: '', action: '"steal"', product_id: '2', quantity: '1' }), reason: /^cart_events event action: / },
  ]),
  ...on('user_behavior', [
    { what: 'a behaviour product_id a word', value: commerce({ query: '', results_count: '', action: '"page_view"', product_id: '"x"', page: 'null' }), reason: /^user_behavior event product_id: / },
  ]),
];
