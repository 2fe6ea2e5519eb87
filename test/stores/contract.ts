/**
 * The state store contract: one suite every store runs (memory, JSON, SQLite, …).
 *
 * @example
 * // test/stores/json.test.ts
 * storeContract("JSONStateStore", () => {
 *   const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
 *   const file = path.join(dir, "state.json");
 *   return {
 *     open: () => new JSONStateStore(file),
 *     persistent: true,
 *     cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
 *   };
 * });
 */
import { afterEach, beforeEach, describe } from "vitest";
import type { StateStore } from "../../src/index.js";
import type { ContractContext, StoreFixture } from "./contract/harness.js";
import { interfaceCases } from "./contract/interface.js";
import { lockCases } from "./contract/lock.js";
import { resumeCases } from "./contract/resume.js";
import { valueCases } from "./contract/values.js";

export type { StoreFixture } from "./contract/harness.js";

/**
 * Declares the contract's tests for one store. `setup` runs before each test and gives a
 * fixture at a fresh location; every store the test opened is closed after it, then
 * `cleanup` runs.
 */
export function storeContract(name: string, setup: () => StoreFixture): void {
  describe(`${name} (store contract)`, () => {
    let fixture: StoreFixture | undefined;
    let current: StateStore | undefined;
    const opened: StateStore[] = [];

    const open = (): StateStore => {
      const store = (fixture as StoreFixture).open();
      opened.push(store);
      current = store;
      return store;
    };

    beforeEach(() => {
      fixture = setup();
      open();
    });

    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      current = undefined;
      await fixture?.cleanup();
      fixture = undefined;
    });

    const context: ContractContext = {
      get fixture() {
        return fixture as StoreFixture;
      },
      get store() {
        return current as StateStore;
      },
      async reopen() {
        await (current as StateStore).close();
        return open();
      },
    };

    interfaceCases(context);
    resumeCases(context);
    valueCases(context);
    lockCases(context);
  });
}
