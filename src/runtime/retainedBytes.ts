// What an object graph holds in memory, walked: typed arrays by their whole buffers (capacity, not used length),
// collections and objects by their entries. For bounding caches of projection states in bytes, where an estimate
// from used lengths came to half of what the process really kept (measured in the heavy-work bench).
import type { Steps } from './timeSlice.js';

/** V8's costs, roughly: a header per object, a slot per property or element, an entry in a hash table. */
const OBJECT_BYTES = 32;
const SLOT_BYTES = 8;
const MAP_ENTRY_BYTES = 40;
const STRING_BYTES = 16;

/** Objects walked between two points where a sliced run may pause. */
const OBJECTS_PER_STEP = 4096;

/** The bytes `root` holds, as steps (see timeSlice.ts); what `skip` names (a property name) is left out. */
export function* retainedBytesSteps(root: unknown, skip: ReadonlySet<string> = new Set()): Steps<number> {
  const seen = new Set<object>();
  const buffers = new Set<ArrayBufferLike>();
  const pending: unknown[] = [root];
  let bytes = 0;
  let walked = 0;
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      bytes += STRING_BYTES + value.length * 2;
      continue;
    }
    if (typeof value === 'bigint') {
      bytes += STRING_BYTES + 8;
      continue;
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (++walked % OBJECTS_PER_STEP === 0) yield;
    if (ArrayBuffer.isView(value)) {
      bytes += OBJECT_BYTES;
      if (!buffers.has(value.buffer)) {
        buffers.add(value.buffer);
        bytes += value.buffer.byteLength;
      }
    } else if (value instanceof Map) {
      bytes += OBJECT_BYTES + value.size * MAP_ENTRY_BYTES;
      for (const [key, entry] of value) pending.push(key, entry);
    } else if (value instanceof Set) {
      bytes += OBJECT_BYTES + value.size * MAP_ENTRY_BYTES;
      for (const entry of value) pending.push(entry);
    } else if (Array.isArray(value)) {
      bytes += OBJECT_BYTES + value.length * SLOT_BYTES;
      for (const entry of value) pending.push(entry);
    } else {
      const entries = Object.entries(value);
      bytes += OBJECT_BYTES + entries.length * SLOT_BYTES;
      for (const [name, entry] of entries) if (!skip.has(name)) pending.push(entry);
    }
  }
  return bytes;
}
