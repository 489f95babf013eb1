// Request bodies for POST /announcements under load: every one a new announcement, each with its own Idempotency-Key.
import { randomUUID } from 'node:crypto';

const COUNTRIES = ['GB', 'RS', 'XK', 'MK', 'BA', 'AL', 'UA', 'MD', 'GE', 'TR', 'NG', 'KE', 'ET', 'PK', 'BD', 'IN'];

export function announcementBodies(programmes: readonly string[]): () => { body: string; idempotencyKey: string } {
  if (programmes.length === 0) throw new Error('no registered programme to announce under');
  const run = randomUUID().slice(0, 8);
  let index = 0;
  return () => {
    index += 1;
    const currency = index % 5 === 0 ? 'EUR' : 'GBP';
    const body = {
      id: randomUUID(),
      funder: index % 7 === 0 ? 'DE' : 'GB',
      programme: programmes[index % programmes.length],
      title: `Benchmark announcement ${run}-${index}`,
      announcedOn: `${2015 + (index % 12)}-${String(1 + (index % 12)).padStart(2, '0')}-${String(1 + (index % 28)).padStart(2, '0')}`,
      amount: { value: `${10_000 + ((index * 7919) % 9_990_000)}.${String(index % 100).padStart(2, '0')}`, currency },
      country: COUNTRIES[index % COUNTRIES.length],
      tags: ['benchmark'],
    };
    return { body: JSON.stringify(body), idempotencyKey: `bench-${run}-${index}` };
  };
}
