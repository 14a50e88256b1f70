/**
 * Measures the round-trip time a DelayProxy really adds (timers fire late
 * on a loaded machine): a one-byte TCP echo through a proxy of the same
 * setting, `n` times in sequence; the median.
 */
import { createServer, connect, type AddressInfo } from 'node:net';
import { percentile } from '../issue/report.js';
import { startDelayProxy } from './delay-proxy.js';

export async function measureRtt(rttMs: number, n = 15): Promise<number> {
  const echo = createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  const proxy = await startDelayProxy({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port }, rttMs);
  const sock = connect(proxy.port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        sock.once('data', () => resolve());
        sock.write(Buffer.of(i & 0xff));
      });
      times.push(performance.now() - t0);
    }
  } finally {
    sock.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  }
  return percentile(times, 50);
}
