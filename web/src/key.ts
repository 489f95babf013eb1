// The reader's API key: in this tab's sessionStorage only, so it goes when the tab does and is never in the address.
const STORAGE_KEY = 'funding-ledger.read-key';

export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch (_error) {
    // Storage can be switched off; the key then lives as long as the page.
    return memoryKey;
  }
}

let memoryKey: string | undefined;

export function storeKey(key: string | undefined): void {
  memoryKey = key;
  try {
    if (key === undefined) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch (_error) {
    // See storedKey.
  }
}
