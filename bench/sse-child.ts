/** The SSE side of the api bench, in its own process: N clients; reports each delivery's delay. */
import { sseConnect, waitFor } from '../test/helpers/sse-client.js';

const [url, countArg, roundsArg] = process.argv.slice(2);
const count = Number(countArg);
const rounds = Number(roundsArg);
const clients = Array.from({ length: count }, () => sseConnect(url!));
await waitFor(() => clients.every((c) => c.events.length > 0), 60_000, 'connections');
process.send!({ type: 'connected' });
await new Promise((resolve) => process.once('message', resolve));
const delays: number[] = [];
let missing = 0;
for (const c of clients) {
  for (let round = 0; round < rounds; round++) {
    const e = c.events.find((ev) => ev.data.startsWith(`{"bench_round":${round},`));
    if (!e) missing++;
    else delays.push(e.receivedAt - (JSON.parse(e.data) as { sentAt: number }).sentAt);
  }
}
process.send!({ type: 'result', delays, missing }, () => {
  for (const c of clients) c.close();
  process.exit(0);
});
