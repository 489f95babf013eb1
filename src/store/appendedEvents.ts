// Counts the events this process appended, by type, once the store acknowledged them: a running ledger gives every
// store it writes to (its own, the keys', the schedules') through here, so commands, key changes and schedule slots
// are all counted without each appender knowing.
import type { AppendResult, EventStore, EventToAppend } from './port.js';

interface BulkAppend {
  appendMany(batch: readonly { readonly events: readonly EventToAppend[] }[]): Promise<AppendResult[]>;
}

/** Events appended by type since the tally began: read by the metrics at scrape time. */
export class AppendedEvents {
  private readonly byType = new Map<string, number>();
  /** Stores handed out by meter(): on EventStoreDB the keys and the schedules share the ledger's, counted once. */
  private readonly metered = new WeakSet<EventStore>();

  /**
   * The same store, counting into this tally the events of each append it acknowledges. A failed append (a conflict,
   * a lost store) counts nothing; a keyed retry the handler answers as a replay never reaches append(). Every other
   * member (backup, appendMany, databasePath) is the store's own, called on the store itself.
   */
  meter<Store extends EventStore>(store: Store): Store {
    if (this.metered.has(store)) return store;
    const record = (events: readonly EventToAppend[]): void => {
      for (const event of events) this.byType.set(event.type, (this.byType.get(event.type) ?? 0) + 1);
    };
    const append: EventStore['append'] = async (stream, events, expected) => {
      const result = await store.append(stream, events, expected);
      record(events);
      return result;
    };
    const appendMany: BulkAppend['appendMany'] = async (batch) => {
      const results = await (store as unknown as BulkAppend).appendMany(batch);
      for (const { events } of batch) record(events);
      return results;
    };
    // A member set on the metered store (a test holding appends back, say) stays on it: set on the store itself, the
    // metered append would call it and it the metered append, without end.
    const own = new Map<PropertyKey, unknown>();
    // Each method bound once, not at every access.
    const bound = new Map<PropertyKey, { readonly method: unknown; readonly bound: unknown }>();
    const metered = new Proxy(store, {
      get(target, property) {
        if (own.has(property)) return own.get(property);
        if (property === 'append') return append;
        const value: unknown = Reflect.get(target, property, target);
        if (property === 'appendMany' && typeof value === 'function') return appendMany;
        if (typeof value !== 'function') return value;
        // Bound to the store: its methods may rely on fields a proxy would not pass through.
        const known = bound.get(property);
        if (known?.method === value) return known.bound;
        const method = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(property, { method: value, bound: method });
        return method;
      },
      set(_target, property, value) {
        own.set(property, value);
        return true;
      },
    });
    this.metered.add(metered);
    return metered;
  }

  /** Events appended so far, by type. */
  get byEventType(): ReadonlyMap<string, number> {
    return this.byType;
  }
}
