/**
 * The soak's SSE side, in its own process: keeps `count` clients on the stream, each staying a
 * random 5–30 s and then leaving and coming back (with its Last-Event-ID), and counts what a user
 * would call an error: a refused or failed connection, a status other than 200, a frame whose data
 * is not JSON. Reports totals when told to stop.
 */
import http from 'node:http';

const [url, countArg] = process.argv.slice(2);
const count = Number(countArg);
let errors = 0;
const errorSamples: string[] = [];
let connects = 0;
let frames = 0;
let stopping = false;

function error(what: string) {
  errors++;
  if (errorSamples.length < 10) errorSamples.push(what);
}

function client(slot: number, lastId: string | null): void {
  if (stopping) return;
  connects++;
  const stayMs = 5000 + Math.random() * 25_000;
  let id = lastId;
  let leaving = false;
  const req = http.get(url!, { headers: { Accept: 'text/event-stream', ...(id ? { 'Last-Event-ID': id } : {}) } }, (res) => {
    if (res.statusCode !== 200) {
      error(`status ${res.statusCode}`);
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('data: ')) {
            frames++;
            try {
              JSON.parse(line.slice(6));
            } catch {
              error(`frame data is not JSON: ${line.slice(6, 80)}`);
            }
          }
        }
      }
    });
    res.on('error', (err) => {
      if (!leaving && !stopping) error(`stream: ${err.message}`);
    });
  });
  req.on('error', (err) => {
    if (!leaving && !stopping) error(`connect: ${err.message}`);
  });
  setTimeout(() => {
    leaving = true;
    req.destroy();
    setTimeout(() => client(slot, id), 200 + Math.random() * 1000);
  }, stayMs).unref();
}

for (let i = 0; i < count; i++) setTimeout(() => client(i, null), Math.random() * 5000);
process.on('message', () => {
  stopping = true;
  process.send!({ errors, errorSamples, connects, frames }, () => process.exit(0));
});
setInterval(() => {}, 1 << 30);
