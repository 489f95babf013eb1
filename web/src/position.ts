// Ledger positions as the API writes them: "42", or "commit-prepare" from EventStoreDB; compared as 64-bit numbers.

function parts(position: string): [bigint, bigint] {
  const [commit = '0', prepare] = position.split('-');
  return [BigInt(commit), BigInt(prepare ?? commit)];
}

export function comparePositions(a: string, b: string): number {
  const [ac, ap] = parts(a);
  const [bc, bp] = parts(b);
  if (ac !== bc) return ac < bc ? -1 : 1;
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

export function latestOf(positions: readonly string[]): string {
  return positions.reduce((latest, position) => (comparePositions(position, latest) > 0 ? position : latest), '0');
}
