// Imports do not take restated parts yet: a JSON Lines line that gives them is refused by name, never imported without them.
import { describe, expect, it } from 'vitest';
import { aLineBody, checked } from './rows.js';

describe('restates in an import', () => {
  it('refuses a JSON Lines line with restated parts, naming the field', async () => {
    const line = { ...aLineBody(), restates: [{ announcement: '6f0c2a4e-1b7d-4c3a-9e2f-8d5b6a7c9e01', value: '1.00' }] };

    const result = await checked(`${JSON.stringify(aLineBody())}\n${JSON.stringify(line)}\n`, 'jsonl');

    expect(result.valid).toHaveLength(1);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^line 2: restates: imports do not take restated parts yet/);
  });
});
