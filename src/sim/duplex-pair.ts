import { Duplex } from 'node:stream';

/**
 * Two connected in-process streams: what one side writes, the other reads. The embedded
 * simulator sits on one side, the real driver on the other (Node 20 has no stream.duplexPair).
 */
class Side extends Duplex {
  other: Side | null = null;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const other = this.other;
    if (!other || other.destroyed) return cb(new Error('the other side is closed'));
    // Asynchronous like a real line: a reply never re-enters the writer's call stack.
    setImmediate(() => {
      if (!other.destroyed) other.push(chunk);
      cb();
    });
  }
  override _read(): void {}
  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    const other = this.other;
    this.other = null;
    if (other && !other.destroyed) {
      other.other = null;
      other.push(null);
      other.destroy();
    }
    cb(err);
  }
}

export function createDuplexPair(): { driverSide: Duplex; modemSide: Duplex } {
  const a = new Side();
  const b = new Side();
  a.other = b;
  b.other = a;
  return { driverSide: a, modemSide: b };
}
