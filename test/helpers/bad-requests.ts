/**
 * Malformed HTTP requests for every route of the app: wrong types, huge and negative numbers,
 * NaN and Infinity, unicode, NUL bytes and broken percent-encoding in path parameters and query
 * strings, path traversal in every path parameter and on static files, duplicate and array-style
 * query parameters, bad JSON, wrong content types, empty and oversized bodies, wrong methods. The
 * routes come from the app itself (`route-table.ts`) and their parameters from its OpenAPI
 * document, so a new route is covered without an edit here.
 */
import type { RawRequest } from './raw-http.js';
import type { RouteEntry } from './route-table.js';

export interface BadRequest {
  /** The route it is aimed at (`GET /recommendations/recommend/:user_id`). */
  route: string;
  /** What is wrong with it, for the failure message. */
  what: string;
  request: RawRequest;
}

/** What the OpenAPI document says of one operation (only what the catalogue reads). */
interface Operation {
  parameters?: { name: string; in: string; example?: unknown; schema?: { type?: string; enum?: unknown[] } }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown>; oneOf?: unknown[] } }> };
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
}

/** Values for a path segment, percent-encoded as they go on the wire. */
export const BAD_SEGMENTS: [string, string][] = [
  ['negative', '-1'],
  ['zero', '0'],
  ['a fraction', '1.5'],
  ['past the 32-bit ids', '2147483648'],
  ['huge', '99999999999999999999999999'],
  ['overflowing a double', '1e309'],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['-Infinity', '-Infinity'],
  ['hex', '0x10'],
  ['a word', 'abc'],
  ['NUL', '%00'],
  ['NUL inside', '1%001'],
  ['unicode', '%F0%9F%92%A9%C3%A9'],
  ['broken percent-encoding', '%E0%A4%A'],
  ['a lone percent', '%'],
  ['invalid UTF-8', '%FF%FE'],
  ['a space', '%20'],
  ['CRLF', '%0D%0ASet-Cookie:%20x=1'],
  ['traversal', '..%2F..%2F..%2Fetc%2Fpasswd'],
  ['encoded traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['double-encoded traversal', '..%252F..%252Fetc%252Fpasswd'],
  ['backslash traversal', '..%5C..%5Cetc%5Cpasswd'],
  ['5,000 characters', '9'.repeat(5000)],
  ['JSON', '%7B%22a%22%3A1%7D'],
];

/** Values for a query parameter, percent-encoded (as `name=<value>`). */
export const BAD_QUERY_VALUES: [string, string][] = [
  ['a word', 'abc'],
  ['negative', '-5'],
  ['zero', '0'],
  ['a fraction', '2.5'],
  ['huge', '99999999999999999999999'],
  ['overflowing a double', '1e309'],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['empty', ''],
  ['NUL', '%00'],
  ['unicode', '%F0%9F%92%A9'],
  ['invalid UTF-8', '%FF'],
  ['broken percent-encoding', '%E0%A4%A'],
  ['traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['3,000 characters', 'x'.repeat(3000)],
  ['an object', '%7B%22%24gt%22%3A1%7D'],
  ['a time past year 9999', '10000-01-01T00%3A00%3A00Z'],
  ['year 0', '0000-01-01T00%3A00%3A00Z'],
  ['an impossible date', '2025-02-30T25%3A61%3A61Z'],
  ['a leap second', '2016-12-31T23%3A59%3A60Z'],
  ['a list with a bad item', '1%2C2%2Cx%2C-4'],
];

/** Query strings wrong whatever the route: unknown, prototype-polluting, duplicated, malformed. */
export const BAD_QUERY_STRINGS: [string, string][] = [
  ['an unknown parameter', 'zzz=1'],
  ['__proto__', '__proto__%5Bpolluted%5D=1'],
  ['constructor.prototype', 'constructor%5Bprototype%5D%5Bpolluted%5D=1'],
  ['a NUL name', '%00=1'],
  ['no name', '=1'],
  ['only separators', '&&&='],
  ['a broken name', '%E0%A4%A=1'],
  ['8,000 characters', `q=${'y'.repeat(8000)}`],
];

const JSON_TYPE = 'application/json';

/** Bodies wrong for any JSON route: [what, content type, body]. */
export function badBodies(limitBytes: number): [string, string | null, string | Buffer][] {
  return [
    ['truncated JSON', JSON_TYPE, '{"a":'],
    ['an unclosed array', JSON_TYPE, '[1,2'],
    ['not JSON', JSON_TYPE, 'hello'],
    ['NaN (not JSON)', JSON_TYPE, '{"n":NaN}'],
    ['a trailing comma', JSON_TYPE, '{"a":1,}'],
    ['an empty body', JSON_TYPE, ''],
    ['only whitespace', JSON_TYPE, '   '],
    ['null', JSON_TYPE, 'null'],
    ['a number', JSON_TYPE, '42'],
    ['a string', JSON_TYPE, '"x"'],
    ['an empty object', JSON_TYPE, '{}'],
    ['an empty array', JSON_TYPE, '[]'],
    ['an array of numbers', JSON_TYPE, '[1,2,3]'],
    ['__proto__', JSON_TYPE, '{"__proto__":{"polluted":1}}'],
    ['constructor.prototype', JSON_TYPE, '{"constructor":{"prototype":{"polluted":1}}}'],
    ['a NUL string', JSON_TYPE, '{"type":"\\u0000","user_id":"\\u0000"}'],
    ['a lone surrogate', JSON_TYPE, '{"type":"\\ud800","user_id":"\\udfff"}'],
    ['invalid UTF-8', JSON_TYPE, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['a UTF-16 body', 'application/json; charset=utf-16', Buffer.from('{"a":1}', 'utf16le')],
    ['10,000 levels deep', JSON_TYPE, '['.repeat(10_000) + ']'.repeat(10_000)],
    ['100,000 levels deep', JSON_TYPE, '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)],
    ['text/plain', 'text/plain', '{"type":"cheers"}'],
    ['a form', 'application/x-www-form-urlencoded', 'type=cheers&user_id=1'],
    ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
    ['XML', 'application/xml', '<a>1</a>'],
    ['no content type', null, '{"type":"cheers"}'],
    ['a garbage content type', '\u00ff/\u00ff', '{}'],
    [`over the body limit (${limitBytes + 1} bytes)`, JSON_TYPE, `{"pad":"${'x'.repeat(limitBytes)}"}`],
    ['4 MiB', JSON_TYPE, `[${'{"type":"cheers"},'.repeat(240_000)}{"type":"cheers"}]`],
  ];
}

/** Values of the wrong kind for a body field. */
export const BAD_FIELD_VALUES: [string, unknown][] = [
  ['a string', 'abc'],
  ['a numeric string', '7'],
  ['negative', -1],
  ['zero', 0],
  ['a fraction', 1.5],
  ['huge', 1e300],
  ['past the 32-bit ids', 2 ** 31],
  ['null', null],
  ['a boolean', true],
  ['an array', [1]],
  ['an object', { a: 1 }],
  ['a NUL string', '\u0000'],
  ['unicode', '💩é'],
  ['10,000 characters', 'z'.repeat(10_000)],
];

/** `:param` and `*` segments of a route path. */
function params(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)|\*/g)].map((m) => m[0]);
}

/**
 * The route's path with one parameter set to `value` and every other to a valid one (the
 * document's example or first enum value, else `1`), so that bodies and queries reach the handler.
 */
function fill(path: string, op: Operation | undefined, target: string | null, value: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)|\*/g, (p, name: string | undefined) => {
    if (p === target) return value;
    if (p === '*') return 'index.html';
    const doc = op?.parameters?.find((x) => x.in === 'path' && x.name === name);
    return encodeURIComponent(String(doc?.example ?? doc?.schema?.enum?.[0] ?? 1));
  });
}

/** The OpenAPI operation of a route, if documented (`/a/:b` is `/a/{b}` there). */
function operationOf(doc: OpenApiDoc, method: string, path: string): Operation | undefined {
  const key = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
  return doc.paths[key]?.[method.toLowerCase()];
}

function bodyFields(op: Operation | undefined): string[] {
  const schema = op?.requestBody?.content?.[JSON_TYPE]?.schema;
  const fields = new Set<string>(Object.keys(schema?.properties ?? {}));
  for (const alt of schema?.oneOf ?? []) {
    const a = alt as { properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } };
    for (const k of Object.keys(a.properties ?? a.items?.properties ?? {})) fields.add(k);
  }
  return [...fields];
}

/** Every malformed request for the routes, in a fixed order. */
export function badRequests(routes: RouteEntry[], doc: OpenApiDoc, options: { bodyLimitBytes: number }): BadRequest[] {
  const out: BadRequest[] = [];
  const add = (route: RouteEntry, what: string, request: RawRequest) => out.push({ route: `${route.method} ${route.path}`, what, request });
  for (const route of routes) {
    const { method, path } = route;
    const op = operationOf(doc, method === 'HEAD' ? 'GET' : method, path);
    const base = fill(path, op, null, '');
    const headers = { accept: 'application/json' };

    for (const p of params(path)) {
      for (const [what, value] of BAD_SEGMENTS) add(route, `${p} ${what}`, { method, path: fill(path, op, p, value), headers });
    }

    if (method === 'GET' || method === 'HEAD') {
      const queryParams = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const names = method === 'HEAD' ? queryParams.slice(0, 1) : queryParams;
      for (const name of names) {
        const values = method === 'HEAD' ? BAD_QUERY_VALUES.slice(0, 4) : BAD_QUERY_VALUES;
        for (const [what, value] of values) add(route, `?${name} ${what}`, { method, path: `${base}?${name}=${value}`, headers });
        add(route, `?${name} twice`, { method, path: `${base}?${name}=1&${name}=2`, headers });
        add(route, `?${name} twice, different types`, { method, path: `${base}?${name}=abc&${name}=5`, headers });
        add(route, `?${name}[]`, { method, path: `${base}?${name}%5B%5D=1`, headers });
        add(route, `?${name}[a]`, { method, path: `${base}?${name}%5Ba%5D=1`, headers });
      }
      const strings = method === 'HEAD' ? BAD_QUERY_STRINGS.slice(0, 2) : BAD_QUERY_STRINGS;
      for (const [what, qs] of strings) add(route, `query: ${what}`, { method, path: `${base}?${qs}`, headers });
      if (method === 'GET') {
        add(route, 'a JSON body on a GET', { method, path: base, headers: { ...headers, 'content-type': JSON_TYPE }, body: '{"a":' });
        add(route, 'Last-Event-ID garbage', { method, path: base, headers: { ...headers, 'last-event-id': '-1e309:abc' } });
        add(route, 'an unsatisfiable Range', { method, path: base, headers: { ...headers, range: 'bytes=999999999-' } });
        add(route, 'a malformed Range', { method, path: base, headers: { ...headers, range: 'bytes=abc' } });
      }
    }

    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      for (const [what, type, body] of badBodies(options.bodyLimitBytes)) {
        add(route, `body: ${what}`, { method, path: base, headers: type === null ? { ...headers } : { ...headers, 'content-type': type }, body });
      }
      for (const field of bodyFields(op)) {
        for (const [what, value] of BAD_FIELD_VALUES) {
          add(route, `body .${field} ${what}`, { method, path: base, headers: { ...headers, 'content-type': JSON_TYPE }, body: JSON.stringify({ [field]: value }) });
        }
        add(route, `body .${field} overflowing a double`, { method, path: base, headers: { ...headers, 'content-type': JSON_TYPE }, body: `{"${field}":1e999}` });
        add(route, `body .${field} twice`, { method, path: base, headers: { ...headers, 'content-type': JSON_TYPE }, body: `{"${field}":1,"${field}":"x"}` });
      }
      add(route, 'a bad bearer token', { method, path: base, headers: { ...headers, 'content-type': JSON_TYPE, authorization: 'Bearer \u00ff'.repeat(3) }, body: '{}' });
    }

    // A method the route does not take.
    if (method === 'GET') add(route, 'DELETE', { method: 'DELETE', path: base, headers });
    if (method === 'POST') add(route, 'PUT', { method: 'PUT', path: base, headers, body: '{}' });
  }
  return out;
}

/** Path traversal against the static files and the docs' assets, as raw request targets. */
export const TRAVERSALS: string[] = [
  '/../../../../etc/passwd',
  '/..%2f..%2f..%2f..%2fetc%2fpasswd',
  '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/%252e%252e%252f%252e%252e%252fetc%252fpasswd',
  '/..%5c..%5c..%5cetc%5cpasswd',
  '/.%2e/.%2e/.%2e/package.json',
  '//etc/passwd',
  '/app.js/../../package.json',
  '/app.js/..%2f..%2fpackage.json',
  '/index.html%00.js',
  '/index.html%00',
  '/clicker.html/%2e%2e/%2e%2e/package.json',
  '/docs/static/../../../../package.json',
  '/docs/static/..%2f..%2f..%2f..%2fpackage.json',
  '/docs/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
  '/docs/static/%252e%252e%252fpackage.json',
  '/docs/..%2f..%2f..%2fpackage.json',
  '/docs/static/index.html%00',
  '/docs/static/%00',
  '/docs/static/..%5c..%5cpackage.json',
  '/docs/%E0%A4%A',
  '/%E0%A4%A',
  '/%FF%FE',
  `/${'a/'.repeat(2000)}`,
];

const H = 'Host: 127.0.0.1\r\nConnection: close\r\n';
const POST_JSON = `POST /clicks HTTP/1.1\r\n${H}Content-Type: application/json\r\n`;

/**
 * Requests an HTTP client will not send, written as bytes: [what, bytes, whether Fastify answers
 * it (with the error shape) — Node itself answers a request without Host with a bare 400, and
 * closes the connection on a version or method it does not speak].
 */
export const RAW_REQUESTS: [string, string, 'shaped' | 'bare 400' | 'closed'][] = [
  ['garbage', 'GARBAGE\r\n\r\n', 'shaped'],
  ['a NUL in the target', `GET /\u0000 HTTP/1.1\r\n${H}\r\n`, 'shaped'],
  ['a NUL in a header', `GET /metrics/health HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`, 'shaped'],
  ['a bare CR in a header', `GET /metrics/health HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, 'shaped'],
  ['a Content-Length that is a word', `${POST_JSON}Content-Length: abc\r\n\r\n{}`, 'shaped'],
  ['a negative Content-Length', `${POST_JSON}Content-Length: -1\r\n\r\n{}`, 'shaped'],
  ['two Content-Lengths', `${POST_JSON}Content-Length: 2\r\nContent-Length: 20\r\n\r\n{}`, 'shaped'],
  ['Content-Length and chunked (smuggling)', `${POST_JSON}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'shaped'],
  ['a bad chunk size', `${POST_JSON}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 'shaped'],
  ['a body shorter than its Content-Length', `${POST_JSON}Content-Length: 100\r\n\r\n{"type":`, 'shaped'],
  ['a 20 KB header', `GET /metrics/health HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 'shaped'],
  ['a 20 KB target', `GET /metrics/health?${'a'.repeat(20_000)} HTTP/1.1\r\n${H}\r\n`, 'shaped'],
  ['an unknown method', `FOO /metrics/health HTTP/1.1\r\n${H}\r\n`, 'shaped'],
  ['an absolute URI with traversal', `GET http://evil.example/../../etc/passwd HTTP/1.1\r\n${H}\r\n`, 'shaped'],
  ['OPTIONS *', `OPTIONS * HTTP/1.1\r\n${H}\r\n`, 'shaped'],
  ['no Host', 'GET /metrics/health HTTP/1.1\r\nConnection: close\r\n\r\n', 'bare 400'],
  ['HTTP/2.0 in an HTTP/1 request line', `GET / HTTP/2.0\r\n${H}\r\n`, 'closed'],
  ['HTTP/0.9', 'GET /\r\n\r\n', 'closed'],
  ['CONNECT', `CONNECT evil.example:443 HTTP/1.1\r\n${H}\r\n`, 'closed'],
];
