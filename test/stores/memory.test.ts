import { MemoryStateStore } from "../../src/index.js";
import { storeContract } from "./contract.js";

storeContract("MemoryStateStore", () => {
  const store = new MemoryStateStore();
  return { open: () => store, persistent: false, cleanup: () => {} };
});
