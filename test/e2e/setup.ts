import { afterEach, expect } from 'vitest';
import { cspViolations } from './helpers.js';

// Every browser flow ends with no Content-Security-Policy refusal on any of its pages.
afterEach(() => {
  const seen = cspViolations.splice(0);
  expect(seen, 'Content-Security-Policy refusals').toEqual([]);
});
