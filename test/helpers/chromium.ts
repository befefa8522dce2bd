import { isExecutableFile } from './executable.mjs';

/** The Chromium the console's browser tests drive: CHROMIUM_PATH, or Debian's package. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Why the browser tests are skipped, or null when Chromium is here to run them. */
export const chromiumMissing = isExecutableFile(CHROMIUM)
  ? null
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH): the console's browser tests are skipped`;
