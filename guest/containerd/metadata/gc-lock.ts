/**
 * The collector's lock. Work that adds references across more than one step — a content commit
 * (bytes, then the record and its lease), a snapshot prepare or commit (the snapshotter, then the
 * lease) — holds it shared; the garbage collector holds it exclusive from its scan to the end of
 * its sweep, so it never decides on a view that such work is halfway through changing. Waiters
 * are served in order, so a waiting collection holds back later shared work instead of starving.
 */
interface Waiter {
  exclusive: boolean;
  wake: () => void;
}

export class GcLock {
  #shared = 0;
  #exclusive = false;
  #waiting: Waiter[] = [];

  shared<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(false, work);
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(true, work);
  }

  async #run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    if (this.#waiting.length === 0 && this.#fits(exclusive)) this.#take(exclusive);
    else await new Promise<void>((wake) => this.#waiting.push({ exclusive, wake }));
    try {
      return await work();
    } finally {
      if (exclusive) this.#exclusive = false;
      else this.#shared -= 1;
      this.#grant();
    }
  }

  #fits(exclusive: boolean): boolean {
    return !this.#exclusive && (!exclusive || this.#shared === 0);
  }

  #take(exclusive: boolean): void {
    if (exclusive) this.#exclusive = true;
    else this.#shared += 1;
  }

  /** Lets in waiters from the front while they fit (the taker is counted before it wakes). */
  #grant(): void {
    for (let next = this.#waiting[0]; next && this.#fits(next.exclusive); next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#take(next.exclusive);
      next.wake();
    }
  }
}
