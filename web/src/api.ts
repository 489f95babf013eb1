// Requests to the ledger's API from the page: same origin, the key (when there is one) as a Bearer header.
import { storedKey } from './key.js';

export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  /** The request fields at fault (400). */
  readonly errors?: readonly { readonly field?: string; readonly message?: string }[];
}

/** A refusal from the API; 401 (no valid key) and 403 (key without the read scope) are what the page acts on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `the ledger answered HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export function authorizationHeaders(): Record<string, string> {
  const key = storedKey();
  return key === undefined ? {} : { authorization: `Bearer ${key}` };
}

async function refusal(response: Response): Promise<ApiError> {
  let problem: Problem | undefined;
  try {
    problem = (await response.json()) as Problem;
  } catch (_error) {
    problem = undefined;
  }
  return new ApiError(response.status, problem);
}

export async function getJson<T>(path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<T> {
  const url = params === undefined || params.size === 0 ? path : `${path}?${params.toString()}`;
  const response = await fetch(url, {
    headers: { accept: 'application/json', ...authorizationHeaders() },
    cache: 'no-store',
    signal: signal ?? null,
  });
  if (!response.ok) throw await refusal(response);
  return (await response.json()) as T;
}

/** A public text route (the audit checkpoint and key): sent without the key; `no-cache` revalidates with the ETag. */
export async function getPublicText(path: string): Promise<string> {
  const response = await fetch(path, { headers: { accept: 'text/plain' }, cache: 'no-cache' });
  if (!response.ok) throw await refusal(response);
  return response.text();
}

/** Fetches a download with the key and hands it back as a blob, with the file name the server gave it. */
export async function getFile(url: string): Promise<{ blob: Blob; filename: string }> {
  const response = await fetch(url, { headers: authorizationHeaders(), cache: 'no-store' });
  if (!response.ok) throw await refusal(response);
  const disposition = response.headers.get('content-disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'funding-ledger.csv';
  return { blob: await response.blob(), filename };
}
