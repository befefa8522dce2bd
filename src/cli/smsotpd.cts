#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-old-space-size=256 --max-semi-space-size=2
// How the daemon runs everywhere (npx, npm start, the systemd unit, the .deb's wrapper).
//
// The interpreter line sizes the heap for a Raspberry Pi: V8's default lets garbage pile up to
// several times the live state (200 MB under a login burst at 10,000 tokens); a 256 MB ceiling
// makes it collect at about 1.3x. One malloc arena: each arena keeps the 2.5 MiB scrypt blocks
// its threads freed, so with one they are reused instead of held per arena (5-8 MB less at the
// peak of the login bench; a hash makes three allocations, so threads hardly contend for it).
// Live state at 10,000 tokens is about 25 MB. A site that needs more runs node
// with its own flags: `node --max-old-space-size=1024 /usr/lib/smsotpd/dist/cli/smsotpd.cjs serve`.
//
// libuv's thread pool runs the PIN KDF. Its default, 4 threads, on a 2-core machine time-slices
// 2.5 MiB scrypt working sets on each core, thrashing the caches: every hash then costs 7 % more
// CPU. One thread per core (at least 2, so a file sync never waits for a free core's thread alone)
// fixes that; a Pi 4 or 5 keeps 4. The size is read when the pool first starts, which with an ES
// module entry is while its imports load, before any of its code runs: hence this CommonJS file,
// which sets it before loading the CLI. UV_THREADPOOL_SIZE in the environment still wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, require('node:os').availableParallelism()));
void import('./main.js');
