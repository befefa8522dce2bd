import { accessSync, constants, statSync } from 'node:fs';

// Plain JavaScript: slapd.mjs (also started by scripts/bench-directory.mjs) uses it.
/**
 * A regular file this process may run. Not mere existence: a tool that is present but cannot run
 * (no execute bit, a device or directory in its place) must skip its tests, not fail them.
 * @param {string} file
 */
export function isExecutableFile(file) {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
