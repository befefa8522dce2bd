import { defineConfig } from 'vitest/config';

// Under StrykerJS (it sets STRYKER_MUTATOR_WORKER) the vitest runner forces worker threads, and the
// serialport native binding aborts the process when its poller fires inside a worker thread
// ("Entering the V8 API without proper locking"). The tests that open a real serial port on a
// pseudo-terminal are therefore left out of mutation runs, and so are the CLI tests, which run the
// built dist/ (not the mutated src/) and so can neither kill nor be helped by a mutant.
// `npm test` runs all of them as always.
const notUnderStryker = ['test/modem/driver.test.ts', 'test/modem/power-key.test.ts', 'test/cli/**'];
const underStryker = process.env.STRYKER_MUTATOR_WORKER !== undefined;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(underStryker ? notUnderStryker : [])],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Store and modem tests fsync and drive pseudo-terminals: two cores, keep parallelism modest.
    maxWorkers: 2,
  },
});
