import { defineConfig } from 'vitest/config';

/**
 * The tests of src/modem/'s pure parts (framer, AT machine, answer timeouts, lifecycle, PDU codec,
 * GSM-7, error classes, the SIM store model, USSD), for
 * mutation testing: `npx stryker run stryker.modem.config.json`. Fast and timer-free (the wire
 * tests in them use fake time), so every mutant runs all of them.
 */
export default defineConfig({
  test: {
    include: [
      'test/modem/framer.test.ts',
      'test/modem/at.test.ts',
      'test/modem/answer-time.test.ts',
      'test/modem/lifecycle.test.ts',
      'test/modem/pdu.test.ts',
      'test/modem/pdu-receive.test.ts',
      'test/modem/gsm7.test.ts',
      'test/modem/errors.test.ts',
      'test/modem/inbox.test.ts',
      'test/modem/ussd.test.ts',
    ],
    // The byte-level wire rows in lifecycle.test.ts drive the whole driver: they belong to npm test.
    testNamePattern: '^(?!lifecycle on the wire)',
    testTimeout: 30_000,
  },
});
