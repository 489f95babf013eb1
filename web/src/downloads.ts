// CSV downloads with a key: a link cannot carry the Authorization header, so the file is fetched and saved from a blob.
import { getFile } from './api.js';
import { el } from './dom.js';
import { storedKey } from './key.js';

/** Takes over every click on an `a.csv-download` while a key is stored; without one the link works as it is. */
export function saveDownloadsWithKey(onFailure: (error: unknown) => void): void {
  document.addEventListener('click', (event) => {
    const link = (event.target as Element).closest<HTMLAnchorElement>('a.csv-download');
    if (link === null || storedKey() === undefined) return;
    event.preventDefault();
    getFile(link.href)
      .then(({ blob, filename }) => {
        const url = URL.createObjectURL(blob);
        const save = el('a', { href: url, download: filename, hidden: true });
        document.body.append(save);
        save.click();
        save.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      })
      .catch(onFailure);
  });
}
