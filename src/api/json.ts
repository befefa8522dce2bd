import { parameterError } from '../token/errors.js';

/**
 * The first key that appears twice in one object of `text` (already valid JSON), or null.
 * JSON.parse keeps the last of duplicated keys without a word; a form field given twice is
 * refused, and a JSON body must be too, or `{"pass":"x","pass":"y"}` means whatever the
 * parser of the moment prefers. Keys compare decoded (`"a"` and `"\u0061"` are the same).
 */
export function duplicateKey(text: string): string | null {
  const stack: Array<Set<string> | null> = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < n) {
        const cj = text.charCodeAt(j);
        if (cj === 0x5c /* \ */) {
          escaped = true;
          j += 2;
          continue;
        }
        if (cj === 0x22) break;
        j++;
      }
      const raw = text.slice(i, j + 1);
      let k = j + 1;
      while (k < n && (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r')) k++;
      const top = stack[stack.length - 1];
      if (text[k] === ':' && top) {
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (top.has(key)) return key;
        top.add(key);
      }
      i = j + 1;
      continue;
    }
    if (ch === 0x7b /* { */) stack.push(new Set());
    else if (ch === 0x5b /* [ */) stack.push(null);
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) stack.pop();
    i++;
  }
  return null;
}

/** JSON.parse that refuses invalid JSON and duplicated keys with a 400 that says which. */
export function parseJsonBody(text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw parameterError('The request body is not valid JSON.');
  }
  const dup = duplicateKey(text);
  if (dup !== null) throw parameterError(`Parameter '${dup.slice(0, 64)}' given more than once.`);
  return body;
}
