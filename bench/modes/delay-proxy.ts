/**
 * A network with round-trip time for bench/modes.ts: a TCP proxy between
 * the kiosk and the embedded broker that holds every chunk it reads for
 * RTT/2 before passing it on, in each direction, in order. The kiosk's
 * mutual TLS runs through it untouched (it sees ciphertext only), so what
 * it counts are the bytes a real link would carry: TLS records of MQTT
 * packets, PUBACKs and pings included.
 *
 * Order: every chunk of one direction waits the same time, so a FIFO queue
 * with one timer at its head keeps them in order. Bandwidth is not modelled
 * (loopback): only latency, as `tc netem delay` would add it.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface DelayProxy {
  /** The port the kiosk connects to (127.0.0.1). */
  readonly port: number;
  /** Bytes passed so far, kiosk → broker and broker → kiosk. */
  bytes(): { up: number; down: number };
  close(): Promise<void>;
}

/** One direction: chunks leave `delayMs` after they arrived, in arrival order. */
class DelayedPipe {
  readonly #queue: { due: number; chunk: Buffer }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(
    private readonly to: Socket,
    private readonly delayMs: number,
    private readonly count: (n: number) => void,
  ) {}

  push(chunk: Buffer): void {
    this.count(chunk.length);
    if (this.delayMs === 0 && this.#queue.length === 0) {
      this.to.write(chunk);
      return;
    }
    this.#queue.push({ due: performance.now() + this.delayMs, chunk });
    this.#arm();
  }

  /** The source ended: end the destination once the queue has drained. */
  end(): void {
    this.#ended = true;
    if (this.#queue.length === 0) this.to.end();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, this.#queue[0]!.due - performance.now()));
  }

  #flush(): void {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now + 0.5) this.to.write(this.#queue.shift()!.chunk);
    if (this.#queue.length > 0) this.#arm();
    else if (this.#ended) this.to.end();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

/** Listens on a free loopback port and forwards each connection to `target` with RTT `rttMs` (RTT/2 each way). */
export async function startDelayProxy(target: { host: string; port: number }, rttMs: number): Promise<DelayProxy> {
  const oneWay = rttMs / 2;
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const broker = connect(target.port, target.host);
    for (const s of [client, broker]) {
      // Nagle would add its own waits on top of the modelled ones.
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    const toBroker = new DelayedPipe(broker, oneWay, (n) => (up += n));
    const toClient = new DelayedPipe(client, oneWay, (n) => (down += n));
    client.on('data', (c: Buffer) => toBroker.push(c));
    broker.on('data', (c: Buffer) => toClient.push(c));
    client.on('end', () => toBroker.end());
    broker.on('end', () => toClient.end());
    const fail = (): void => {
      toBroker.stop();
      toClient.stop();
      client.destroy();
      broker.destroy();
    };
    client.on('error', fail);
    broker.on('error', fail);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    bytes: () => ({ up, down }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
