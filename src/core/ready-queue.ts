/**
 * The ready set: a binary min-heap of task indices, so the task added first among the
 * ready ones always runs first (the deterministic order of the sequential executor), at
 * O(log n) a push or pop and with no `Array.shift()`.
 */
export class ReadyQueue {
  #heap: Int32Array;
  #size = 0;

  constructor(capacity: number) {
    this.#heap = new Int32Array(Math.max(capacity, 1));
  }

  get size(): number {
    return this.#size;
  }

  push(index: number): void {
    if (this.#size === this.#heap.length) {
      const grown = new Int32Array(this.#heap.length * 2);
      grown.set(this.#heap);
      this.#heap = grown;
    }
    const heap = this.#heap;
    let child = this.#size++;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      const value = heap[parent] as number;
      if (value <= index) break;
      heap[child] = value;
      child = parent;
    }
    heap[child] = index;
  }

  /** Removes and returns the smallest index; -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const heap = this.#heap;
    const top = heap[0] as number;
    const last = heap[--this.#size] as number;
    const size = this.#size;
    let parent = 0;
    for (;;) {
      let child = 2 * parent + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && (heap[right] as number) < (heap[child] as number)) child = right;
      if ((heap[child] as number) >= last) break;
      heap[parent] = heap[child] as number;
      parent = child;
    }
    heap[parent] = last;
    return top;
  }

  clear(): void {
    this.#size = 0;
  }
}
